// swift-tools-version: 6.1
// Engine benchmarks (ordo-one/package-benchmark). A separate package so that the main package's normal
// build and tests never resolve or build the benchmark tooling. Run from this folder:
//   swift package --allow-writing-to-package-directory benchmark
import PackageDescription

/// SwiftPM names a path dependency after its folder, which differs between clones and worktrees.
let mainPackage = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "Pacta")

let package = Package(
    name: "PactaBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PactaEngine",
            dependencies: [
                .product(name: "PactaCore", package: mainPackage),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/PactaEngine",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        /// A fixed engine workload to run under `valgrind --tool=callgrind` or `perf record`.
        .executableTarget(
            name: "PactaProfile",
            dependencies: [.product(name: "PactaCore", package: mainPackage)],
            path: "Sources/PactaProfile"
        ),
    ]
)
