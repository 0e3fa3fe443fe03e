import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PactaCore
import PactaStore
import Testing

@testable import PactaServer

/// Test-only agreements for issue #14, shape 11 (a withdrawal from one agreement implies a withdrawal from those that
/// name it in `rules.linkedWithdrawal`). Never in the dataset: no source gives the UNFCCC's dates.
enum LinkedFixtures {
    /// Appends to the framework (`unfccc`) Russia's notice of withdrawal, given and received on `received`, through
    /// the API, and expects it recorded.
    static func appendRussianNotice(received: String, _ client: any TestClientProtocol, _ app: TestApp) async throws {
        let notice = """
            {"events": [{"type": "noticeOfWithdrawal", "date": "\(received)", "received": "\(received)", "party": "RU"}]}
            """
        let appended = try await client.execute(
            uri: "/v1/agreements/unfccc/events",
            method: .post,
            headers: app.auth,
            body: ByteBuffer(string: notice)
        )
        #expect(appended.status == .created)
    }

    static func date(_ text: String) -> CalendarDate { try! CalendarDate(parsing: text) }

    /// A stand-in for the UNFCCC (withdrawal one year after the depositary's receipt), Russia and AA parties since 1994.
    static func framework(events extra: [Event] = []) -> Agreement {
        Agreement(
            id: "unfccc",
            title: "Framework convention (test double)",
            kind: .multilateral,
            parties: [Party(code: "RU", name: "Russian Federation"), Party(code: "AA", name: "A")],
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onEvent),
                term: TermRule(kind: .indefinite),
                withdrawal: WithdrawalRule(notice: .years(1), noticeDate: .receipt, article: "Art. 25")
            ),
            events: [Event(id: "eif", type: .entryIntoForce, date: date("1994-03-21"))] + extra
        )
    }

    /// Russia's notice of withdrawal from the framework, received on `date` (effective a year later).
    static func notice(_ text: String, id: String = "synthetic-notice-ru") -> Event {
        Event(id: id, type: .noticeOfWithdrawal, date: date(text), party: "RU", received: date(text))
    }

    /// A bilateral agreement between Russia and AA that names `framework`: a party leaving the framework ends it.
    static func sideAccord(id: String = "side-accord", naming framework: String = "unfccc") -> Agreement {
        Agreement(
            id: id,
            title: "Side accord (test double)",
            kind: .bilateral,
            parties: [Party(code: "RU", name: "Russian Federation"), Party(code: "AA", name: "A")],
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onDate, date: date("2000-01-01")),
                term: TermRule(kind: .indefinite),
                linkedWithdrawal: LinkedWithdrawalRule(agreement: framework, article: "Art. 9")
            )
        )
    }

    static func stored(_ agreement: Agreement, _ version: String = "1") -> StoredAgreement {
        StoredAgreement(agreement: agreement, version: version, revision: 0)
    }

    static func json(_ agreement: Agreement) throws -> ByteBuffer {
        ByteBuffer(data: try JSONEncoder().encode(agreement))
    }
}

/// The catalog resolves links in its snapshot, write by write, as a snapshot built from scratch does.
@Suite struct CatalogLinkTests {
    typealias L = LinkedFixtures

    /// Writes in every order that matters: the dependent before its framework, the framework created, changed and
    /// deleted, the dependent rewritten, a cycle. After each, the snapshot equals a fresh one of the same documents,
    /// links (``Agreement/linked``) included, and the reverse map names the dependents.
    @Test func writesResolveLinksAsAFreshSnapshotDoes() throws {
        let kyoto = try #require(BundledData.agreements().first { $0.id == "kyoto-protocol" })
        var documents: [String: StoredAgreement] = [kyoto.id: L.stored(kyoto)]
        var snapshot = AgreementCatalog.Snapshot(Array(documents.values), revision: 0)
        var cycleA = L.sideAccord(id: "cycle-a", naming: "cycle-b")
        cycleA.kind = .multilateral
        var cycleB = L.sideAccord(id: "cycle-b", naming: "cycle-a")
        cycleB.kind = .multilateral
        let writes: [(String, StoredAgreement?)] = [
            ("side-accord", L.stored(L.sideAccord())),
            ("unfccc", L.stored(L.framework())),
            ("unfccc", L.stored(L.framework(events: [L.notice("2030-05-10")]), "2")),
            ("side-accord", L.stored(L.sideAccord(naming: "elsewhere"), "2")),
            ("side-accord", L.stored(L.sideAccord(), "3")),
            ("cycle-a", L.stored(cycleA)),
            ("cycle-b", L.stored(cycleB)),
            ("unfccc", nil),
            ("unfccc", L.stored(L.framework(events: [L.notice("2031-01-10")]), "4")),
        ]
        for (step, (id, stored)) in writes.enumerated() {
            snapshot = snapshot.replacing(id, with: stored, revision: Int64(step + 1))
            documents[id] = stored
            let fresh = AgreementCatalog.Snapshot(Array(documents.values), revision: Int64(step + 1))
            #expect(snapshot.byId == fresh.byId, "after write \(step) to \(id)")
            #expect(snapshot.ordered == fresh.ordered, "after write \(step) to \(id)")
            #expect(snapshot.links.dependents == fresh.links.dependents, "after write \(step) to \(id)")
            for (id, held) in snapshot.byId {
                #expect(held.version == documents[id]?.version, "\(id): the document is the store's")
                for named in LinkedAgreements.ids(of: held.agreement) where named != id {
                    #expect(held.agreement.linked[named] == documents[named]?.agreement, "\(id) -> \(named) after write \(step)")
                }
            }
        }
        #expect(snapshot.links.dependents(of: "unfccc") == ["kyoto-protocol", "side-accord"])
        let protocolNow = try #require(snapshot.byId["kyoto-protocol"])
        #expect(protocolNow.agreement.linked["unfccc"]?.events.map(\.id) == ["eif", "synthetic-notice-ru"])
        // One level: each of the cycle is given the other without its links.
        let a = try #require(snapshot.byId["cycle-a"]?.agreement)
        #expect(a.linked["cycle-b"]?.linked.isEmpty == true)
        #expect(a.linked["cycle-b"]?.id == "cycle-b")
    }

