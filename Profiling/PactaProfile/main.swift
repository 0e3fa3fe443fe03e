import Foundation
import PactaCore

// A fixed workload for `valgrind --tool=callgrind` (instruction counts are repeatable on this shared
// machine, unlike wall clock):
//   valgrind --tool=callgrind .build/release/PactaProfile evaluate-bilateral 20000
// Workloads: evaluate-bilateral, state-bilateral, evaluate-multilateral-190, state-multilateral-190,
// timeline-50y, list-scan (state of each of 10,000 synthetic agreements).
let arguments = CommandLine.arguments
let workload = arguments.count > 1 ? arguments[1] : "evaluate-bilateral"
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
// The repository root (for Data/agreements): PACTA_ROOT, or found from this file's path.
let root = ProcessInfo.processInfo.environment["PACTA_ROOT"].map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let gsomia = try JSONDecoder().decode(
    Agreement.self, from: Data(contentsOf: root.appendingPathComponent("Data/agreements/gsomia.json")))
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
case "list-scan":
    let agreements = SyntheticAgreements.generate(count: 10_000, seed: 1)
    for _ in 0..<iterations {
        for agreement in agreements { sink &+= RulesEngine.state(of: agreement, asOf: asOf) == .inForce ? 1 : 0 }
    }
case "lifecycles":
    // Builds the lifecycle of `iterations` synthetic agreements and reports the time per agreement and what they
    // hold (wall clock: run it alone).
    let agreements = SyntheticAgreements.generate(count: iterations, seed: 1)
    let clock = ContinuousClock()
    var lifecycles: [AgreementLifecycle] = []
    lifecycles.reserveCapacity(agreements.count)
    let elapsed = clock.measure {
        for agreement in agreements { lifecycles.append(LifecycleBuilder.build(agreement)) }
    }
    let items = lifecycles.reduce(0) { $0 + $1.items.count }
    let changes = lifecycles.reduce(0) { $0 + $1.stateChanges.count }
    let tails = lifecycles.filter { $0.tail != nil }.count
    let incomplete = lifecycles.filter { !$0.isComplete }.count
    print("built \(lifecycles.count) lifecycles in \(elapsed) (\(elapsed / lifecycles.count) each): \(items) items, \(changes) state changes, \(tails) tails, \(incomplete) incomplete")
    sink = items
    if arguments.count > 3 {
        var shapes: [String: (count: Int, items: Int, time: Duration)] = [:]
        for (agreement, lifecycle) in zip(agreements, lifecycles) {
            let time = clock.measure { _ = LifecycleBuilder.build(agreement) }
            let rules = agreement.rules
            let shape = "\(rules.term.kind) renewal=\(rules.renewal.map { "\($0.kind) max=\($0.maxRenewals.map(String.init) ?? "-")" } ?? "none") tail=\(lifecycle.tail != nil) runs=\(lifecycle.runs.count > 0)"
            shapes[shape, default: (0, 0, .zero)].count += 1
            shapes[shape, default: (0, 0, .zero)].items += lifecycle.items.count
            shapes[shape, default: (0, 0, .zero)].time += time
        }
        for (shape, tally) in shapes.sorted(by: { $0.value.items > $1.value.items }) {
            print(tally.count, tally.items, tally.time / tally.count, shape)
        }
    }
default:
    FileHandle.standardError.write(Data("unknown workload \(workload)\n".utf8))
    exit(2)
}
print(workload, iterations, sink)
