import PactaAPI
import PactaCore

/// `GET /v1/dates`: the engine's own civil-date arithmetic (``CalendarDate/adding(_:)``, ``CalendarDate/days(to:)``),
/// the code behind every trace step and `pacta date`, for an analyst checking a clause by hand.
extension APIHandler {
    static let additionConvention =
        "Years and months first, keeping the day of month and clamping it to the end of a shorter month; then weeks and days as whole days."
    static let spanConvention =
        "days is to − from (the first date not counted, the last counted); clearDays counts only the days strictly between the two dates."

    func getDateArithmetic(
        _ input: Operations.GetDateArithmetic.Input
    ) async throws
        -> Operations.GetDateArithmetic.Output
    {
        let query = input.query
        let question = try dateQuestion(
            date: query.date,
            add: query.add,
            subtract: query.subtract,
            from: query.from,
            to: query.to
        )
        // The answer depends on the parameters and the arithmetic alone.
        let etag = ETagHasher.tag(
            "dates",
            RulesEngine.version,
            query.date ?? "",
            query.add ?? "",
            query.subtract ?? "",
            query.from ?? "",
            query.to ?? ""
        )
        try NotModified.check(input.headers.ifNoneMatch, current: etag)
        let answer: Components.Schemas.DateArithmetic
        switch question {
        case .sum(let date, let period, let subtracting):
            let text = period.description
            let applied = subtracting ? period.negated : period
            let sum: PeriodSum
            do { sum = try date.adding(applied) } catch {
                throw Problem.invalidParameter(subtracting ? "subtract" : "add", "\(date) \(subtracting ? "−" : "+") \(text): \(error.description)")
            }
            let operation = "\(date) \(subtracting ? "−" : "+") \(text) = \(sum.date)"
            let clamp = sum.clampedFromDay.map { day in
                let month = "\(sum.date.description.prefix(7))"
                return " (\(month) has no day \(day), so the day is clamped to the month's end)"
            }
            answer = .init(
                operation: subtracting ? .subtract : .add,
                date: "\(date)",
                period: text,
                result: "\(sum.date)",
                weekday: sum.date.weekdayName,
                clamped: sum.clampedFromDay != nil,
                clampedFromDay: sum.clampedFromDay,
                convention: Self.additionConvention,
                explanation: operation + (clamp ?? "") + "."
            )
        case .span(let from, let to):
            let days = from.days(to: to)
            let clear = max(abs(days) - 1, 0)
            answer = .init(
                operation: .between,
                from: "\(from)",
                to: "\(to)",
                days: days,
                clearDays: clear,
                convention: Self.spanConvention,
                explanation:
                    "From \(from) to \(to) is \(days) day\(abs(days) == 1 ? "" : "s"); \(clear) clear day\(clear == 1 ? "" : "s") \(clear == 1 ? "lies" : "lie") between them."
            )
        }
        return .ok(.init(headers: .init(eTag: etag), body: .json(answer)))
    }

    enum DateQuestion {
        case sum(CalendarDate, Period, subtracting: Bool)
        case span(CalendarDate, CalendarDate)
    }

    /// Which question the parameters ask: `date` with one of `add` and `subtract`, or `from` with `to`. A mix or a
    /// missing half is a 400 naming the parameter at fault; a value that does not parse is a 422 naming it.
    func dateQuestion(
        date: String?,
        add: String?,
        subtract: String?,
        from: String?,
        to: String?
    ) throws -> DateQuestion {
        let sumAsked = date != nil || add != nil || subtract != nil
        let spanAsked = from != nil || to != nil
        if sumAsked && spanAsked {
            let name = from != nil ? "from" : "to"
            throw Problem.badParameter(name, "ask either date with add (or subtract), or from with to, not both")
        }
        if spanAsked {
            guard let from else { throw Problem.badParameter("from", "is needed with to") }
            guard let to else { throw Problem.badParameter("to", "is needed with from") }
            return .span(try parsedDate(from, name: "from"), try parsedDate(to, name: "to"))
        }
        guard sumAsked else {
            throw Problem.badParameter("date", "give date with add (or subtract), or from with to")
        }
        if add != nil, subtract != nil {
            throw Problem.badParameter("subtract", "give add or subtract, not both")
        }
        guard let date else { throw Problem.badParameter("date", "is needed with \(add != nil ? "add" : "subtract")") }
        guard let text = add ?? subtract else { throw Problem.badParameter("add", "is needed with date (or subtract)") }
        let name = add != nil ? "add" : "subtract"
        let start = try parsedDate(date, name: "date")
        do {
            return .sum(start, try Period(parsing: text), subtracting: add == nil)
        } catch {
            throw Problem.invalidParameter(name, error.description)
        }
    }

    /// ``dateParameter(_:name:)`` for a parameter known to be present.
    private func parsedDate(_ text: String, name: String) throws -> CalendarDate {
        guard let date = try dateParameter(text, name: name) else { throw Problem.badParameter(name, "is missing") }
        return date
    }
}
