import Benchmark
import Foundation
import PactaCore

/// Engine micro-benchmarks: time and allocations per operation. Names have no spaces (threshold files are
/// looked up by name). Allocation counts are nearly deterministic and are what CI-style gates should use;
/// wall clock is reported for reading, on this shared 2-core machine it varies by 10–15%.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .nanoseconds,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000,
        thresholds: [.mallocCountTotal: .init(relative: [.p50: 5.0], absolute: [.p50: 2])]
    )

    let gsomia = Dataset.agreement("gsomia")
    let paris = Dataset.agreement("paris-agreement")
    let multilateral190 = SyntheticAgreements.multilateral(partyCount: 190, seed: 1)
    let asOf = try! CalendarDate(parsing: "2023-06-01")

    // GSOMIA: one-year terms renewing automatically, a notice, its suspension and its revocation.
    Benchmark("EvaluateRenewingBilateral") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RulesEngine.evaluate(gsomia, asOf: asOf))
        }
    }

    Benchmark("EvaluateRenewingBilateralStateOnly") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RulesEngine.state(of: gsomia, asOf: asOf))
        }
    }

    Benchmark("EvaluateMultilateral190Parties") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RulesEngine.evaluate(multilateral190, asOf: asOf))
        }
    }

    Benchmark("EvaluateMultilateral190PartiesStateOnly") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RulesEngine.state(of: multilateral190, asOf: asOf))
        }
    }

    Benchmark("EvaluateParisAgreement") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RulesEngine.evaluate(paris, asOf: asOf))
        }
    }

    let from = try! CalendarDate(parsing: "2016-01-01")
    let to = try! CalendarDate(parsing: "2065-12-31")
    Benchmark("Timeline50YearsRenewingBilateral") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RulesEngine.timeline(gsomia, asOf: asOf, from: from, to: to))
        }
    }

    let start = try! CalendarDate(parsing: "2020-01-31")
    let periods = [Period.months(1), .years(1), .days(90), Period(years: 1, months: 6), .days(-90)]
    Benchmark("DateArithmetic", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            for period in periods { blackHole(try? start.adding(period)) }
        }
    }

    Benchmark("DateParseAndFormat", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? CalendarDate(parsing: "2019-11-22").description)
        }
    }
}

enum Dataset {
    /// A bundled agreement, read from the main package's `Data/agreements`.
    static func agreement(_ id: String) -> Agreement {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let url = root.appendingPathComponent("Data/agreements/\(id).json")
        return try! JSONDecoder().decode(Agreement.self, from: Data(contentsOf: url))
    }
}