    static func states(_ lifecycle: AgreementLifecycle) -> [String] { lifecycle.stateChanges.map { "\($0.from) \($0.state)" } }

    /// The tag of a dependent's inputs moves with its framework's version (written, deleted, created again); an
    /// agreement that names none keeps its document's ETag.
    @Test func theInputsTagNamesTheLinkedAgreementsVersion() throws {
        let bundled = try BundledData.agreements().map { L.stored($0) }
        var snapshot = AgreementCatalog.Snapshot(bundled, revision: 0)
        let gsomia = try #require(snapshot.byId["gsomia"])
        #expect(snapshot.inputsTag(of: gsomia) == gsomia.etag)
        var tags: [String] = []
        func tag() throws -> String { snapshot.inputsTag(of: try #require(snapshot.byId["kyoto-protocol"])) }
        tags.append(try tag())
        snapshot = snapshot.replacing("unfccc", with: L.stored(L.framework()), revision: 1)
        tags.append(try tag())
        snapshot = snapshot.replacing("unfccc", with: L.stored(L.framework(events: [L.notice("2030-05-10")]), "2"), revision: 2)
        tags.append(try tag())
        snapshot = snapshot.replacing("unfccc", with: nil, revision: 3)
        #expect(try tag() == tags[0], "deleted again: the same inputs as before it existed")
        #expect(Set(tags).count == 3)
        #expect(snapshot.inputsTag(of: try #require(snapshot.byId["gsomia"])) == gsomia.etag)
    }

    /// Answers from a lifecycle index with a framework's write queued on it (and from the index rebuilt for the
    /// agreements the write queued) equal the engine's over a fresh snapshot: the write queues its dependents too.
    @Test func theLifecycleIndexFollowsAFrameworksWrites() async throws {
        let asOf = L.date("2031-06-01")
        let from = L.date("2031-01-01")
        let to = L.date("2031-12-31")
        let work = HeavyWork(threads: 1, queueLimit: 8, budget: .seconds(60))
        var documents = Dictionary(uniqueKeysWithValues: try BundledData.agreements().map { ($0.id, L.stored($0)) })
        documents["side-accord"] = L.stored(L.sideAccord())
        documents["unfccc"] = L.stored(L.framework())
        var snapshot = AgreementCatalog.Snapshot(Array(documents.values), revision: 0)
        let index = LifecycleBuilds.build(snapshot.ordered, reusing: nil, changed: [], threads: 2)
        snapshot.derived.lifecycles.withLock { $0 = .init(index: index, changes: []) }
        let stateBefore = try await snapshot.states(asOf: asOf, work: work)[try #require(snapshot.sortedIds.firstIndex(of: "side-accord"))]
        #expect(stateBefore == .inForce)

        let framework = L.stored(L.framework(events: [L.notice("2030-05-10")]), "2")
        snapshot = snapshot.replacing("unfccc", with: framework, revision: 1)
        documents["unfccc"] = framework
        let queued = snapshot.derived.lifecycles.withLock { $0.changes.map(\.id) }
        #expect(queued == ["unfccc", "kyoto-protocol", "paris-agreement", "side-accord"])
        let fresh = AgreementCatalog.Snapshot(Array(documents.values), revision: 1)
        let states = try await snapshot.states(asOf: asOf, work: work)
        #expect(try await states == fresh.states(asOf: asOf, work: work))
        let position = try #require(snapshot.sortedIds.firstIndex(of: "side-accord"))
        #expect(states[position] == .terminated)
        let reader = try #require(snapshot.stateReader(asOf: asOf))
        #expect(reader.state(at: position) == .terminated)
        // Compared without the zeros (the index counts every state, the engine's tally only those it met).
        let counts = try await snapshot.stateCounts(asOf: asOf, work: work).filter { $0.value != 0 }
        #expect(try await counts == fresh.stateCounts(asOf: asOf, work: work).filter { $0.value != 0 })
        #expect(counts[.terminated, default: 0] > 0)
        let deadlines = try await Array(snapshot.deadlines(from: from, to: to, work: work))
        #expect(try await deadlines == Array(fresh.deadlines(from: from, to: to, work: work)))
        #expect(deadlines.contains { $0.agreementId == "kyoto-protocol" && $0.party == "RU" && $0.kind == .withdrawalEffective })
        #expect(deadlines.contains { $0.agreementId == "side-accord" && $0.kind == .scheduledEnd && $0.date == L.date("2031-05-09") })

        // Rebuilt for what the write queued, as the catalog does: the dependents' lifecycles are built again.
        let rebuilt = LifecycleBuilds.build(snapshot.ordered, reusing: index, changed: Set(queued), threads: 1)
        #expect(rebuilt.states(on: asOf) == states)
        #expect(Array(rebuilt.window(from: from, through: to)) == deadlines)
        let protocolLifecycle = try #require(rebuilt.lifecycle(of: "kyoto-protocol"))
        let protocolNow = try #require(snapshot.byId["kyoto-protocol"]?.agreement)
        #expect(protocolLifecycle.items == LifecycleBuilder.build(protocolNow).items)
        #expect(protocolLifecycle.items != index.lifecycle(of: "kyoto-protocol")?.items)
    }

    /// The catalog itself, over a store: a framework's write queues its dependents on the lifecycle index, and the
    /// index rebuilt after enough writes holds their lifecycles as the engine gives them now.
    @Test func theCatalogRebuildsTheDependentsLifecycles() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        _ = try await store.seedIfNeeded(BundledData.agreements())
        let catalog = try await AgreementCatalog(store: store, lifecycleThreads: 2)
        try await catalog.waitForLifecycleIndex(withFewerChangesThan: 1)
        let first = try #require(catalog.snapshot.derived.lifecycles.withLock { $0.index })
        _ = try await catalog.create(L.framework())
        _ = try await catalog.appendEvents(
            [NewEvent(type: .noticeOfWithdrawal, date: L.date("2030-05-10"), party: "RU", received: L.date("2030-05-10"))],
            to: "unfccc",
            expected: .any,
            check: { _, _ in }
        )
        let queued = catalog.snapshot.derived.lifecycles.withLock { $0.changes.map(\.id) }
        #expect(queued.filter { $0 == "kyoto-protocol" }.count == 2, "queued by the creation and by the append: \(queued)")
        for index in 0..<AgreementCatalog.rebuildAfterWrites {
            var filler = L.sideAccord(id: "filler-\(index)", naming: "nothing")
            filler.rules.linkedWithdrawal = nil
            _ = try await catalog.create(filler)
        }
        try await catalog.waitForLifecycleIndex(withFewerChangesThan: AgreementCatalog.rebuildAfterWrites)
        let snapshot = catalog.snapshot
        let rebuilt = try #require(snapshot.derived.lifecycles.withLock { $0.index })
        #expect(rebuilt !== first)
        let protocolNow = try #require(snapshot.byId["kyoto-protocol"]?.agreement)
        #expect(protocolNow.linked["unfccc"]?.events.count == 2)
        let lifecycle = try #require(rebuilt.lifecycle(of: "kyoto-protocol"))
        #expect(lifecycle.items == LifecycleBuilder.build(protocolNow).items)
        #expect(Self.states(lifecycle) == Self.states(LifecycleBuilder.build(protocolNow)))
        #expect(lifecycle.items.contains { $0.kind == .withdrawalEffective && $0.party == "RU" && $0.date == L.date("2031-05-10") })
        await catalog.stopFollowing()
        try await store.close()
    }

    /// A start from the snapshot file does not take a dependent's lifecycle from the file when the agreement it names
    /// was written after the file: its answers changed though its own document did not.
    @Test func aDependentOfAnAgreementWrittenSinceTheFileIsStale() {
        let agreements = [L.stored(L.sideAccord()), L.stored(L.framework()), L.stored(L.sideAccord(id: "other", naming: "x"))]
        #expect(CatalogLinks.withDependents(["unfccc"], in: agreements) == ["unfccc", "side-accord"])
        #expect(CatalogLinks.withDependents([], in: agreements).isEmpty)
    }
}

/// Over HTTP: every read path gives the linked answer, and none serves an answer from before the framework's write.
@Suite struct LinkedAgreementRouteTests {
    typealias L = LinkedFixtures

    static func party(_ json: [String: Any], _ code: String) -> [String: Any]? {
        (json["parties"] as? [[String: Any]])?.first { $0["party"] as? String == code }
    }

    @Test func aWithdrawalFromTheFrameworkReachesTheProtocolOnEveryReadPath() async throws {
        try await TestApp.run { app, client in
            let statusURI = "/v1/agreements/kyoto-protocol/status?asOf=2030-06-01"
            // The bundled Protocol alone: the trace says the Convention is not in the catalog, Russia is a party.
            let documentTag = try await client.execute(uri: "/v1/agreements/kyoto-protocol", method: .get).headers[.eTag]
            let alone = try await client.execute(uri: statusURI, method: .get)
            let aloneTag = try #require(alone.headers[.eTag])
            #expect(Self.party(try alone.json(), "RU")?["status"] as? String == "party")
            #expect(alone.text.contains("not in the catalog"))

            let created = try await client.execute(uri: "/v1/agreements", method: .post, headers: app.auth, body: try L.json(L.framework()))
            #expect(created.status == .created)
            let withFramework = try await client.execute(uri: statusURI, method: .get)
            let frameworkTag = try #require(withFramework.headers[.eTag])
            #expect(frameworkTag != aloneTag)
            #expect(!withFramework.text.contains("not in the catalog"))
            #expect(Self.party(try withFramework.json(), "RU")?["status"] as? String == "party")
            #expect(
                try await client.execute(uri: "/v1/agreements", method: .post, headers: app.auth, body: try L.json(L.sideAccord())).status == .created
            )

            try await L.appendRussianNotice(received: "2030-05-10", client, app)

            // Status: Russia leaves the Protocol on the Convention's effective date, and says why.
            var conditional = HTTPFields()
            conditional[.ifNoneMatch] = frameworkTag
            let after = try await client.execute(uri: statusURI, method: .get, headers: conditional)
            #expect(after.status == .ok, "the old tag must not get a 304")
            let afterTag = try #require(after.headers[.eTag])
            #expect(afterTag != frameworkTag)
            let russia = try #require(Self.party(try after.json(), "RU"))
            #expect(russia["status"] as? String == "withdrawalPending")
            #expect(russia["lastDayAsParty"] as? String == "2031-05-09")
            #expect(russia["withdrawalFollows"] as? String == "unfccc")
            conditional[.ifNoneMatch] = afterTag
            #expect(try await client.execute(uri: statusURI, method: .get, headers: conditional).status == .notModified)
            let gone = try await client.execute(uri: "/v1/agreements/kyoto-protocol/status?asOf=2031-06-01", method: .get).json()
            #expect(Self.party(gone, "RU")?["status"] as? String == "withdrawn")
            #expect(Self.party(gone, "RU")?["since"] as? String == "2031-05-10")
            // The document itself is unchanged: its ETag is its own version's.
            let document = try await client.execute(uri: "/v1/agreements/kyoto-protocol", method: .get)
            #expect(document.headers[.eTag] == documentTag)
            #expect(!document.text.contains("\"linked\""))

            // Party status, timeline, deadlines, the Protocol's calendar.
            let partyStatus = try await client.execute(uri: "/v1/agreements/kyoto-protocol/parties/RU/status?asOf=2030-06-01", method: .get)
            #expect(partyStatus.status == .ok)
            #expect(partyStatus.text.contains("\"withdrawalFollows\":\"unfccc\""))
            let timeline = try await client.execute(
                uri: "/v1/agreements/kyoto-protocol/timeline?asOf=2030-06-01&from=2031-01-01&to=2031-12-31",
                method: .get
            )
            #expect(timeline.text.contains(#"{"date":"2031-05-09","description":"Last day RU is bound.","kind":"lastDayAsParty","party":"RU""#))
            let deadlines = try await client.execute(
                uri: "/v1/deadlines?from=2031-05-10&to=2031-05-10&kind=withdrawalEffective&party=RU",
                method: .get
            ).json()
            let items = try #require(deadlines["items"] as? [[String: Any]])
            #expect(Set(items.compactMap { $0["agreementId"] as? String }) == ["kyoto-protocol", "unfccc"])
            let calendar = try await client.execute(
                uri: "/v1/agreements/kyoto-protocol/calendar.ics?from=2031-01-01&to=2031-12-31",
                method: .get
            )
            #expect(calendar.text.contains("20310510"))

            // Lists and the summary: the bilateral side accord ends with Russia's membership of the framework.
            let terminated = try await client.execute(uri: "/v1/agreements?state=terminated&asOf=2031-06-01&party=AA&limit=100", method: .get).json()
            let ids = try #require(terminated["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(ids.contains("side-accord"))
            let accord = try await client.execute(uri: "/v1/agreements/side-accord/status?asOf=2031-06-01", method: .get).json()
            #expect(accord["state"] as? String == "terminated")
            #expect(accord["lastDayInForce"] as? String == "2031-05-09")

            // Deleting the framework takes it back everywhere.
            var ifMatch = app.auth
            ifMatch[.ifMatch] = "*"
            #expect(try await client.execute(uri: "/v1/agreements/unfccc", method: .delete, headers: ifMatch).status == .noContent)
            let deleted = try await client.execute(uri: statusURI, method: .get)
            #expect(deleted.headers[.eTag] == aloneTag)
            #expect(Self.party(try deleted.json(), "RU")?["status"] as? String == "party")
            let inForce = try await client.execute(uri: "/v1/agreements?state=inForce&asOf=2031-06-01&party=AA&limit=100", method: .get).json()
            #expect(try #require(inForce["items"] as? [[String: Any]]).contains { $0["id"] as? String == "side-accord" })
        }
    }

    /// Every agreement's state in the list, on days around the framework's effect, equals its own status route's
    /// (the list reads the lifecycle index once it is built, the status route the engine), before and after enough
    /// writes that the index is rebuilt with the dependents' new lifecycles.
    @Test func aSimulatedWithdrawalFromTheFrameworkReachesItsDependents() async throws {
        try await TestApp.run { app, client in
            for agreement in [L.framework(), L.sideAccord()] {
                let created = try await client.execute(uri: "/v1/agreements", method: .post, headers: app.auth, body: try L.json(agreement))
                #expect(created.status == .created)
            }
            func simulate(_ id: String, _ body: String) async throws -> [String: Any] {
                let response = try await client.execute(
                    uri: "/v1/agreements/\(id)/simulate",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: body)
                )
                #expect(response.status == .ok, "\(response.text)")
                return try response.json()
            }
            let notice = """
                {"asOf": "2030-06-01", "events": [{"type": "noticeOfWithdrawal", "date": "2030-05-10",
                  "received": "2030-05-10", "party": "RU"}]}
                """
            let simulated = try await simulate("unfccc", notice)
            let dependents = try #require(simulated["dependents"] as? [[String: Any]])
            // Every agreement that names the Convention, in id order: the bundled Protocol and Paris Agreement, and
            // the side accord.
            #expect(dependents.map { $0["agreementId"] as? String } == ["kyoto-protocol", "paris-agreement", "side-accord"])
            let protocolStatus = try #require(dependents.first?["status"] as? [String: Any])
            let russia = try #require(Self.party(protocolStatus, "RU"))
            #expect(russia["status"] as? String == "withdrawalPending")
            #expect(russia["lastDayAsParty"] as? String == "2031-05-09")
            #expect(russia["withdrawalFollows"] as? String == "unfccc")
            // A bilateral accord that a party leaves with the Convention ends then.
            let accord = try #require(dependents.last?["status"] as? [String: Any])
            #expect(accord["lastDayInForce"] as? String == "2031-05-09")

            // Nothing was saved: the Protocol's own status still has Russia a party, with no link to follow.
            let held = try await client.execute(uri: "/v1/agreements/kyoto-protocol/status?asOf=2030-06-01", method: .get).json()
            #expect(Self.party(held, "RU")?["status"] as? String == "party")
            #expect(Self.party(held, "RU")?["withdrawalFollows"] == nil)
            // An agreement nobody names has no dependents.
            let alone = try await simulate(
                "gsomia",
                #"{"asOf": "2026-12-01", "events": [{"type": "noticeOfTermination", "date": "2026-11-30", "received": "2026-11-30", "party": "JP"}]}"#
            )
            #expect((alone["dependents"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func theListAgreesWithTheStatusRouteAroundTheLinkedEffect() async throws {
        try await TestApp.run { app, client in
            func expectListMatchesStatus(_ label: String) async throws {
                for day in ["2030-05-09", "2030-05-10", "2031-05-09", "2031-05-10", "2032-01-01"] {
                    let list = try await client.execute(uri: "/v1/agreements?asOf=\(day)&party=RU&limit=100", method: .get).json()
                    let items = try #require(list["items"] as? [[String: Any]])
                    #expect(items.count >= 3)
                    for item in items {
                        let id = try #require(item["id"] as? String)
                        let status = try await client.execute(uri: "/v1/agreements/\(id)/status?asOf=\(day)", method: .get).json()
                        #expect(item["state"] as? String == status["state"] as? String, "\(label): \(id) on \(day)")
                    }
                }
            }
            // Wait for the first index (up to 60 s on a starved machine), so that the list reads it.
            var ready = false
            for _ in 0..<3_000 where !ready {
                let health = try await client.execute(uri: "/healthz", method: .get).json()
                ready = health["lifecycles"] as? String == "ready"
                if !ready { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(ready, "the lifecycle index was not built: the list would not read it")
            #expect(
                try await client.execute(uri: "/v1/agreements", method: .post, headers: app.auth, body: try L.json(L.sideAccord())).status == .created
            )
            #expect(
                try await client.execute(
                    uri: "/v1/agreements",
                    method: .post,
                    headers: app.auth,
                    body: try L.json(L.framework(events: [L.notice("2030-05-10")]))
                ).status == .created
            )
            try await expectListMatchesStatus("with writes queued on the index")
            // Enough writes that the catalog builds the index again.
            for index in 0..<AgreementCatalog.rebuildAfterWrites {
                let created = try await client.execute(
                    uri: "/v1/agreements",
                    method: .post,
                    headers: app.auth,
                    body: ByteBuffer(string: sampleDocument(id: "filler-\(index)"))
                )
                #expect(created.status == .created)
            }
            // Whether or not the rebuild has finished by now, the list must agree with the engine
            // (``CatalogLinkTests/theCatalogRebuildsTheDependentsLifecycles`` waits for it).
            try await expectListMatchesStatus("after the writes that start a rebuild")
            let terminated = try await client.execute(uri: "/v1/agreements?state=terminated&asOf=2031-06-01&party=AA&limit=100", method: .get).json()
            #expect(try #require(terminated["items"] as? [[String: Any]]).contains { $0["id"] as? String == "side-accord" })
        }
    }

    /// The bundled Kyoto Protocol and Paris Agreement keep their answers while no `unfccc` is in the catalog.
    @Test func theBundledProtocolsKeepTheirAnswersWithoutTheConvention() async throws {
        try await TestApp.run { _, client in
            for (id, day) in [("kyoto-protocol", "2013-01-01"), ("paris-agreement", "2020-12-01"), ("paris-agreement", "2026-11-29")] {
                let served = try await client.execute(uri: "/v1/agreements/\(id)/status?asOf=\(day)", method: .get)
                let agreement = try #require(try BundledData.agreements().first { $0.id == id })
                let engine = RulesEngine.evaluate(agreement, asOf: L.date(day))
                let json = try served.json()
                #expect(json["state"] as? String == engine.state.rawValue)
                for standing in engine.parties {
                    #expect(Self.party(json, standing.party)?["status"] as? String == standing.status.rawValue, "\(id) \(standing.party) on \(day)")
                }
                #expect(served.text.contains("not in the catalog"))
            }
        }
    }

    /// The bundled pair: the ECHR follows the Statute of the Council of Europe "under the same conditions", and the
    /// Statute's exclusion of Russia reaches the status, the deadlines and the calendar over HTTP.
    @Test func theBundledConventionFollowsTheStatutesExclusionOverHTTP() async throws {
        try await TestApp.run { _, client in
            let statute = try await client.execute(
                uri: "/v1/agreements/statute-of-the-council-of-europe/status?asOf=2022-03-16",
                method: .get
            ).json()
            let member = try #require(Self.party(statute, "RU"))
            #expect(member["status"] as? String == "withdrawn")
            #expect(member["since"] as? String == "2022-03-16")
            #expect(member["excludedBy"] as? String == "exclusion-ru-2022")
            let echr = try await client.execute(
                uri: "/v1/agreements/european-convention-on-human-rights/status?asOf=2022-03-16",
                method: .get
            )
            let party = try #require(Self.party(try echr.json(), "RU"))
            #expect(party["status"] as? String == "withdrawalPending")
            #expect(party["lastDayAsParty"] as? String == "2022-09-15")
            #expect(party["withdrawalFollows"] as? String == "statute-of-the-council-of-europe")
            #expect(!echr.text.contains("not in the catalog"))
            let deadlines = try await client.execute(
                uri: "/v1/deadlines?asOf=2022-01-01&from=2022-01-01&to=2022-12-31&party=RU&kind=withdrawalEffective",
                method: .get
            ).json()
            let items = try #require(deadlines["items"] as? [[String: Any]]).map {
                [$0["agreementId"] as? String, $0["date"] as? String, $0["rule"] as? String]
            }
            #expect(
                items == [
                    ["statute-of-the-council-of-europe", "2022-03-16", "exclusion"],
                    ["european-convention-on-human-rights", "2022-09-16", "linkedWithdrawal"],
                ]
            )
            let calendar = try await client.execute(
                uri: "/v1/agreements/statute-of-the-council-of-europe/calendar.ics?from=2022-01-01&to=2022-12-31",
                method: .get
            ).text.replacingOccurrences(of: "\r\n ", with: "")
            #expect(calendar.contains("RU ceases to be a party (excluded)"))
        }
    }

    /// The new rule fields and event type travel through the API as written: an agreement with an exclusion clause and an
    /// `exclusion` event, and a link counted under the agreement's own clause; without that clause, a 422 with a pointer.
    @Test func exclusionsAndOwnNoticePeriodLinksAreAcceptedOverHTTP() async throws {
        try await TestApp.run { app, client in
            let organisation = """
                {"id": "organisation", "title": "An organisation", "kind": "multilateral",
                 "parties": [{"code": "AA", "name": "A"}, {"code": "BB", "name": "B"}],
                 "rules": {"entryIntoForce": {"kind": "onDate", "date": "2000-01-01"}, "term": {"kind": "indefinite"},
                           "exclusion": {"article": "Art. 8"}},
                 "events": [{"id": "exclusion-bb", "type": "exclusion", "date": "2022-03-16", "party": "BB"}]}
                """
            let created = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: organisation)
            )
            #expect(created.status == .created)
            func convention(withdrawal: String) -> String {
                """
                {"id": "convention", "title": "A convention", "kind": "multilateral",
                 "parties": [{"code": "AA", "name": "A"}, {"code": "BB", "name": "B"}],
                 "rules": {"entryIntoForce": {"kind": "onDate", "date": "2001-01-01"}, "term": {"kind": "indefinite"},
                           \(withdrawal)
                           "linkedWithdrawal": {"agreement": "organisation", "article": "Art. 58(3)", "effect": "ownNoticePeriod"}}}
                """
            }
            let refused = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: convention(withdrawal: ""))
            )
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("/rules/linkedWithdrawal/effect"))
            let accepted = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(
                    string: convention(
                        withdrawal:
                            #""withdrawal": {"notice": "P6M", "noticeDate": "receipt", "counting": "sameCalendarDate", "effectDate": "firstDayNotBound"},"#
                    )
                )
            )
            #expect(accepted.status == .created, "\(accepted.text)")
            let excluded = try await client.execute(uri: "/v1/agreements/organisation/status?asOf=2022-03-16", method: .get).json()
            #expect(Self.party(excluded, "BB")?["excludedBy"] as? String == "exclusion-bb")
            let following = try await client.execute(uri: "/v1/agreements/convention/status?asOf=2022-03-16", method: .get).json()
            #expect(Self.party(following, "BB")?["lastDayAsParty"] as? String == "2022-09-15")
            #expect(Self.party(following, "BB")?["withdrawalFollows"] as? String == "organisation")
            let document = try await client.execute(uri: "/v1/agreements/convention", method: .get).text
            #expect(document.contains(#""effect":"ownNoticePeriod""#))
        }
    }

    /// A write to the framework that changes a dependent's status as of today records `status.changed` for the
    /// dependent too, naming the framework; the framework's own change is recorded as before.
    @Test func aFrameworkWriteRecordsTheDependentsStatusChange() async throws {
        try await TestApp.run { app, client in
            #expect(
                try await client.execute(uri: "/v1/agreements", method: .post, headers: app.auth, body: try L.json(L.framework())).status == .created
            )
            let before = try await app.store.lastFeedSequence()
            // Received a month before the tests' today (2026-11-29): pending as of today.
            try await L.appendRussianNotice(received: "2026-10-29", client, app)
            let events = try await app.store.feedEvents(after: before, limit: 100).filter { $0.type == "status.changed" }
            #expect(events.map(\.agreementId) == ["unfccc", "kyoto-protocol"])
            let (ownEvent, linkedEvent) = (try #require(events.first), try #require(events.last))
            let data = try #require(JSONSerialization.jsonObject(with: Data(linkedEvent.data.utf8)) as? [String: Any])
            #expect(data["linkedAgreement"] as? String == "unfccc")
            #expect((data["after"] as? [String: Any]).flatMap { $0["parties"] as? [String: String] }?["RU"] == "withdrawalPending")
            #expect((data["before"] as? [String: Any]).flatMap { $0["parties"] as? [String: String] }?["RU"] == "party")
            let own = try #require(JSONSerialization.jsonObject(with: Data(ownEvent.data.utf8)) as? [String: Any])
            #expect(own["linkedAgreement"] == nil)
        }
    }
}

