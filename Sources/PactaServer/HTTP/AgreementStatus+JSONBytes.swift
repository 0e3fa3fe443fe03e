import PactaCore

// The status answer written by ``JSONBytes``: each type mirrors its `Codable` conformance in PactaCore (the custom
// ones write every key, nil as null; the synthesized ones leave a nil optional out), keys in sorted order. A field
// added to a status type must be added here too: `JSONBytesEquivalenceTests` fails until it is.

extension AgreementStatus {
    /// The JSON the status route answers, byte for byte what `JSONEncoder` writes for this value.
    var jsonBytes: [UInt8] {
        var json = JSONBytes(capacity: 1_024 + trace.count * 320 + parties.count * 64)
        json.write(self)
        return json.bytes
    }
}

extension JSONBytes {
    mutating func write(_ status: AgreementStatus) {
        object { members in
            members.string("agreementId", status.agreementId)
            members.date("asOf", status.asOf)
            members.member("currentTerm") { json in
                guard let term = status.currentTerm else { return json.null() }
                json.object { members in
                    members.int("index", term.index)
                    members.date("lastDay", term.lastDay)
                    members.date("start", term.start)
                }
            }
            members.member("endCause") { json in
                guard let cause = status.endCause else { return json.null() }
                json.write(cause)
            }
            members.date("entryIntoForce", status.entryIntoForce)
            members.member("flags") { $0.array(status.flags) { $0.write($1) } }
            members.date("lastDayInForce", status.lastDayInForce)
            members.date("nextRenewal", status.nextRenewal)
            members.date("noticeDeadline", status.noticeDeadline)
            members.member("notices") { $0.array(status.notices) { $0.write($1) } }
            members.date("obligationsSurviveThrough", status.obligationsSurviveThrough)
            members.member("parties") { $0.array(status.parties) { $0.write($1) } }
            members.member("ranges") { $0.array(status.ranges) { $0.write($1) } }
            members.member("review") { json in
                guard let review = status.review else { return json.null() }
                json.write(review)
            }
            members.string("state", status.state.rawValue)
            members.member("trace") { $0.array(status.trace) { $0.write($1) } }
            members.member("undetermined") { json in
                json.array(status.undetermined) { json, item in
                    json.object { members in
                        members.string("field", item.field)
                        members.string("reason", item.reason)
                    }
                }
            }
        }
    }

    mutating func write(_ cause: EndCause) {
        object { members in
            members.stringIfPresent("article", cause.article)
            members.stringIfPresent("eventId", cause.eventId)
            members.string("kind", cause.kind.rawValue)
            members.stringIfPresent("party", cause.party)
            members.string("reason", cause.reason.rawValue)
            members.stringIfPresent("rule", cause.rule)
        }
    }

    mutating func write(_ flag: StatusFlag) {
        object { members in
            members.string("code", flag.code.rawValue)
            members.stringIfPresent("eventId", flag.eventId)
            members.string("message", flag.message)
            members.stringIfPresent("party", flag.party)
            members.dateIfPresent("since", flag.since)
        }
    }

    mutating func write(_ notice: NoticePeriod) {
        object { members in
            members.string("clock", notice.clock.rawValue)
            members.date("countedFrom", notice.countedFrom)
            members.int("elapsedDays", notice.elapsedDays)
            members.string("eventId", notice.eventId)
            members.string("party", notice.party)
            members.int("pausedDays", notice.pausedDays)
            members.int("remainingDays", notice.remainingDays)
            members.string("rule", notice.rule)
            members.bool("suspended", notice.suspended)
            members.date("takesEffect", notice.takesEffect)
        }
    }

    mutating func write(_ party: PartyStatus) {
        object { members in
            members.dateIfPresent("boundFrom", party.boundFrom)
            members.stringIfPresent("eventId", party.eventId)
            members.stringIfPresent("excludedBy", party.excludedBy)
            members.dateIfPresent("lastDayAsParty", party.lastDayAsParty)
            if let window = party.nextWithdrawal {
                members.member("nextWithdrawal") { json in
                    json.object { members in
                        members.date("effectiveFrom", window.effectiveFrom)
                        members.date("lastDayAsParty", window.lastDayAsParty)
                        members.stringIfPresent("limit", window.limit?.rawValue)
                        members.date("noticeBy", window.noticeBy)
                        members.dateIfPresent("noticeFrom", window.noticeFrom)
                    }
                }
            }
            members.dateIfPresent("obligationsSurviveThrough", party.obligationsSurviveThrough)
            members.string("party", party.party)
            if let suspension = party.performanceSuspension {
                members.member("performanceSuspension") { json in
                    json.object { members in
                        members.string("eventId", suspension.eventId)
                        members.date("from", suspension.from)
                        members.bool("inEffect", suspension.inEffect)
                        members.dateIfPresent("notifiedOn", suspension.notifiedOn)
                    }
                }
            }
            members.dateIfPresent("since", party.since)
            members.string("status", party.status.rawValue)
            if let condition = party.withdrawalCondition {
                members.member("withdrawalCondition") { json in
                    json.object { members in
                        if let disputedBy = condition.disputedBy { members.strings("disputedBy", disputedBy) }
                        members.date("earliestEffect", condition.earliestEffect)
                        members.strings("eventIds", condition.eventIds)
                        members.dateIfPresent("metOn", condition.metOn)
                        members.string("noticeId", condition.noticeId)
                        members.string("state", condition.state.rawValue)
                    }
                }
            }
            members.intIfPresent("withdrawalExtensions", party.withdrawalExtensions)
            members.stringIfPresent("withdrawalFollows", party.withdrawalFollows)
        }
    }

    mutating func write(_ range: DateRange) {
        object { members in
            members.date("earliest", range.earliest)
            members.strings("eventIds", range.eventIds)
            members.string("field", range.field)
            members.date("latest", range.latest)
            members.string("reason", range.reason)
        }
    }

    mutating func write(_ review: ReviewStatus) {
        object { members in
            members.strings("confirmed", review.confirmed)
            members.int("extensions", review.extensions)
            members.date("last", review.last)
            members.date("next", review.next)
            members.strings("notConfirmed", review.notConfirmed)
            members.strings("notRecorded", review.notRecorded)
        }
    }

    mutating func write(_ step: TraceStep) {
        object { members in
            members.stringIfPresent("article", step.article)
            members.stringIfPresent("convention", step.convention)
            members.stringIfPresent("eventId", step.eventId)
            members.string("explanation", step.explanation)
            members.member("inputs") { $0.object(step.inputs) }
            members.stringIfPresent("result", step.result)
            members.stringIfPresent("rule", step.rule)
            members.string("subject", step.subject)
        }
    }
}
