import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PactaServer

@Suite struct AnalysisRouteTests {
    @Test func partyStatusForAMultilateralAgreement() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(
                uri: "/v1/agreements/paris-agreement/parties/US/status?asOf=2020-06-01",
                method: .get
            )
            #expect(response.status == .ok)
            #expect(response.headers[.eTag] != nil)
            let json = try response.json()
            #expect(json["agreementState"] as? String == "inForce")
            let party = try #require(json["party"] as? [String: Any])
            #expect(party["status"] as? String == "withdrawalPending")
            #expect(party["lastDayAsParty"] as? String == "2020-11-03")
            let trace = try #require(json["trace"] as? [[String: Any]])
            #expect(trace.contains { $0["subject"] as? String == "withdrawal" })
            let missing = try await client.execute(uri: "/v1/agreements/paris-agreement/parties/ZZ/status", method: .get)
            #expect(missing.status == .notFound)
        }
    }

    @Test func timelineWithAWindow() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(
                uri: "/v1/agreements/gsomia/timeline?asOf=2019-08-22&from=2019-01-01&to=2020-12-31",
                method: .get
            )
            #expect(response.status == .ok)
            let items = try #require(try response.json()["items"] as? [[String: Any]])
            #expect(items.contains { $0["kind"] as? String == "noticeDeadline" && $0["date"] as? String == "2019-08-24" })
            #expect(items.contains { $0["kind"] as? String == "termStart" && $0["projected"] as? Bool == true })
            let reversed = try await client.execute(
                uri: "/v1/agreements/gsomia/timeline?from=2020-01-01&to=2019-01-01",
                method: .get
            )
            #expect(reversed.status == .unprocessableContent)
            let tooWide = try await client.execute(
                uri: "/v1/agreements/gsomia/timeline?from=0001-01-01&to=9999-12-31",
                method: .get
            )
            #expect(tooWide.status == .unprocessableContent)
        }
    }

    @Test func simulateAnswersWhatIfWithoutSavingOrAToken() async throws {
        try await TestApp.run { _, client in
            let body = """
                {"asOf": "2026-12-01", "events": [{"type": "noticeOfTermination", "date": "2026-11-30",
                  "received": "2026-11-30", "party": "JP"}]}
                """
            let response = try await client.execute(
                uri: "/v1/agreements/gsomia/simulate",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body)
            )
            #expect(response.status == .ok)
            let json = try response.json()
            let status = try #require(json["status"] as? [String: Any])
            #expect(status["state"] as? String == "terminationPending")
            // The notice falls in term 11 (2026-11-23 to 2027-11-22), before its deadline 2027-08-24.
            #expect(status["lastDayInForce"] as? String == "2027-11-22")
            #expect(json["timeline"] is [String: Any])
            let events = try await client.execute(uri: "/v1/agreements/gsomia/events", method: .get).json()
            #expect((events["items"] as? [Any])?.count == 5)

            let invalid = try await client.execute(
                uri: "/v1/agreements/gsomia/simulate",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{\"events\": [{\"type\": \"noticeRevoked\", \"date\": \"2026-01-01\"}]}")
            )
            #expect(invalid.status == .unprocessableContent)
        }
    }

    @Test func simulatedEventsAfterAsOfAre422WithAPointerToTheirDate() async throws {
        try await TestApp.run { _, client in
            let body = """
                {"asOf": "2026-12-01", "events": [
                  {"type": "performanceSuspended", "date": "2026-11-01", "party": "KR"},
                  {"type": "noticeOfTermination", "date": "2026-12-02", "received": "2026-12-02", "party": "JP"}]}
                """
            let response = try await client.execute(
                uri: "/v1/agreements/gsomia/simulate",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body)
            )
            #expect(response.status == .unprocessableContent)
            let errors = try #require(try response.json()["errors"] as? [[String: Any]])
            #expect(errors.map { $0["pointer"] as? String } == ["/events/1/date"])
            #expect((errors.first?["detail"] as? String)?.contains("2026-12-01") == true)
            // On asOf itself is fine.
            let onTheDay = try await client.execute(
                uri: "/v1/agreements/gsomia/simulate",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body.replacingOccurrences(of: "2026-12-02", with: "2026-12-01"))
            )
            #expect(onTheDay.status == .ok)
        }
    }

    @Test func simulatedNoticeOfNonRenewalEndsGsomiaExpired() async throws {
        try await TestApp.run { _, client in
            let body = """
                {"asOf": "2027-12-01", "events": [{"type": "noticeOfNonRenewal", "date": "2027-08-01",
                  "received": "2027-08-01", "party": "JP"}]}
                """
            let response = try await client.execute(
                uri: "/v1/agreements/gsomia/simulate",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body)
            )
            #expect(response.status == .ok)
            let status = try #require(try response.json()["status"] as? [String: Any])
            #expect(status["state"] as? String == "expired")
            #expect(status["lastDayInForce"] as? String == "2027-11-22")
            let cause = try #require(status["endCause"] as? [String: Any])
            #expect(cause["reason"] as? String == "nonRenewal")
            #expect(cause["eventId"] as? String == "simulated-1")
        }
    }

    @Test func aPartyActingOnAnotherPartysNoticeIs422() async throws {
        try await TestApp.run { app, client in
            let body = """
                {"events": [{"type": "noticeSuspended", "date": "2019-11-20", "party": "JP", "refersTo": "kr-notice-2019"}]}
                """
            let response = try await client.execute(
                uri: "/v1/agreements/gsomia/events",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: body)
            )
            #expect(response.status == .unprocessableContent)
            let errors = try #require(try response.json()["errors"] as? [[String: Any]])
            #expect(errors.map { $0["pointer"] as? String } == ["/events/0/party"])
            let events = try await client.execute(uri: "/v1/agreements/gsomia/events", method: .get).json()
            #expect((events["items"] as? [Any])?.count == 5)
        }
    }
}
