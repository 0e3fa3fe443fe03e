import Foundation
import PactaCore

// libFuzzer's driver, called from top-level code: with `-sanitize=fuzzer` the runtime provides it, and a
// plain `main` is kept (an `@main` or `-parse-as-library` target does not link; STACK-NOTES).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// Every input goes through every parser: civil dates, periods, the JSON shape check and the agreement
/// (rules document) decoder, then the validator and, for a valid agreement, the rules engine on a few dates.
/// A parse that succeeds must round-trip; nothing may trap.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data!, count: size))
    let text = String(decoding: bytes, as: UTF8.self)

    if let date = try? CalendarDate(parsing: text) {
        guard let again = try? CalendarDate(parsing: date.description), again == date else {
            fatalError("date round trip: \(text) -> \(date)")
        }
        _ = try? date.addingDays(text.utf8.count * 1000)
        _ = date.isoWeekday
    }
    if let period = try? Period(parsing: text) {
        guard let again = try? Period(parsing: period.description), again == period else {
            fatalError("period round trip: \(text) -> \(period)")
        }
        _ = period.multiplied(by: 3)
    }
    _ = JSONShape.check(bytes, limits: JSONShapeLimits(maxDepth: 16, maxStringBytes: 64))
    if let agreement = try? JSONDecoder().decode(Agreement.self, from: Data(bytes)),
        AgreementValidator.validate(agreement).isEmpty
    {
        for asOf in [CalendarDate.minimum, CalendarDate.maximum, try! CalendarDate(parsing: "2024-06-30")] {
            _ = RulesEngine.evaluate(agreement, asOf: asOf)
        }
    }
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
