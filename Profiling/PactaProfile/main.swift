import Foundation
import PactaCore

// A fixed workload for `valgrind --tool=callgrind` (instruction counts are repeatable on this shared
// machine, unlike wall clock):
//   valgrind --tool=callgrind .build/release/PactaProfile evaluate-bilateral 20000
// Workloads: evaluate-bilateral, state-bilateral, evaluate-multilateral-190, state-multilateral-190,
// timeline-50y, list-scan (state of each of 10,000 synthetic agreements), lifecycles (build time per agreement and shape),
// index-windows (the lifecycle index of PACTA_INDEX_AGREEMENTS (20,000) synthetic agreements asked `iterations` random
// windows; it prints the queries' CPU time, and callgrind counts only them with `--collect-atstart=no
// '--toggle-collect=$s12PactaProfile13windowQueries*'`).
let arguments = CommandLine.arguments
let workload = arguments.count > 1 ? arguments[1] : "evaluate-bilateral"
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
// The repository root (for Data/agreements): PACTA_ROOT, or found from this file's path.
let root =
    ProcessInfo.processInfo.environment["PACTA_ROOT"].map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let gsomia = try JSONDecoder().decode(
    Agreement.self,
    from: Data(contentsOf: root.appendingPathComponent("Data/agreements/gsomia.json"))
)
let multilateral = SyntheticAgreements.multilateral(partyCount: 190, seed: 1)
let asOf = try CalendarDate(parsing: "2023-06-01")
var sink = 0
switch workload {
case "evaluate-bilateral":
    for _ in 0..<iterations { sink &+= RulesEngine.evaluate(gsomia, asOf: asOf).trace.count }
case "state-bilateral":
    for _ in 0..<iterations { sink &+= RulesEngine.state(of: gsomia, asOf: asOf).hashValue & 1 }
case "evaluate-multilateral-190":
    for _ in 0..<iterations { sink &+= RulesEngine.evaluate(multilateral, asOf: asOf).parties.count }
case "state-multilateral-190":
    for _ in 0..<iterations { sink &+= RulesEngine.state(of: multilateral, asOf: asOf).hashValue & 1 }
case "timeline-50y":
    let from = try CalendarDate(parsing: "2016-01-01")
    let to = try CalendarDate(parsing: "2065-12-31")
    for _ in 0..<iterations { sink &+= RulesEngine.timeline(gsomia, asOf: asOf, from: from, to: to).items.count }
case "status-json":
    // One agreement's status on `iterations` dates over a century, as the status route answers it: evaluated, then
    // encoded with the server's JSON options; prints the CPU time of each half per request.
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let start = try CalendarDate(parsing: "2000-01-01").dayNumber
    let dates = try (0..<iterations).map { try CalendarDate(dayNumber: start + ($0 &* 7_919) % 36_500) }
    var statuses: [AgreementStatus] = []
    statuses.reserveCapacity(iterations)
    let evaluating = processCPUTime()
    for date in dates { statuses.append(RulesEngine.evaluate(gsomia, asOf: date)) }
    let encoding = processCPUTime()
    var bytes = 0
    for status in statuses { bytes &+= try encoder.encode(status).count }
    let done = processCPUTime()
    sink &+= bytes
    print(
        "status-json: evaluate \(Int((encoding - evaluating) / Double(iterations) * 1e6)) µs, encode "
            + "\(Int((done - encoding) / Double(iterations) * 1e6)) µs per request, \(bytes / iterations) bytes"
    )
case "list-scan":
    let agreements = SyntheticAgreements.generate(count: 10_000, seed: 1)
    for _ in 0..<iterations {
        for agreement in agreements { sink &+= RulesEngine.state(of: agreement, asOf: asOf) == .inForce ? 1 : 0 }
    }
case "lifecycles":
    // Builds the lifecycle of `iterations` synthetic agreements and reports the time per agreement, in all and by
    // shape, and what they hold (wall clock: run it alone).
    let agreements = SyntheticAgreements.generate(count: iterations, seed: 1)
    let clock = ContinuousClock()
    var total = Duration.zero
    var items = 0
    var changes = 0
    var tails = 0
    var incomplete = 0
    var shapes: [String: (count: Int, items: Int, time: Duration)] = [:]
    for agreement in agreements {
        var built: AgreementLifecycle?
        let time = clock.measure { built = LifecycleBuilder.build(agreement) }
        let lifecycle = built!
        total += time
        items += lifecycle.items.count
        changes += lifecycle.stateChanges.count
        if lifecycle.tail != nil { tails += 1 }
        if !lifecycle.isComplete { incomplete += 1 }
        let rules = agreement.rules
        let renewal = rules.renewal.map { "\($0.kind) max=\($0.maxRenewals.map(String.init) ?? "-")" } ?? "none"
        let shape = "\(rules.term.kind) renewal=\(renewal) tail=\(lifecycle.tail != nil)"
        shapes[shape, default: (0, 0, .zero)].count += 1
        shapes[shape, default: (0, 0, .zero)].items += lifecycle.items.count
        shapes[shape, default: (0, 0, .zero)].time += time
    }
    print(
        "built \(agreements.count) lifecycles in \(total) (\(total / agreements.count) each): \(items) items, \(changes) state changes, \(tails) tails, \(incomplete) incomplete"
    )
    print("agreements, explicit items, time each, shape:")
    for (shape, tally) in shapes.sorted(by: { $0.value.items > $1.value.items }) {
        print(tally.count, tally.items, tally.time / tally.count, shape)
    }
    sink = items
case "index-windows":
    let count = ProcessInfo.processInfo.environment["PACTA_INDEX_AGREEMENTS"].flatMap { Int($0) } ?? 20_000
    let agreements = SyntheticAgreements.generate(count: count, seed: 1)
    let index = LifecycleIndex(lifecycles: agreements.map { LifecycleBuilder.build($0) }, agreement: { agreements[$0] })
    let started = processCPUTime()
    sink = windowQueries(index, count: iterations)
    let seconds = processCPUTime() - started
    print("\(iterations) window queries over \(count) agreements: \(seconds * 1e6 / Double(iterations)) µs CPU each")
default:
    FileHandle.standardError.write(Data("unknown workload \(workload)\n".utf8))
    exit(2)
}
print(workload, iterations, sink)

