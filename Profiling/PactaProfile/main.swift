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
default:
    FileHandle.standardError.write(Data("unknown workload \(workload)\n".utf8))
    exit(2)
}
print(workload, iterations, sink)
