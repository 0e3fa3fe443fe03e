import PactaAPI
import PactaCore

// The pages of the direct routes (``DeadlinesRoute``, ``AgreementsRoute``): `Deadline`'s synthesized `Codable` leaves
// a nil optional out, and so do the generated types'.
extension JSONBytes {
    mutating func write(_ page: Components.Schemas.DeadlinePage) {
        object { members in
            members.string("from", page.from)
            members.member("items") { $0.array(page.items) { $0.write($1) } }
            members.stringIfPresent("next", page.next)
            members.stringIfPresent("nextCursor", page.nextCursor)
            members.string("to", page.to)
        }
    }

    mutating func write(_ deadline: Deadline) {
        object { members in
            members.string("agreementId", deadline.agreementId)
            members.stringIfPresent("article", deadline.article)
            members.stringIfPresent("convention", deadline.convention)
            members.date("date", deadline.date)
            members.stringIfPresent("eventId", deadline.eventId)
            members.string("explanation", deadline.explanation)
            members.string("kind", deadline.kind.rawValue)
            members.dateIfPresent("latest", deadline.latest)
            members.strings("parties", deadline.parties)
            members.stringIfPresent("party", deadline.party)
            members.stringIfPresent("rule", deadline.rule)
            members.intIfPresent("term", deadline.term)
        }
    }
}

extension JSONBytes {
    mutating func write(_ page: Components.Schemas.AgreementPage) {
        object { members in
            members.string("asOf", page.asOf)
            members.member("items") { $0.array(page.items) { $0.write($1) } }
            members.stringIfPresent("next", page.next)
            members.stringIfPresent("nextCursor", page.nextCursor)
        }
    }

    mutating func write(_ summary: Components.Schemas.AgreementSummary) {
        object { members in
            members.stringIfPresent("href", summary.href)
            members.string("id", summary.id)
            members.strings("parties", summary.parties)
            members.stringIfPresent("shortTitle", summary.shortTitle)
            members.string("state", summary.state.rawValue)
            members.strings("tags", summary.tags)
            members.string("title", summary.title)
        }
    }
}