/// Two servers on one database: a framework written through one re-resolves its dependents in the other's catalog
/// (which learns of the write from the store), and the writer records the dependents' `status.changed`. On SQLite (two
/// catalogs over one store) and, when `PACTA_TEST_DATABASE_URL` is set, PostgreSQL.
@Suite struct LinkedReplicaTests {
    typealias L = LinkedFixtures

    static func check(store: any AgreementStore, writer: AgreementCatalog, reader: AgreementCatalog) async throws {
        store.useFeedDrafting(StatusChangeDrafter(today: { TestApp.today }, snapshot: { [weak writer] in writer?.snapshot }))
        let start = try await store.lastFeedSequence()
        _ = try await writer.create(L.sideAccord())
        _ = try await ReplicaTests.waitFor("the reader to hold the side accord") { reader.snapshot.byId["side-accord"] != nil }
        // Received a month before the tests' today: as of today Russia's withdrawal from both is pending.
        let framework = try await writer.create(L.framework(events: [L.notice("2026-10-29")]))
        _ = try await ReplicaTests.waitFor("the reader to resolve the side accord's link") {
            reader.snapshot.byId["side-accord"]?.agreement.linked["unfccc"]?.events.count == 2
        }
        let work = HeavyWork(threads: 1, queueLimit: 8, budget: .seconds(60))
        for catalog in [writer, reader] {
            let snapshot = catalog.snapshot
            let position = try #require(snapshot.sortedIds.firstIndex(of: "side-accord"))
            #expect(try await snapshot.states(asOf: L.date("2028-01-01"), work: work)[position] == .terminated)
            let accord = try #require(snapshot.byId["side-accord"])
            #expect(snapshot.inputsTag(of: accord) != accord.etag)
        }
        #expect(
            writer.snapshot.inputsTag(of: try #require(writer.snapshot.byId["side-accord"]))
                == reader.snapshot.inputsTag(of: try #require(reader.snapshot.byId["side-accord"]))
        )
        let changes = try await store.feedEvents(after: start, limit: 100).filter { $0.type == "status.changed" }
        #expect(changes.map(\.agreementId) == ["side-accord"], "the framework's creation changed the side accord's state")
        #expect(changes.first?.data.contains(#""linkedAgreement":"unfccc""#) == true)
        #expect(changes.first?.data.contains(#""state":"terminationPending""#) == true)

        try await writer.delete(id: "unfccc", expected: .exactly(framework.version))
        _ = try await ReplicaTests.waitFor("the reader to drop the link") {
            reader.snapshot.byId["side-accord"]?.agreement.linked.isEmpty == true
        }
        let position = try #require(reader.snapshot.sortedIds.firstIndex(of: "side-accord"))
        #expect(try await reader.snapshot.states(asOf: L.date("2028-01-01"), work: work)[position] == .inForce)
        store.useFeedDrafting(nil)
    }

    @Test func onSQLite() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        let writer = try await AgreementCatalog(store: store, followInterval: .seconds(60))
        let reader = try await AgreementCatalog(store: store, followInterval: .milliseconds(50))
        try await Self.check(store: store, writer: writer, reader: reader)
        await writer.stopFollowing()
        await reader.stopFollowing()
        try await store.close()
    }

