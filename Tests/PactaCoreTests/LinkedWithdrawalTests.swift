import Foundation
import Testing

@testable import PactaCore

/// Issue #14, shape 11: a withdrawal from one agreement implies a withdrawal from another that depends on it (Kyoto
/// Protocol Art. 27(3), Paris Agreement Art. 28(3)). The rules are the real texts (`Data/agreements`); no party has
/// withdrawn from the Convention itself, so the framework here is a test-only agreement with a synthetic notice.
@Suite struct LinkedWithdrawalTests {
    typealias F = Fixtures

    /// A test-only stand-in for the UNFCCC (Art. 25: one year after the depositary's receipt), Russia a party since
    /// 1994, with a synthetic notice when `notice` is given. Never in the dataset.
    static func framework(notice: String? = nil, revoked: String? = nil) -> Agreement {
        var events = [Event(id: "eif", type: .entryIntoForce, date: F.date("1994-03-21"))]
        if let notice {
            events.append(
                Event(id: "synthetic-notice-ru", type: .noticeOfWithdrawal, date: F.date(notice), party: "RU", received: F.date(notice))
            )
        }
        if let revoked {
            events.append(
                Event(id: "synthetic-revocation-ru", type: .noticeRevoked, date: F.date(revoked), party: "RU", refersTo: "synthetic-notice-ru")
            )
        }
        return Agreement(
            id: "unfccc",
            title: "Framework convention (test double)",
            kind: .multilateral,
            parties: [Party(code: "RU", name: "Russian Federation")],
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onEvent),
                term: TermRule(kind: .indefinite),
                withdrawal: WithdrawalRule(notice: .years(1), noticeDate: .receipt, article: "Art. 25")
            ),
            events: events
        )
    }

    static func kyoto(with framework: Agreement?) throws -> Agreement {
        LinkedAgreements.resolve(try F.dataset("kyoto-protocol")) { $0 == "unfccc" ? framework : nil }
    }

    static func ru(_ agreement: Agreement, _ asOf: String) -> PartyStatus? {
        RulesEngine.evaluate(agreement, asOf: F.date(asOf)).parties.first { $0.party == "RU" }
    }

    @Test func aWithdrawalFromTheConventionIsAWithdrawalFromTheProtocolOnTheSameDay() throws {
        let kyoto = try Self.kyoto(with: Self.framework(notice: "2030-05-10"))
        #expect(Self.ru(kyoto, "2030-05-09")?.status == .party)
        let pending = Self.ru(kyoto, "2030-05-10")
        #expect(pending?.status == .withdrawalPending)
        #expect(pending?.lastDayAsParty == F.date("2031-05-09"))
        #expect(pending?.withdrawalFollows == "unfccc")
        let out = Self.ru(kyoto, "2031-05-10")
        #expect(out?.status == .withdrawn)
        #expect(out?.since == F.date("2031-05-10"))
        let trace = RulesEngine.evaluate(kyoto, asOf: F.date("2031-05-10")).trace
        let step = trace.first { $0.subject == "linkedWithdrawal" && $0.inputs["party"] == "RU" }
        #expect(step?.article == "Art. 27(3)")
        #expect(step?.result == "2031-05-09")
        // The withdrawal appears among the deadlines the walk over the calendar finds, and the fast paths agree.
        let deadlines = DeadlineProjection.deadlines(for: kyoto, from: F.date("2031-01-01"), through: F.date("2031-12-31"))
        #expect(deadlines.contains { $0.kind == .withdrawalEffective && $0.date == F.date("2031-05-10") && $0.party == "RU" })
        NoSilentNoOpTests.checkEquivalence(kyoto)
    }

    @Test func theProtocolsOwnEarlierWithdrawalStands() throws {
        // Canada's own notice of 15 December 2011 took effect on 15 December 2012; a later Convention notice changes
        // nothing for it, and one by a party not in the Protocol is ignored.
        let kyoto = try Self.kyoto(with: Self.framework(notice: "2030-05-10"))
        let ca = RulesEngine.evaluate(kyoto, asOf: F.date("2032-01-01")).parties.first { $0.party == "CA" }
        #expect(ca?.status == .withdrawn)
        #expect(ca?.since == F.date("2012-12-15"))
        #expect(ca?.withdrawalFollows == nil)
    }

    @Test func aRevokedConventionNoticeNoLongerEndsTheProtocol() throws {
        let kyoto = try Self.kyoto(with: Self.framework(notice: "2030-05-10", revoked: "2030-09-01"))
        #expect(Self.ru(kyoto, "2030-08-31")?.status == .withdrawalPending)
        #expect(Self.ru(kyoto, "2030-09-01")?.status == .party)
        #expect(Self.ru(kyoto, "2032-01-01")?.status == .party)
        NoSilentNoOpTests.checkEquivalence(kyoto)
    }

    @Test func withoutTheConventionInTheCatalogNothingIsFollowedAndTheTraceSaysSo() throws {
        let kyoto = try Self.kyoto(with: nil)
        #expect(kyoto.linked.isEmpty)
        let status = RulesEngine.evaluate(kyoto, asOf: F.date("2031-06-01"))
        #expect(status.parties.first { $0.party == "RU" }?.status == .party)
        #expect(status.trace.contains { $0.subject == "linkedWithdrawal" && $0.explanation.contains("not in the catalog") })
    }

    @Test func theLinkIsNotPartOfTheDocumentAndChangesTheAnswerWhenTheConventionChanges() throws {
        let plain = try Self.kyoto(with: Self.framework())
        let withdrawing = try Self.kyoto(with: Self.framework(notice: "2030-05-10"))
        // The encoding (what the API returns and the store keeps) is the same; the resolved agreements differ, so a
        // cache keyed by the resolved agreement is invalidated when the Convention changes.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(plain) == encoder.encode(try F.dataset("kyoto-protocol")))
        #expect(plain != withdrawing)
        #expect(LifecycleBuilder.build(plain).items != LifecycleBuilder.build(withdrawing).items)
        #expect(Self.ru(plain, "2031-06-01")?.status == .party)
        #expect(Self.ru(withdrawing, "2031-06-01")?.status == .withdrawn)
    }

    @Test func parisNamesTheConventionToo() throws {
        let paris = try F.dataset("paris-agreement")
        #expect(paris.rules.linkedWithdrawal == LinkedWithdrawalRule(agreement: "unfccc", article: "Art. 28(3)"))
        #expect(LinkedAgreements.ids(of: paris) == ["unfccc"])
    }

    // MARK: "Under the same conditions": the ECHR follows the Statute of the Council of Europe (Art. 58(3))

    static func echr(_ asOf: String) throws -> AgreementStatus {
        RulesEngine.evaluate(try F.dataset("european-convention-on-human-rights"), asOf: F.date(asOf))
    }

    @Test func russiaLeavesTheConventionSixMonthsAfterItsExclusionFromTheCouncil() throws {
        let echr = try F.dataset("european-convention-on-human-rights")
        #expect(echr.rules.linkedWithdrawal?.effect == .ownNoticePeriod)
        #expect(echr.linked["statute-of-the-council-of-europe"] != nil)
        let pending = try #require(try Self.echr("2022-03-16").parties.first { $0.party == "RU" })
        #expect(pending.status == .withdrawalPending)
        #expect(pending.lastDayAsParty == F.date("2022-09-15"))
        #expect(pending.withdrawalFollows == "statute-of-the-council-of-europe")
        let status = try Self.echr("2022-09-16")
        let step = try #require(status.trace.first { $0.subject == "linkedWithdrawal" && $0.inputs["party"] == "RU" })
        #expect(step.article == "Art. 58(3)")
        #expect(step.inputs["effectiveFrom"] == "2022-03-16")
        #expect(step.result == "2022-09-15")
        #expect(step.convention?.contains("P6M") == true)
        // The recorded end has its cause: no withdrawalWithoutNotice, and the dates agree.
        #expect(status.flags.isEmpty)
        let deadlines = DeadlineProjection.deadlines(for: echr, from: F.date("2022-01-01"), through: F.date("2023-12-31"))
        let effective = deadlines.filter { $0.kind == .withdrawalEffective && $0.party == "RU" }
        #expect(effective.map(\.date) == [F.date("2022-09-16")])
        #expect(effective.first?.rule == "linkedWithdrawal")
        NoSilentNoOpTests.checkEquivalence(echr)
    }

    @Test func beforeTheExclusionTheConventionFollowsTheStatutesOwnWithdrawal() throws {
        // On 15 March 2022 the record holds only Russia's Art. 7 notification: out of the Council after 31 December
        // 2022, so out of the Convention six months after 1 January 2023 (computed; the exclusion overtook it).
        let russia = try #require(try Self.echr("2022-03-15").parties.first { $0.party == "RU" })
        #expect(russia.status == .withdrawalPending)
        #expect(russia.lastDayAsParty == F.date("2023-06-30"))
    }

    @Test func withoutTheStatuteTheRecordedEndStandsAndIsFlagged() throws {
        var echr = try F.dataset("european-convention-on-human-rights")
        echr.linked = [:]
        let status = RulesEngine.evaluate(echr, asOf: F.date("2022-09-16"))
        #expect(status.parties.first { $0.party == "RU" }?.since == F.date("2022-09-16"))
        #expect(status.flags.map(\.code) == [.withdrawalWithoutNotice])
    }

    @Test func aRecordedEndTheLinkDoesNotGiveIsFlagged() throws {
        var echr = try F.dataset("european-convention-on-human-rights")
        let index = try #require(echr.events.firstIndex { $0.type == .withdrawalEffective })
        echr.events[index].date = F.date("2022-09-17")
        let status = RulesEngine.evaluate(echr, asOf: F.date("2022-10-01"))
        // The rules' date stands; the record's is flagged, and not as a withdrawal without notice.
        #expect(status.parties.first { $0.party == "RU" }?.since == F.date("2022-09-16"))
        #expect(status.flags.map(\.code) == [.recordedDateDiffers])
        #expect(status.flags.first?.eventId == echr.events[index].id)
    }

    @Test func anOwnNoticePeriodLinkNeedsAWithdrawalClause() throws {
        var echr = try F.dataset("european-convention-on-human-rights")
        echr.rules.withdrawal = nil
        #expect(AgreementValidator.validate(echr).contains { $0.pointer == "/rules/linkedWithdrawal/effect" })
    }
}
