import Foundation
import Testing

@testable import PactaCore

/// Issue #14, shape 9: a state that deposited its consent but is not yet bound is `consented`, with the day it will
/// be bound, whether or not it signed; one that only signed is a `signatory`; one that withdrew its signature is
/// `notParty`, naming the event. (The dataset's cases are in ``DatasetTests``.)
@Suite struct ConsentStateTests {
    typealias F = Fixtures

    /// In force from 2000-01-01; a later consent takes effect 30 days after its deposit. AA is an original party
    /// (nothing on record), SS signed in 1999, EE consented before the entry into force without signing, LL signed and
    /// consents later.
    static func convention(events: [Event]) -> Agreement {
        Agreement(
            id: "convention",
            title: "A convention",
            kind: .multilateral,
            parties: ["AA", "SS", "EE", "LL"].map { Party(code: $0, name: $0) },
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(
                    kind: .onDate,
                    date: F.date("2000-01-01"),
                    laterParties: LaterPartiesRule(delay: .days(30))
                ),
                term: TermRule(kind: .indefinite),
                withdrawal: WithdrawalRule(notice: .years(1), noticeDate: .receipt)
            ),
            events: [
                Event(id: "signature-ss", type: .signature, date: F.date("1999-03-01"), party: "SS"),
                Event(id: "signature-ll", type: .signature, date: F.date("1999-03-01"), party: "LL"),
                Event(id: "consent-ee", type: .consent, date: F.date("1999-06-01"), party: "EE"),
            ] + events
        )
    }

    static func party(_ agreement: Agreement, _ code: String, _ asOf: String) -> PartyStatus? {
        RulesEngine.evaluate(agreement, asOf: F.date(asOf)).parties.first { $0.party == code }
    }

    @Test func aConsentBeforeTheEntryIntoForceIsConsentedUntilThen() {
        let agreement = Self.convention(events: [])
        let before = Self.party(agreement, "EE", "1999-12-31")
        #expect(before?.status == .consented)
        #expect(before?.since == F.date("1999-06-01"))
        #expect(before?.boundFrom == F.date("2000-01-01"))
        #expect(before?.eventId == "consent-ee")
        #expect(Self.party(agreement, "SS", "1999-12-31")?.status == .signatory)
        let after = Self.party(agreement, "EE", "2000-01-01")
        #expect(after?.status == .party)
        #expect(after?.since == F.date("2000-01-01"))
        #expect(after?.boundFrom == nil)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aSignatorysLaterDepositIsConsentedUntilItsOwnEntryIntoForce() {
        let agreement = Self.convention(events: [
            Event(id: "consent-ll", type: .consent, date: F.date("2005-03-01"), party: "LL")
        ])
        #expect(Self.party(agreement, "LL", "2005-02-28")?.status == .signatory)
        let pending = Self.party(agreement, "LL", "2005-03-30")
        #expect(pending?.status == .consented)
        #expect(pending?.since == F.date("2005-03-01"))
        #expect(pending?.boundFrom == F.date("2005-03-31"))
        #expect(Self.party(agreement, "LL", "2005-03-31")?.status == .party)
        // The timeline shows the day ahead as projected.
        let timeline = RulesEngine.timeline(
            agreement,
            asOf: F.date("2005-03-10"),
            from: F.date("2005-01-01"),
            to: F.date("2005-12-31")
        )
        let entry = timeline.items.filter { $0.kind == .partyEntryIntoForce && $0.party == "LL" }
        #expect(entry.map(\.date) == [F.date("2005-03-31")])
        #expect(entry.first?.projected == true)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aWithdrawnSignatureLeavesTheStateNotAPartyNamingTheEvent() {
        let agreement = Self.convention(events: [
            Event(id: "unsign-ss", type: .signatureWithdrawn, date: F.date("2010-07-18"), party: "SS")
        ])
        #expect(Self.party(agreement, "SS", "2010-07-17")?.status == .signatory)
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2010-07-18"))
        let standing = status.parties.first { $0.party == "SS" }
        #expect(standing?.status == .notParty)
        #expect(standing?.since == F.date("2010-07-18"))
        #expect(standing?.eventId == "unsign-ss")
        #expect(status.trace.contains { $0.eventId == "unsign-ss" && $0.result == "notParty" })
        #expect(status.flags.isEmpty)
        // The timeline does not take the withdrawal of signature for an entry into force.
        let timeline = RulesEngine.timeline(
            agreement,
            asOf: F.date("2011-01-01"),
            from: F.date("2010-01-01"),
            to: F.date("2011-12-31")
        )
        #expect(!timeline.items.contains { $0.kind == .partyEntryIntoForce && $0.party == "SS" })
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aStateThatWithdrewItsSignatureMayStillJoin() {
        let agreement = Self.convention(events: [
            Event(id: "unsign-ll", type: .signatureWithdrawn, date: F.date("2010-07-18"), party: "LL"),
            Event(id: "consent-ll", type: .consent, date: F.date("2015-01-10"), party: "LL"),
        ])
        #expect(Self.party(agreement, "LL", "2015-01-09")?.status == .notParty)
        #expect(Self.party(agreement, "LL", "2015-01-10")?.status == .consented)
        #expect(Self.party(agreement, "LL", "2015-01-10")?.boundFrom == F.date("2015-02-09"))
        #expect(Self.party(agreement, "LL", "2015-02-09")?.status == .party)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aWithdrawnSignatureDoesNotUndoAConsentAndIsFlagged() {
        let agreement = Self.convention(events: [
            Event(id: "unsign-ee", type: .signatureWithdrawn, date: F.date("2003-01-01"), party: "EE")
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2004-01-01"))
        #expect(status.parties.first { $0.party == "EE" }?.status == .party)
        let flags = status.flags.filter { $0.code == .signatureWithdrawalWithoutEffect }
        #expect(flags.map(\.eventId) == ["unsign-ee"])
        #expect(flags.first?.party == "EE")
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aRevokedConsentLeavesASignatoryASignatory() {
        let agreement = Self.convention(events: [
            Event(id: "consent-ll", type: .consent, date: F.date("2005-03-01"), party: "LL"),
            Event(id: "revoke-ll", type: .consentRevoked, date: F.date("2005-03-20"), party: "LL"),
        ])
        #expect(Self.party(agreement, "LL", "2005-03-19")?.status == .consented)
        #expect(Self.party(agreement, "LL", "2005-03-20")?.status == .signatory)
        #expect(Self.party(agreement, "LL", "2006-01-01")?.status == .signatory)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aSignatureWithdrawalMustNameItsParty() {
        var agreement = Self.convention(events: [])
        agreement.events.append(Event(id: "unsign", type: .signatureWithdrawn, date: F.date("2010-01-01")))
        #expect(AgreementValidator.validate(agreement).map(\.pointer) == ["/events/3/party"])
    }
}
