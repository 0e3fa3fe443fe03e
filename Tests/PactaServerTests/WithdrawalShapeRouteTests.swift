import Foundation
import HummingbirdTesting
import Testing

@testable import PactaServer

/// The second-wave withdrawal shapes over HTTP: the fields the spec describes reach the client.
@Suite struct WithdrawalShapeRouteTests {
    @Test func aPartyFreeToWithdrawIsToldItsNextWindow() async throws {
        try await TestApp.run { _, client in
            let json = try await client.execute(uri: "/v1/agreements/icrw/status?asOf=2018-06-01", method: .get).json()
            let japan = try #require((json["parties"] as? [[String: Any]])?.first)
            let window = try #require(japan["nextWithdrawal"] as? [String: Any])
            // After the cutoff of 1 January 2018, the nearest 30 June is in 2019.
            #expect(window["noticeBy"] as? String == "2019-01-01")
            #expect(window["effectiveFrom"] as? String == "2019-06-30")
            #expect(window["lastDayAsParty"] as? String == "2019-06-29")
        }
    }

    @Test func theDeadlinesFilterByTheNewKind() async throws {
        try await TestApp.run { _, client in
            let json = try await client.execute(
                uri: "/v1/deadlines?kind=withdrawalNoticeDeadline&from=2018-01-01&to=2018-12-31",
                method: .get
            ).json()
            let items = try #require(json["items"] as? [[String: Any]])
            #expect(items.contains { $0["agreementId"] as? String == "icrw" && $0["date"] as? String == "2018-01-01" })
            #expect(items.allSatisfy { $0["kind"] as? String == "withdrawalNoticeDeadline" })
        }
    }

    @Test func theUnitedKingdomsExtensionsAreCounted() async throws {
        try await TestApp.run { _, client in
            let json = try await client.execute(uri: "/v1/agreements/teu-article-50/status?asOf=2019-11-01", method: .get).json()
            let kingdom = try #require((json["parties"] as? [[String: Any]])?.first)
            #expect(kingdom["status"] as? String == "withdrawalPending")
            #expect(kingdom["lastDayAsParty"] as? String == "2020-01-31")
            #expect(kingdom["withdrawalExtensions"] as? Int == 3)
        }
    }
}