    @Test(.enabled(if: ReplicaTests.postgresURL != nil)) func onPostgreSQL() async throws {
        try await ReplicaTests.withReplicas { a, b, _ in
            try await Self.check(store: a.store, writer: a.catalog, reader: b.catalog)
        }
    }
}

/// The snapshot file keeps documents, not links, and a start from it resolves them again; a dependent whose framework
/// was written after the file has its lifecycle built again, not taken from the file.
@Suite struct LinkedSnapshotFileTests {
    typealias L = LinkedFixtures

    @Test func aStartFromTheFileResolvesLinksAndRebuildsTheDependentsOfWhatChangedSince() async throws {
        let scratch = try CatalogSnapshotFileTests.Scratch()
        let store = try SQLiteAgreementStore(path: scratch.database)
        let agreements = SyntheticAgreements.generate(count: 20, seed: 8) + [L.sideAccord(), L.framework()]
        for agreement in agreements { _ = try await store.create(agreement) }
        let eager = CatalogSnapshotSettings(path: scratch.snapshot, minimumInterval: .zero)
        let keeper = try await CatalogSnapshotFileTests.startUntilTheFileHoldsLifecycles(store, eager)
        // The framework's notice, written after the file straight to the rows: the side accord's document is the
        // file's, its answers are not.
        _ = try await store.appendEvents(
            [NewEvent(type: .noticeOfWithdrawal, date: L.date("2030-05-10"), party: "RU", received: L.date("2030-05-10"))],
            to: "unfccc"
        )

        let second = try await AgreementCatalog(store: store, snapshot: eager)
        #expect(second.snapshotKeeper?.loadOutcome == .file(revision: keeper.writtenRevision ?? -1, changes: 1))
        let accord = try #require(second.snapshot.byId["side-accord"]?.agreement)
        #expect(accord.linked["unfccc"]?.events.count == 2)
        _ = try await ReplicaTests.waitFor("the lifecycle index", within: .seconds(60)) { second.lifecyclesReady }
        #expect(second.lifecyclesFromSnapshot.load(ordering: .relaxed) == agreements.count - 2)
        let index = try #require(second.snapshot.derived.lifecycles.withLock { $0.index })
        let lifecycle = try #require(index.lifecycle(of: "side-accord"))
        #expect(lifecycle.items == LifecycleBuilder.build(accord).items)
        #expect(lifecycle.state(on: L.date("2031-06-01")) == .terminated)
        await second.stopFollowing()
        try await store.close()
    }
}
