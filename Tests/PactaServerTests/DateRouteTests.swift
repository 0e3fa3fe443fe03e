import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PactaCore
import Testing

@testable import PactaServer

/// `GET /v1/dates`: the engine's date arithmetic over HTTP, open without a token.
@Suite struct DateRouteTests {
    @Test func addsAPeriodAndNamesTheConvention() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/dates?date=2019-08-24&add=P90D", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.eTag] != nil)
            let json = try response.json()
            #expect(json["operation"] as? String == "add")
            #expect(json["date"] as? String == "2019-08-24")
            #expect(json["period"] as? String == "P90D")
            #expect(json["result"] as? String == "2019-11-22")
            #expect(json["weekday"] as? String == "Friday")
            #expect(json["clamped"] as? Bool == false)
            #expect(json["clampedFromDay"] == nil)
            #expect((json["convention"] as? String)?.contains("clamping") == true)
            #expect(json["explanation"] as? String == "2019-08-24 + P90D = 2019-11-22.")
        }
    }

    @Test(arguments: [
        ("2020-01-31", "P1M", "2020-02-29", 31),
        ("2019-01-31", "P1M", "2019-02-28", 31),
        ("2020-02-29", "P1Y", "2021-02-28", 29),
        ("2019-03-31", "P1M", "2019-04-30", 31),
    ])
    func saysWhenTheDayIsClampedToTheMonthsEnd(
        _ date: String,
        _ period: String,
        _ result: String,
        _ day: Int
    )
        async throws
    {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/dates?date=\(date)&add=\(period)", method: .get)
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["result"] as? String == result)
            #expect(json["clamped"] as? Bool == true)
            #expect(json["clampedFromDay"] as? Int == day)
            #expect((json["explanation"] as? String)?.contains("has no day \(day)") == true)
        }
    }

    @Test func subtractsAPeriod() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/dates?date=2020-03-31&subtract=P1M", method: .get)
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["operation"] as? String == "subtract")
            #expect(json["result"] as? String == "2020-02-29")
            #expect(json["clamped"] as? Bool == true)
            #expect(
                json["explanation"] as? String
                    == "2020-03-31 − P1M = 2020-02-29 (2020-02 has no day 31, so the day is clamped to the month's end)."
            )
            // The same arithmetic as the engine: subtracting P1M is adding -P1M.
            let negative = try await client.execute(uri: "/v1/dates?date=2020-03-31&add=-P1M", method: .get)
            #expect(try negative.json()["result"] as? String == "2020-02-29")
        }
    }

    @Test func countsTheDaysBetweenTwoDates() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/dates?from=2019-08-23&to=2019-11-22", method: .get)
            #expect(response.status == .ok)
            let json = try response.json()
            #expect(json["operation"] as? String == "between")
            #expect(json["days"] as? Int == 91)
            #expect(json["clearDays"] as? Int == 90)
            #expect((json["convention"] as? String)?.contains("to − from") == true)
            let backwards = try await client.execute(uri: "/v1/dates?from=2019-11-22&to=2019-08-23", method: .get)
            #expect(try backwards.json()["days"] as? Int == -91)
            #expect(try backwards.json()["clearDays"] as? Int == 90)
            let same = try await client.execute(uri: "/v1/dates?from=2019-11-22&to=2019-11-22", method: .get)
            #expect(try same.json()["days"] as? Int == 0)
            #expect(try same.json()["clearDays"] as? Int == 0)
        }
    }

    @Test func answersTheSameAsTheEngine() async throws {
        try await TestApp.run { _, client in
            for (date, period) in [("2019-11-04", "P1Y"), ("2016-02-29", "P4Y"), ("2000-12-31", "P1Y2M3W4D"), ("2024-05-31", "-P3M")] {
                let response = try await client.execute(uri: "/v1/dates?date=\(date)&add=\(period)", method: .get)
                let expected = try CalendarDate(parsing: date).plus(try Period(parsing: period))
                #expect(try response.json()["result"] as? String == expected.description)
            }
        }
    }

    @Test func answers304ForItsOwnTag() async throws {
        try await TestApp.run { _, client in
            let uri = "/v1/dates?date=2020-01-31&add=P1M"
            let first = try await client.execute(uri: uri, method: .get)
            let tag = try #require(first.headers[.eTag])
            #expect(tag.hasPrefix("\""))
            let again = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified)
            let other = try await client.execute(uri: "/v1/dates?date=2020-01-31&add=P2M", method: .get)
            #expect(other.headers[.eTag] != tag)
        }
    }

    @Test(arguments: [
        ("/v1/dates?date=2019-02-30&add=P1D", "date"),
        ("/v1/dates?date=2019-8-24&add=P1D", "date"),
        ("/v1/dates?date=2019-08-24&add=1M", "add"),
        ("/v1/dates?date=2019-08-24&add=PT1H", "add"),
        ("/v1/dates?date=2019-08-24&subtract=P1D1M", "subtract"),
        ("/v1/dates?date=9999-12-01&add=P1M", "add"),
        ("/v1/dates?date=0001-01-01&subtract=P1D", "subtract"),
        ("/v1/dates?from=2019-02-29&to=2019-03-01", "from"),
        ("/v1/dates?from=2019-02-28&to=tomorrow", "to"),
    ])
    func aBadDateOrPeriodIs422NamingTheParameter(_ uri: String, _ parameter: String) async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType] == "application/problem+json")
            let errors = try #require(try response.json()["errors"] as? [[String: Any]])
            #expect(errors.map { $0["parameter"] as? String } == [parameter])
        }
    }

    @Test(arguments: [
        ("/v1/dates", "date"),
        ("/v1/dates?date=2019-08-24", "add"),
        ("/v1/dates?add=P1D", "date"),
        ("/v1/dates?date=2019-08-24&add=P1D&subtract=P1D", "subtract"),
        ("/v1/dates?date=2019-08-24&add=P1D&from=2019-01-01", "from"),
        ("/v1/dates?date=2019-08-24&to=2019-01-01", "to"),
        ("/v1/dates?from=2019-08-24", "to"),
        ("/v1/dates?to=2019-08-24", "from"),
    ])
    func aMixOrAMissingHalfIs400NamingTheParameter(_ uri: String, _ parameter: String) async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .badRequest)
            let json = try response.json()
            let errors = try #require(json["errors"] as? [[String: Any]])
            #expect(errors.map { $0["parameter"] as? String } == [parameter])
            #expect((json["detail"] as? String)?.contains("'\(parameter)'") == true)
        }
    }
}
