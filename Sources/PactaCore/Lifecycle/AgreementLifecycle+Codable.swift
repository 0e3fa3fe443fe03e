/// A lifecycle as built, so that a copy kept beside the rows (the server's snapshot file) gives it back without
/// walking the engine again. Only for copies this build wrote: what a lifecycle holds is the builder's business, and
/// the reader checks a sample against the builder before it trusts a file (``AgreementLifecycle/sameAnswers(as:)``).
extension AgreementLifecycle: Codable {
    private enum CodingKeys: String, CodingKey {
        case agreementId, changeDates, changeStates, items, runs, explicitThrough
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let dates = try container.decode([CalendarDate].self, forKey: .changeDates)
        let states = try container.decode([AgreementStatus.State].self, forKey: .changeStates)
        guard dates.count == states.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .changeStates,
                in: container,
                debugDescription: "as many states as dates"
            )
        }
        // Each item read back brings its own copy of its parties; the builder's items share one (about 500 bytes an
        // agreement at 100,000 agreements, issue #12).
        var items = try container.decode([Deadline].self, forKey: .items)
        var distinctParties: [[String]] = []
        for index in items.indices {
            if let shared = distinctParties.first(where: { $0 == items[index].parties }) {
                items[index].parties = shared
            } else {
                distinctParties.append(items[index].parties)
            }
        }
        self.init(
            agreementId: try container.decode(String.self, forKey: .agreementId),
            stateChanges: zip(dates, states).map { (from: $0, state: $1) },
            items: items,
            runs: try container.decode([PeriodicRun].self, forKey: .runs),
            explicitThrough: try container.decode(CalendarDate.self, forKey: .explicitThrough)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agreementId, forKey: .agreementId)
        try container.encode(stateChanges.map(\.from), forKey: .changeDates)
        try container.encode(stateChanges.map(\.state), forKey: .changeStates)
        // Each item's sentence in parts, not said: a catalog holds half a million of them.
        var list = container.nestedUnkeyedContainer(forKey: .items)
        for item in items { try item.encode(to: list.superEncoder(), sentenceInParts: true) }
        try container.encode(runs, forKey: .runs)
        try container.encode(explicitThrough, forKey: .explicitThrough)
    }
}

extension PeriodicRun: Codable {
    private enum CodingKeys: String, CodingKey {
        case start, end, schedule, termination, notice, renewalArticle, parties
    }

    public convenience init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            start: try container.decode(CalendarDate.self, forKey: .start),
            end: try container.decodeIfPresent(CalendarDate.self, forKey: .end),
            schedule: try container.decode(TermSchedule.self, forKey: .schedule),
            termination: try container.decodeIfPresent(TerminationRule.self, forKey: .termination),
            notice: try container.decodeIfPresent(Wording.self, forKey: .notice),
            renewalArticle: try container.decodeIfPresent(String.self, forKey: .renewalArticle),
            parties: try container.decode([String].self, forKey: .parties)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(start, forKey: .start)
        try container.encodeIfPresent(end, forKey: .end)
        try container.encode(schedule, forKey: .schedule)
        try container.encodeIfPresent(termination, forKey: .termination)
        try container.encodeIfPresent(notice, forKey: .notice)
        try container.encodeIfPresent(renewalArticle, forKey: .renewalArticle)
        try container.encode(parties, forKey: .parties)
    }
}
