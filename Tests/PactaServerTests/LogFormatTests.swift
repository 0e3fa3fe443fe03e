import Foundation
import Logging
import Testing

@testable import PactaServer

struct LogFormatTests {
    @Test func aJSONLogLineIsOneObjectWithTheFixedMembersOverMetadata() throws {
        let handler = JSONLogHandler(label: "pacta")
        let date = Date(timeIntervalSince1970: 1_764_930_558.123_4)
        let line = try #require(
            handler.render(
                level: .info,
                message: "request",
                metadata: ["request_id": "abc", "status": "200", "level": "spoofed", "nested": ["a": "b"]],
                at: date
            )
        )
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(!line.dropLast().contains(UInt8(ascii: "\n")))
        let object = try #require(JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["time"] as? String == "2025-12-05T10:29:18.123Z")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "pacta")
        #expect(object["message"] as? String == "request")
        #expect(object["request_id"] as? String == "abc")
        #expect(object["status"] as? String == "200")
        #expect((object["nested"] as? [String: String]) == ["a": "b"])
    }

    @Test func timestampsMatchTheFoundationFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 0.25, 951_782_400.5, 1_764_930_558.125, 4_102_444_799.75] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(JSONLogHandler.timestamp(date) == formatter.string(from: date))
        }
    }
}
