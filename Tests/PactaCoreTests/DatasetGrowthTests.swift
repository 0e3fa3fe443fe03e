import Foundation
import Testing

@testable import PactaCore

/// The agreements added to the bundled dataset in the second wave (issue #14), against the dates their sources
/// announce: every announced date below is one the engine must reproduce from the rules and the record. Dates
/// the sources do not state but the rules compute are marked as computed in the comments.
@Suite struct DatasetGrowthTests {
    static let added = [
        "abm-treaty", "american-convention-on-human-rights", "anzus-treaty", "european-convention-on-human-rights",
        "iccpr-first-optional-protocol", "icsid-convention", "nafta", "oas-charter", "pact-of-bogota", "rio-treaty",
        "start-i", "trans-pacific-partnership", "upu-constitution", "us-japan-security-treaty",
        "us-philippines-visiting-forces-agreement", "us-roc-mutual-defense-treaty", "warsaw-pact", "who-constitution",
        "bolivia-us-bit", "eu-belarus-readmission-agreement", "statute-of-the-council-of-europe",
    ]

    @Test func holdsAtLeastFortyAgreementsIncludingTheAddedOnes() {
        #expect(DatasetTests.ids.count >= 40)
        for id in Self.added { #expect(DatasetTests.ids.contains(id), "\(id) is missing from Data/agreements") }
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

    /// A party whose own consent is not recorded is read as an original party: bound since the entry into force, with
    /// no `since` of its own (Bolivia and Venezuela in ICSID, Venezuela in the American Convention, the United States
    /// in the UPU).
    static let partyCases: [PartyCase] = [
        // TPP: signed 4 Feb 2016; signature withdrawn by the letter of 30 Jan 2017 to the depositary.
        .init(agreement: "trans-pacific-partnership", party: "US", asOf: "2016-02-04", status: .signatory),
        .init(agreement: "trans-pacific-partnership", party: "US", asOf: "2017-01-29", status: .signatory),
        .init(
            agreement: "trans-pacific-partnership",
            party: "US",
            asOf: "2017-01-30",
            status: .notParty,
            since: "2017-01-30",
            eventId: "signaturewithdrawn-us-2017"
        ),
        // Statute of the Council of Europe: Russia a member from 28 February 1996. Its Art. 7 notification of 15 March
        // 2022 would have taken effect at the end of 2022 (computed); the Committee of Ministers decided under Art. 8
        // that it ceased to be a member as from 16 March 2022.
        .init(agreement: "statute-of-the-council-of-europe", party: "RU", asOf: "1996-02-28", status: .party, since: "1996-02-28"),
        .init(
            agreement: "statute-of-the-council-of-europe",
            party: "RU",
            asOf: "2022-03-15",
            status: .withdrawalPending,
            since: "1996-02-28",
            lastDay: "2022-12-31"
        ),
        .init(
            agreement: "statute-of-the-council-of-europe",
            party: "RU",
            asOf: "2022-03-16",
            status: .withdrawn,
            since: "2022-03-16",
            lastDay: "2022-03-15"
        ),
        // ECHR: in force for Russia on 5 May 1998. It follows the Statute "under the same conditions" (Art. 58(3)):
        // six months from the first day Russia is no longer a member. On 15 March 2022 that is the Art. 7 withdrawal's
        // (1 January 2023, so out from 1 July 2023: computed); from 16 March, the exclusion's: out from 16 September
        // 2022, as the Committee of Ministers announced.
        .init(agreement: "european-convention-on-human-rights", party: "RU", asOf: "1998-05-05", status: .party, since: "1998-05-05"),
        .init(agreement: "european-convention-on-human-rights", party: "RU", asOf: "2022-03-14", status: .party, since: "1998-05-05"),
        .init(
            agreement: "european-convention-on-human-rights",
            party: "RU",
            asOf: "2022-03-15",
            status: .withdrawalPending,
            since: "1998-05-05",
            lastDay: "2023-06-30"
        ),
        .init(
            agreement: "european-convention-on-human-rights",
            party: "RU",
            asOf: "2022-03-16",
            status: .withdrawalPending,
            since: "1998-05-05",
            lastDay: "2022-09-15"
        ),
        .init(
            agreement: "european-convention-on-human-rights",
            party: "RU",
            asOf: "2022-09-16",
            status: .withdrawn,
            since: "2022-09-16",
            lastDay: "2022-09-15"
        ),
        // WHO: a party since 21 June 1948; notice of 6 July 2020 (effective 6 July 2021) retracted on 20 January 2021;
        // notice of 22 January 2025, effective 22 January 2026.
        .init(agreement: "who-constitution", party: "US", asOf: "1948-06-21", status: .party, since: "1948-06-21"),
        .init(agreement: "who-constitution", party: "US", asOf: "2021-01-19", status: .withdrawalPending, since: "1948-06-21", lastDay: "2021-07-05"),
        .init(agreement: "who-constitution", party: "US", asOf: "2021-01-20", status: .party, since: "1948-06-21"),
        .init(agreement: "who-constitution", party: "US", asOf: "2026-01-21", status: .withdrawalPending, since: "1948-06-21", lastDay: "2026-01-21"),
        .init(agreement: "who-constitution", party: "US", asOf: "2026-01-22", status: .withdrawn, since: "2026-01-22", lastDay: "2026-01-21"),
        // ICSID: 30 days after deposit for a later state; six months after receipt, counted from the day after.
        .init(
            agreement: "icsid-convention",
            party: "EC",
            asOf: "1986-02-13",
            status: .consented,
            since: "1986-01-15",
            boundFrom: "1986-02-14",
            eventId: "consent-ec-1986"
        ),
        .init(agreement: "icsid-convention", party: "EC", asOf: "1986-02-14", status: .party, since: "1986-02-14"),
        .init(agreement: "icsid-convention", party: "BO", asOf: "2007-11-02", status: .withdrawalPending, lastDay: "2007-11-02"),
        .init(agreement: "icsid-convention", party: "BO", asOf: "2007-11-03", status: .withdrawn, since: "2007-11-03", lastDay: "2007-11-02"),
        .init(agreement: "icsid-convention", party: "EC", asOf: "2010-01-06", status: .withdrawalPending, since: "1986-02-14", lastDay: "2010-01-06"),
        .init(agreement: "icsid-convention", party: "EC", asOf: "2010-01-07", status: .withdrawn, since: "2010-01-07", lastDay: "2010-01-06"),
        .init(agreement: "icsid-convention", party: "VE", asOf: "2012-07-24", status: .withdrawalPending, lastDay: "2012-07-24"),
        .init(agreement: "icsid-convention", party: "VE", asOf: "2012-07-25", status: .withdrawn, since: "2012-07-25", lastDay: "2012-07-24"),
        // American Convention: Venezuela's notice received 10 Sep 2012 takes effect on 10 Sep 2013, its last day bound.
        .init(
            agreement: "american-convention-on-human-rights",
            party: "VE",
            asOf: "2013-09-10",
            status: .withdrawalPending,
            lastDay: "2013-09-10"
        ),
        .init(
            agreement: "american-convention-on-human-rights",
            party: "VE",
            asOf: "2013-09-11",
            status: .withdrawn,
            since: "2013-09-11",
            lastDay: "2013-09-10"
        ),
        // Pact of Bogotá: Colombia bound from its deposit of 6 November 1968; its denunciation of 27 November 2012
        // takes effect a year later (computed: 27 November 2013).
        .init(agreement: "pact-of-bogota", party: "CO", asOf: "1968-11-05", status: .signatory),
        .init(agreement: "pact-of-bogota", party: "CO", asOf: "1968-11-06", status: .party, since: "1968-11-06"),
        .init(agreement: "pact-of-bogota", party: "CO", asOf: "2012-11-27", status: .withdrawalPending, since: "1968-11-06", lastDay: "2013-11-26"),
        .init(agreement: "pact-of-bogota", party: "CO", asOf: "2013-11-27", status: .withdrawn, since: "2013-11-27", lastDay: "2013-11-26"),
        // UPU: notice received 17 October 2018 (effective a year after), revoked by the letter of 10 October 2019.
        .init(agreement: "upu-constitution", party: "US", asOf: "2019-10-09", status: .withdrawalPending, lastDay: "2019-10-16"),
        .init(agreement: "upu-constitution", party: "US", asOf: "2019-10-10", status: .party),
        .init(agreement: "upu-constitution", party: "US", asOf: "2019-10-17", status: .party),
        // ICCPR First Optional Protocol: Trinidad and Tobago's accession (bound three months on, computed), its
        // denunciation of 26 May 1998 effective 26 August 1998, re-accession that day, second denunciation effective
        // 27 June 2000.
        .init(
            agreement: "iccpr-first-optional-protocol",
            party: "TT",
            asOf: "1981-02-13",
            status: .consented,
            since: "1980-11-14",
            boundFrom: "1981-02-14",
            eventId: "consent-tt-1980"
        ),
        .init(agreement: "iccpr-first-optional-protocol", party: "TT", asOf: "1981-02-14", status: .party, since: "1981-02-14"),
        .init(
            agreement: "iccpr-first-optional-protocol",
            party: "TT",
            asOf: "1998-08-25",
            status: .withdrawalPending,
            since: "1981-02-14",
            lastDay: "1998-08-25"
        ),
        .init(
            agreement: "iccpr-first-optional-protocol",
            party: "TT",
            asOf: "1998-08-26",
            status: .consented,
            since: "1998-08-26",
            boundFrom: "1998-11-26",
            eventId: "consent-tt-1998"
        ),
        .init(agreement: "iccpr-first-optional-protocol", party: "TT", asOf: "1998-11-26", status: .party, since: "1998-11-26"),
        .init(
            agreement: "iccpr-first-optional-protocol",
            party: "TT",
            asOf: "2000-06-27",
            status: .withdrawn,
            since: "2000-06-27",
            lastDay: "2000-06-26"
        ),
        // OAS Charter: Nicaragua deposited on 26 July 1950, bound from the entry into force of 13 December 1951;
        // its denunciation of 19 November 2021 takes effect two years on (19 November 2023).
        .init(agreement: "oas-charter", party: "NI", asOf: "1951-12-12", status: .consented, since: "1950-07-26", eventId: "consent-ni-1950"),
        .init(agreement: "oas-charter", party: "NI", asOf: "1951-12-13", status: .party, since: "1951-12-13"),
        .init(agreement: "oas-charter", party: "NI", asOf: "2023-11-18", status: .withdrawalPending, since: "1951-12-13", lastDay: "2023-11-18"),
        .init(agreement: "oas-charter", party: "NI", asOf: "2023-11-19", status: .withdrawn, since: "2023-11-19", lastDay: "2023-11-18"),
        // Rio Treaty: the United States deposited on 30 December 1947, bound from the entry into force of 3 December 1948.
        .init(agreement: "rio-treaty", party: "US", asOf: "1948-12-02", status: .consented, since: "1947-12-30", eventId: "consent-us-1947"),
        .init(agreement: "rio-treaty", party: "US", asOf: "1948-12-03", status: .party, since: "1948-12-03"),
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
        var testDescription: String { "\(agreement) as of \(asOf)" }
    }

    static let agreementCases: [AgreementCase] = [
        // ABM: US notice of 13 December 2001; the withdrawal took effect on 13 June 2002, ending the bilateral treaty.
        .init(agreement: "abm-treaty", asOf: "1972-10-03", state: .inForce, entry: "1972-10-03"),
        .init(agreement: "abm-treaty", asOf: "2001-12-13", state: .terminationPending, entry: "1972-10-03", lastDayInForce: "2002-06-12"),
        .init(agreement: "abm-treaty", asOf: "2002-06-13", state: .terminated, entry: "1972-10-03", lastDayInForce: "2002-06-12"),
        // VFA: notice of 11 February 2020, 180 days (termination set for 9 August 2020), suspended on 1 June 2020,
        // recalled on 30 July 2021.
        .init(
            agreement: "us-philippines-visiting-forces-agreement",
            asOf: "2020-05-31",
            state: .terminationPending,
            entry: "1999-06-01",
            lastDayInForce: "2020-08-08"
        ),
        .init(agreement: "us-philippines-visiting-forces-agreement", asOf: "2020-06-01", state: .inForce, entry: "1999-06-01"),
        .init(agreement: "us-philippines-visiting-forces-agreement", asOf: "2020-08-09", state: .inForce, entry: "1999-06-01"),
        .init(agreement: "us-philippines-visiting-forces-agreement", asOf: "2021-07-30", state: .inForce, entry: "1999-06-01"),
        // TPP never entered into force.
        .init(agreement: "trans-pacific-partnership", asOf: "2026-11-29", state: .notYetInForce),
        // Entry into force of the multilateral agreements added.
        .init(agreement: "icsid-convention", asOf: "1966-10-14", state: .inForce, entry: "1966-10-14"),
        .init(agreement: "american-convention-on-human-rights", asOf: "1978-07-18", state: .inForce, entry: "1978-07-18"),
        .init(agreement: "pact-of-bogota", asOf: "1949-05-06", state: .inForce, entry: "1949-05-06"),
        .init(agreement: "upu-constitution", asOf: "1966-01-01", state: .inForce, entry: "1966-01-01"),
        .init(agreement: "european-convention-on-human-rights", asOf: "1953-09-03", state: .inForce, entry: "1953-09-03"),
        .init(agreement: "who-constitution", asOf: "1948-04-07", state: .inForce, entry: "1948-04-07"),
        .init(agreement: "iccpr-first-optional-protocol", asOf: "1976-03-23", state: .inForce, entry: "1976-03-23"),
        .init(agreement: "oas-charter", asOf: "1951-12-13", state: .inForce, entry: "1951-12-13"),
        .init(agreement: "rio-treaty", asOf: "1948-12-03", state: .inForce, entry: "1948-12-03"),
        // NAFTA: in force 1 January 1994; superseded by the USMCA on 1 July 2020.
        .init(agreement: "nafta", asOf: "2020-06-30", state: .inForce, entry: "1994-01-01"),
        .init(agreement: "nafta", asOf: "2020-07-01", state: .terminated, entry: "1994-01-01", lastDayInForce: "2020-06-30"),
        // START I: fifteen years from 5 December 1994; expired 5 December 2009.
        .init(
            agreement: "start-i",
            asOf: "2009-12-04",
            state: .inForce,
            entry: "1994-12-05",
            lastDayInForce: "2009-12-04",
            termStart: "1994-12-05"
        ),
        .init(agreement: "start-i", asOf: "2009-12-05", state: .expired, entry: "1994-12-05", lastDayInForce: "2009-12-04"),
        // US–ROC: notice of 23 December 1978, effective as of 1 January 1979; terminated 1 January 1980.
        .init(
            agreement: "us-roc-mutual-defense-treaty",
            asOf: "1979-06-01",
            state: .terminationPending,
            entry: "1955-03-03",
            lastDayInForce: "1979-12-31"
        ),
        .init(agreement: "us-roc-mutual-defense-treaty", asOf: "1980-01-01", state: .terminated, entry: "1955-03-03", lastDayInForce: "1979-12-31"),
        // ANZUS: signed 1 September 1951, in force 29 April 1952.
        .init(agreement: "anzus-treaty", asOf: "1952-04-28", state: .notYetInForce),
        .init(agreement: "anzus-treaty", asOf: "1952-04-29", state: .inForce, entry: "1952-04-29"),
        // Warsaw Pact: in force 5 June 1955; dissolved by the Protocol signed at Prague on 1 July 1991.
        .init(agreement: "warsaw-pact", asOf: "1955-06-05", state: .inForce, entry: "1955-06-05"),
        .init(agreement: "warsaw-pact", asOf: "1991-06-30", state: .inForce, entry: "1955-06-05"),
        .init(agreement: "warsaw-pact", asOf: "1991-07-01", state: .terminated, entry: "1955-06-05", lastDayInForce: "1991-06-30"),
        // US–Japan: in force since 23 June 1960, no notice given.
        .init(agreement: "us-japan-security-treaty", asOf: "2026-11-29", state: .inForce, entry: "1960-06-23"),
    ]

    @Test(arguments: agreementCases)
    func agreementsMatchTheRecord(_ expected: AgreementCase) throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset(expected.agreement), asOf: Fixtures.date(expected.asOf))
        #expect(status.state == expected.state)
        #expect(status.entryIntoForce?.description == expected.entry)
        #expect(status.lastDayInForce?.description == expected.lastDayInForce)
        if let start = expected.termStart { #expect(status.currentTerm?.start.description == start) }
    }

    /// A suspended notice is flagged until it is revoked, and then has no effect at all.
    @Test func theVisitingForcesNoticeIsSuspendedThenRevoked() throws {
        let agreement = try Fixtures.dataset("us-philippines-visiting-forces-agreement")
        let suspended = RulesEngine.evaluate(agreement, asOf: Fixtures.date("2020-08-09"))
        #expect(suspended.flags.map(\.code) == [.noticeSuspended])
        #expect(suspended.flags.first?.since == Fixtures.date("2020-06-01"))
        let revoked = RulesEngine.evaluate(agreement, asOf: Fixtures.date("2021-07-30"))
        #expect(revoked.flags.map(\.code) == [])
        #expect(revoked.lastDayInForce == nil)
    }

    /// Supersession is its own end cause, dated by the later agreement's entry into force.
    @Test func naftaEndsBySupersession() throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset("nafta"), asOf: Fixtures.date("2026-11-29"))
        #expect(status.endCause?.kind == .terminated)
        #expect(status.endCause?.reason == .supersession)
        #expect(status.endCause?.eventId == "superseded-2020")
    }

    /// A bilateral withdrawal ends the agreement, the withdrawing party named.
    @Test func bilateralWithdrawalsEndTheirTreaties() throws {
        let abm = RulesEngine.evaluate(try Fixtures.dataset("abm-treaty"), asOf: Fixtures.date("2026-11-29"))
        #expect(abm.endCause?.reason == .withdrawal)
        #expect(abm.endCause?.party == "US")
        let roc = RulesEngine.evaluate(try Fixtures.dataset("us-roc-mutual-defense-treaty"), asOf: Fixtures.date("2026-11-29"))
        #expect(roc.endCause?.reason == .withdrawal)
        #expect(roc.endCause?.party == "US")
    }

    /// Shape 10 in a real agreement: Bolivia's notice of 10 June 2011 ended the Bolivia–US investment treaty on
    /// 10 June 2012 (Federal Register, as reported), and covered investments keep its protection for ten more years,
    /// through 9 June 2022 (computed: the sources give no end date of their own).
    @Test func theBoliviaUSInvestmentTreatySurvivesItsTermination() throws {
        let treaty = try Fixtures.dataset("bolivia-us-bit")
        let before = RulesEngine.evaluate(treaty, asOf: Fixtures.date("2011-06-09"))
        #expect(before.state == .inForce)
        #expect(before.entryIntoForce == Fixtures.date("2001-06-06"))
        #expect(before.obligationsSurviveThrough == nil)
        let noticed = RulesEngine.evaluate(treaty, asOf: Fixtures.date("2011-06-10"))
        #expect(noticed.state == .terminationPending)
        #expect(noticed.lastDayInForce == Fixtures.date("2012-06-09"))
        #expect(noticed.obligationsSurviveThrough == Fixtures.date("2022-06-09"))
        let ended = RulesEngine.evaluate(treaty, asOf: Fixtures.date("2012-06-10"))
        #expect(ended.state == .terminated)
        #expect(ended.endCause?.reason == .withdrawal)
        #expect(ended.endCause?.party == "BO")
        #expect(ended.obligationsSurviveThrough == Fixtures.date("2022-06-09"))
        #expect(ended.flags.isEmpty, "the recorded end agrees with the notice: \(ended.flags)")
        #expect(RulesEngine.evaluate(treaty, asOf: Fixtures.date("2026-11-29")).obligationsSurviveThrough == Fixtures.date("2022-06-09"))
    }

    /// Shape 6 in a real clause: Article 23(6) of the EU–Belarus readmission agreement lets a party suspend it by
    /// notification, "on the second day following the day of such notification". The record holds no notification
    /// (no source dates Belarus's of 2021), so nothing is suspended; the notification below is hypothetical, there only
    /// to show what the real clause computes, and is never saved.
    @Test func theEUBelarusReadmissionClauseSuspendsOnTheSecondDayAfterANotification() throws {
        let agreement = try Fixtures.dataset("eu-belarus-readmission-agreement")
        let recorded = RulesEngine.evaluate(agreement, asOf: Fixtures.date("2026-11-29"))
        #expect(recorded.state == .inForce)
        #expect(recorded.entryIntoForce == Fixtures.date("2020-07-01"))
        #expect(recorded.parties.allSatisfy { $0.performanceSuspension == nil })
        #expect(recorded.flags.isEmpty)
        var whatIf = agreement
        whatIf.events.append(
            Event(
                id: "hypothetical",
                type: .performanceSuspensionNotified,
                date: Fixtures.date("2021-10-29"),
                party: "BY",
                received: Fixtures.date("2021-10-30")
            )
        )
        let belarus = RulesEngine.evaluate(whatIf, asOf: Fixtures.date("2021-10-31")).parties.first { $0.party == "BY" }
        #expect(belarus?.performanceSuspension?.from == Fixtures.date("2021-11-01"))
        #expect(belarus?.performanceSuspension?.inEffect == false)
        #expect(
            RulesEngine.evaluate(whatIf, asOf: Fixtures.date("2021-11-01")).parties.first { $0.party == "BY" }?.performanceSuspension?.inEffect
                == true
        )
    }

    /// Every exit the added files record is computed from a recorded notice: the dataset takes no record as it
    /// stands (no `withdrawalWithoutNotice`), and the recorded dates agree with the rules.
    @Test func recordedExitsFollowFromRecordedNotices() throws {
        let echr = RulesEngine.evaluate(try Fixtures.dataset("european-convention-on-human-rights"), asOf: Fixtures.date("2026-11-29"))
        #expect(echr.flags.isEmpty)
        let russia = try #require(echr.parties.first { $0.party == "RU" })
        #expect(russia.since == Fixtures.date("2022-09-16"))
        #expect(russia.withdrawalFollows == "statute-of-the-council-of-europe")
        for id in Self.added {
            let status = RulesEngine.evaluate(try Fixtures.dataset(id), asOf: Fixtures.date("2026-11-29"))
            #expect(status.flags.filter { $0.code == .withdrawalWithoutNotice || $0.code == .recordedDateDiffers }.isEmpty, "\(id)")
        }
    }

    /// Termination by the parties' consent is its own end cause.
    @Test func theWarsawPactEndsByConsent() throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset("warsaw-pact"), asOf: Fixtures.date("2026-11-29"))
        #expect(status.endCause?.reason == .consent)
        #expect(status.endCause?.eventId == "terminatedbyconsent-1991")
    }

    /// The US–Japan treaty's ten-year lock-in: before 23 June 1970 no notice could count, so the nearest possible end
    /// was a year after that day.
    @Test func theSecurityTreatyLockInDelaysTheFirstPossibleWithdrawal() throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset("us-japan-security-treaty"), asOf: Fixtures.date("1965-01-01"))
        let japan = try #require(status.parties.first { $0.party == "JP" })
        #expect(japan.nextWithdrawal?.effectiveFrom == Fixtures.date("1971-06-23"))
    }
}