/// A deadline page's first look (one day), the summary's 30- and 90-day counts, a 90-day window and the summary's
/// first deadline of a day, on dates spread over 1950-2100 by a fixed sequence (the same queries every run); prints
/// the CPU time of each kind.
@inline(never)
func windowQueries(_ index: LifecycleIndex, count: Int) -> Int {
    var sink = 0
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    var spent = [0.0, 0.0, 0.0, 0.0]
    for _ in 0..<count {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let day = try! CalendarDate(parsing: "1950-01-01").addingDays(Int(seed >> 33) % 54_787)
        var started = processCPUTime()
        sink &+= index.window(from: day, through: day).count
        spent[0] += processCPUTime() - started
        started = processCPUTime()
        sink &+= index.counts(from: day, through: [try! day.addingDays(30), try! day.addingDays(90)]).reduce(0, +)
        spent[1] += processCPUTime() - started
        started = processCPUTime()
        sink &+= index.window(from: day, through: try! day.addingDays(89)).count
        spent[2] += processCPUTime() - started
        started = processCPUTime()
        sink &+= index.items(from: day, through: day, limit: 1).first?.date.day ?? 0
        spent[3] += processCPUTime() - started
    }
    let each = spent.map { Int($0 * 1e6 / Double(count)) }
    print(
        "µs CPU each: one-day window \(each[0]), 30/90-day counts \(each[1]), 90-day window \(each[2]), first of a day \(each[3])"
    )
    return sink
}

/// This process's CPU time in seconds: steadier than the wall clock on a shared machine.
func processCPUTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
