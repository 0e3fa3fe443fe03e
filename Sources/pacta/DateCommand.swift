import ArgumentParser
import PactaCore

/// Civil-date arithmetic at the command line, with the engine's own code: for checking a clause by hand,
/// and for the property test that compares Pacta against python-dateutil.
struct DateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "date",
        abstract: "Add an ISO 8601 period to a civil date (month ends clamp)."
    )

    @Argument(help: "A date, YYYY-MM-DD (omit with --stdin).") var date: String?
    @Argument(help: "A period such as P90D, -P1M or P1Y6M (omit with --stdin).") var period: String?
    @Flag(help: "Read 'DATE PERIOD' lines from standard input; print one result (or 'error') per line.")
    var stdin = false

    func run() throws {
        if stdin {
            var output = ""
            while let line = readLine() {
                let parts = line.split(separator: " ")
                output += (parts.count == 2 ? add(String(parts[0]), String(parts[1])) : nil) ?? "error"
                output += "\n"
                if output.utf8.count > 1 << 16 {
                    print(output, terminator: "")
                    output = ""
                }
            }
            print(output, terminator: "")
            return
        }
        guard let date, let period else { throw ValidationError("give DATE and PERIOD, or --stdin") }
        guard let sum = add(date, period) else { throw ValidationError("cannot add \(period) to \(date)") }
        print(sum)
    }

    private func add(_ date: String, _ period: String) -> String? {
        guard let start = try? CalendarDate(parsing: date), let period = try? Period(parsing: period),
            let sum = try? start.plus(period)
        else { return nil }
        return sum.description
    }
}
