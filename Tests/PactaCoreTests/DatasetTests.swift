import Foundation
import Testing

@testable import PactaCore

/// The bundled dataset against the dates that depositaries and governments announced. Each expectation is
/// a date from the record; the engine must reproduce it from the rules.
@Suite struct DatasetTests {
    static let ids = Fixtures.datasetIds

    @Test func holdsAtLeastTwentyValidSourcedAgreements() throws {
        #expect(Self.ids.count >= 20)
        for id in Self.ids {
            let agreement = try Fixtures.dataset(id)
            #expect(agreement.id == id)
            #expect(AgreementValidator.validate(agreement).isEmpty, "\(id)")
            for event in agreement.events {
                #expect(event.source?.hasPrefix("http") == true, "\(id)/\(event.id) lacks a source")
            }
        }
    }

    /// Recorded outcomes (entry into force, withdrawals taking effect, ends) agree with the rules.
    @Test(arguments: ids)
    func recordedOutcomesMatchTheRules(_ id: String) throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset(id), asOf: Fixtures.date("2026-11-29"))
        #expect(status.flags.filter { $0.code == .recordedDateDiffers }.map(\.message) == [], "\(id)")
    }

    struct PartyCase: Sendable, CustomTestStringConvertible {
        let agreement: String
        let party: String
        let asOf: String
        let status: PartyStatus.Status
        var since: String? = nil
        var lastDay: String? = nil
        var boundFrom: String? = nil
        var eventId: String? = nil
        var testDescription: String { "\(agreement) \(party) as of \(asOf)" }
    }

    static let partyCases: [PartyCase] = [
        // Paris: one year from the depositary's receipt, same calendar date (UN); rejoining 30 days after deposit.
        .init(agreement: "paris-agreement", party: "US", asOf: "2020-11-03", status: .withdrawalPending, since: "2016-11-04", lastDay: "2020-11-03"),
        .init(agreement: "paris-agreement", party: "US", asOf: "2020-11-04", status: .withdrawn, since: "2020-11-04", lastDay: "2020-11-03"),
        // Deposited its acceptance on 2021-01-20: consented (it had signed in 2016), bound 30 days later.
        .init(
            agreement: "paris-agreement",
            party: "US",
            asOf: "2021-02-18",
            status: .consented,
            since: "2021-01-20",
            boundFrom: "2021-02-19",
            eventId: "consent-us-2021"
        ),
        .init(agreement: "paris-agreement", party: "US", asOf: "2021-01-19", status: .withdrawn, since: "2020-11-04", lastDay: "2020-11-03"),
        // Before the recorded entry into force of 2016-11-04, the day it would be bound is not in the record.
        .init(agreement: "paris-agreement", party: "US", asOf: "2016-09-02", status: .signatory),
        .init(agreement: "paris-agreement", party: "US", asOf: "2016-09-03", status: .consented, since: "2016-09-03", eventId: "consent-us-2016"),
        .init(agreement: "paris-agreement", party: "US", asOf: "2021-02-19", status: .party, since: "2021-02-19"),
        .init(agreement: "paris-agreement", party: "US", asOf: "2026-01-27", status: .withdrawn, since: "2026-01-27", lastDay: "2026-01-26"),
        // Rome Statute: one year after receipt; the Gambia's revoked notice has no effect.
        .init(agreement: "rome-statute", party: "BI", asOf: "2017-10-27", status: .withdrawn, since: "2017-10-27", lastDay: "2017-10-26"),
        .init(agreement: "rome-statute", party: "GM", asOf: "2018-01-01", status: .party),
        .init(agreement: "rome-statute", party: "PH", asOf: "2019-03-17", status: .withdrawn, since: "2019-03-17", lastDay: "2019-03-16"),
        .init(agreement: "rome-statute", party: "HU", asOf: "2026-01-01", status: .withdrawalPending, lastDay: "2026-06-01"),
        // Open Skies: six months.
        .init(agreement: "open-skies-treaty", party: "US", asOf: "2020-11-22", status: .withdrawn, since: "2020-11-22", lastDay: "2020-11-21"),
        .init(agreement: "open-skies-treaty", party: "RU", asOf: "2021-12-18", status: .withdrawn, since: "2021-12-18", lastDay: "2021-12-17"),
        // UNESCO: 31 December of the year after the notice; the US's return in 2023.
        .init(agreement: "unesco-constitution", party: "US", asOf: "2019-01-01", status: .withdrawn, since: "2018-12-31", lastDay: "2018-12-30"),
        .init(agreement: "unesco-constitution", party: "US", asOf: "2024-01-01", status: .party, since: "2023-07-10"),
        .init(
            agreement: "unesco-constitution",
            party: "US",
            asOf: "2026-11-29",
            status: .withdrawalPending,
            since: "2023-07-10",
            lastDay: "2026-12-30"
        ),
        // Energy Charter Treaty: one year counted from the day after receipt.
        .init(agreement: "energy-charter-treaty", party: "GB", asOf: "2025-04-27", status: .withdrawn, since: "2025-04-27", lastDay: "2025-04-26"),
        .init(agreement: "energy-charter-treaty", party: "EU", asOf: "2025-06-27", status: .withdrawalPending, lastDay: "2025-06-27"),
        // Ottawa: the first day of the sixth month after the month of deposit; six months for withdrawal.
        .init(agreement: "ottawa-mine-ban-convention", party: "UA", asOf: "2006-06-01", status: .party, since: "2006-06-01"),
        // No signature on record: a deposit alone makes a consented state.
        .init(
            agreement: "ottawa-mine-ban-convention",
            party: "UA",
            asOf: "2006-05-31",
            status: .consented,
            since: "2005-12-27",
            boundFrom: "2006-06-01",
            eventId: "consent-ua-2005"
        ),
        .init(agreement: "ottawa-mine-ban-convention", party: "UA", asOf: "2005-12-26", status: .notParty),
        .init(
            agreement: "ottawa-mine-ban-convention",
            party: "LT",
            asOf: "2025-12-27",
            status: .withdrawn,
            since: "2025-12-27",
            lastDay: "2025-12-26"
        ),
        .init(agreement: "ottawa-mine-ban-convention", party: "FI", asOf: "2026-01-09", status: .withdrawalPending, lastDay: "2026-01-09"),
        // ICRW: 30 June of the year after, for a notice received after 1 January; out from the start of 30 June.
        .init(agreement: "icrw", party: "JP", asOf: "2019-06-29", status: .withdrawalPending, lastDay: "2019-06-29"),
        .init(agreement: "icrw", party: "JP", asOf: "2019-06-30", status: .withdrawn, since: "2019-06-30", lastDay: "2019-06-29"),
        // TEU Art. 50: two years from 29 March 2017, extended three times to the end of 31 January 2020.
        .init(agreement: "teu-article-50", party: "GB", asOf: "2019-03-29", status: .withdrawalPending, lastDay: "2019-04-12"),
        .init(agreement: "teu-article-50", party: "GB", asOf: "2020-02-01", status: .withdrawn, since: "2020-02-01", lastDay: "2020-01-31"),
        // NPT: three months; the DPRK's notice suspended the day before it took effect, resumed in 2003.
        .init(agreement: "npt", party: "KP", asOf: "1993-07-01", status: .party),
        .init(agreement: "npt", party: "KP", asOf: "2003-04-10", status: .withdrawn, since: "2003-04-10", lastDay: "2003-04-09"),
        // Kyoto: one year from receipt.
        .init(agreement: "kyoto-protocol", party: "CA", asOf: "2012-12-15", status: .withdrawn, since: "2012-12-15", lastDay: "2012-12-14"),
        // Istanbul: three months, then the first day of the next month.
        .init(agreement: "istanbul-convention", party: "TR", asOf: "2021-07-01", status: .withdrawn, since: "2021-07-01", lastDay: "2021-06-30"),
        .init(agreement: "istanbul-convention", party: "EU", asOf: "2023-10-01", status: .party, since: "2023-10-01"),
        .init(
            agreement: "istanbul-convention",
            party: "EU",
            asOf: "2023-09-30",
            status: .consented,
            since: "2023-06-28",
            boundFrom: "2023-10-01",
            eventId: "consent-eu-2023"
        ),
        // Kyoto: Russia's ratification met the threshold; it is bound from the entry into force, 90 days on.
        .init(
            agreement: "kyoto-protocol",
            party: "RU",
            asOf: "2005-02-15",
            status: .consented,
            since: "2004-11-18",
            boundFrom: "2005-02-16",
            eventId: "consent-ru-2004"
        ),
        .init(agreement: "kyoto-protocol", party: "RU", asOf: "2005-02-16", status: .party, since: "2005-02-16"),
        // NATO: bound on deposit of accession.
        .init(agreement: "north-atlantic-treaty", party: "FI", asOf: "2023-04-04", status: .party, since: "2023-04-04"),
        .init(agreement: "north-atlantic-treaty", party: "SE", asOf: "2024-03-06", status: .notParty),
        .init(agreement: "north-atlantic-treaty", party: "SE", asOf: "2024-03-07", status: .party, since: "2024-03-07"),
        // CTBT: a revoked ratification leaves a signatory.
        .init(agreement: "ctbt", party: "RU", asOf: "2026-01-01", status: .signatory),
        // ATT: the United States signed in 2013 and withdrew its signature on 2019-07-18: not a party, the act named.
        .init(agreement: "arms-trade-treaty", party: "US", asOf: "2019-07-17", status: .signatory),
        .init(
            agreement: "arms-trade-treaty",
            party: "US",
            asOf: "2019-07-18",
            status: .notParty,
            since: "2019-07-18",
            eventId: "signaturewithdrawn-us-2019"
        ),
        .init(
            agreement: "arms-trade-treaty",
            party: "US",
            asOf: "2026-11-29",
            status: .notParty,
            since: "2019-07-18",
            eventId: "signaturewithdrawn-us-2019"
        ),
    ]

    @Test(arguments: partyCases)
    func partiesMatchTheRecord(_ expected: PartyCase) throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset(expected.agreement), asOf: Fixtures.date(expected.asOf))
        let party = try #require(status.parties.first { $0.party == expected.party })
        #expect(party.status == expected.status)
        #expect(party.since?.description == expected.since)
        #expect(party.lastDayAsParty?.description == expected.lastDay)
        #expect(party.boundFrom?.description == expected.boundFrom)
        #expect(party.eventId == expected.eventId)
    }

    struct AgreementCase: Sendable, CustomTestStringConvertible {
        let agreement: String
        let asOf: String
        let state: AgreementStatus.State
        var entry: String? = nil
        var lastDayInForce: String? = nil
        var termStart: String? = nil
        var noticeDeadline: String? = nil
        var testDescription: String { "\(agreement) as of \(asOf)" }
    }

    static let agreementCases: [AgreementCase] = [
        // Threshold plus delay: "the ninetieth day after" is date + 90 days; "12 months after" the same date.
        .init(agreement: "kyoto-protocol", asOf: "2005-02-15", state: .notYetInForce, entry: "2005-02-16"),
        .init(agreement: "kyoto-protocol", asOf: "2005-02-16", state: .inForce, entry: "2005-02-16"),
        .init(agreement: "arms-trade-treaty", asOf: "2014-12-24", state: .inForce, entry: "2014-12-24"),
        .init(agreement: "unclos", asOf: "1994-11-16", state: .inForce, entry: "1994-11-16"),
        .init(agreement: "ctbt", asOf: "2026-11-29", state: .notYetInForce),
        // Bilateral withdrawal ends the agreement.
        .init(agreement: "inf-treaty", asOf: "2019-05-01", state: .terminationPending, entry: "1988-06-01", lastDayInForce: "2019-08-01"),
        .init(agreement: "inf-treaty", asOf: "2019-08-02", state: .terminated, entry: "1988-06-01", lastDayInForce: "2019-08-01"),
        .init(
            agreement: "us-iran-treaty-of-amity",
            asOf: "2019-01-01",
            state: .terminationPending,
            entry: "1957-06-16",
            lastDayInForce: "2019-10-02"
        ),
        // Fixed term extended once by agreement, then expired.
        .init(
            agreement: "new-start",
            asOf: "2021-01-01",
            state: .inForce,
            entry: "2011-02-05",
            lastDayInForce: "2021-02-04",
            termStart: "2011-02-05"
        ),
        .init(
            agreement: "new-start",
            asOf: "2021-03-01",
            state: .inForce,
            entry: "2011-02-05",
            lastDayInForce: "2026-02-04",
            termStart: "2021-02-05"
        ),
        .init(agreement: "new-start", asOf: "2026-02-05", state: .expired, entry: "2011-02-05", lastDayInForce: "2026-02-04"),
        // Automatic renewal; notice at least six months before the expiry date.
        .init(
            agreement: "russia-ukraine-friendship-treaty",
            asOf: "2018-09-01",
            state: .inForce,
            entry: "1999-04-01",
            termStart: "2009-04-01",
            noticeDeadline: "2018-10-01"
        ),
        .init(agreement: "russia-ukraine-friendship-treaty", asOf: "2019-04-01", state: .expired, entry: "1999-04-01", lastDayInForce: "2019-03-31"),
        .init(
            agreement: "china-russia-treaty-of-good-neighbourliness",
            asOf: "2022-03-01",
            state: .inForce,
            entry: "2002-02-28",
            termStart: "2022-02-28"
        ),
        // A fixed term with no renewal.
        .init(agreement: "usmca", asOf: "2026-11-29", state: .inForce, entry: "2020-07-01", lastDayInForce: "2036-06-30"),
        // Multilateral agreements continue when parties leave.
        .init(agreement: "open-skies-treaty", asOf: "2022-01-01", state: .inForce, entry: "2002-01-01"),
    ]

    @Test(arguments: agreementCases)
    func agreementsMatchTheRecord(_ expected: AgreementCase) throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset(expected.agreement), asOf: Fixtures.date(expected.asOf))
        #expect(status.state == expected.state)
        #expect(status.entryIntoForce?.description == expected.entry)
        #expect(status.lastDayInForce?.description == expected.lastDayInForce)
        if let start = expected.termStart { #expect(status.currentTerm?.start.description == start) }
        #expect(status.noticeDeadline?.description == expected.noticeDeadline)
    }

    @Test func flagsFromTheRecord() throws {
        let npt = RulesEngine.evaluate(try Fixtures.dataset("npt"), asOf: Fixtures.date("2000-01-01"))
        #expect(npt.flags.map(\.code) == [.noticeSuspended])
        let newStart = RulesEngine.evaluate(try Fixtures.dataset("new-start"), asOf: Fixtures.date("2024-01-01"))
        #expect(newStart.flags.map(\.code) == [.performanceSuspended])
        #expect(newStart.parties.map(\.status) == [.party, .party])
        let ect = RulesEngine.evaluate(try Fixtures.dataset("energy-charter-treaty"), asOf: Fixtures.date("2026-01-01"))
        #expect(ect.parties.first { $0.party == "EU" }?.obligationsSurviveThrough == Fixtures.date("2045-06-27"))
    }
}
