import PactaAPI
import PactaCore

// The deadlines page (``DeadlinesRoute``): `Deadline`'s synthesized `Codable` leaves a nil optional out, and so does
// the generated page's.
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
