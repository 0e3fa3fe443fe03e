// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Pacta",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pacta", targets: ["pacta"]),
        .library(name: "PactaCore", targets: ["PactaCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Already resolved for swift-openapi-generator; PactaContract reads openapi.yaml with it at build time.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Outbound webhook deliveries (redirects off, connect/total timeouts, streamed body with a cap).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already resolved for async-http-client; its TLS configuration takes extra trust roots (PACTA_WEBHOOKS_CA_FILE).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
    ],
    targets: [
        /// Pure domain: civil dates, periods, rules, events and the rules engine. No I/O, no clock.
        .target(name: "PactaCore"),
        /// Persistence behind the `AgreementStore` protocol (SQLite via GRDB).
        .target(
            name: "PactaStore",
            dependencies: [
                "PactaCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        /// The same `AgreementStore` contract on PostgreSQL, for deployments that share one database.
        .target(
            name: "PactaPostgres",
            dependencies: [
                "PactaCore", "PactaStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// Types and the server protocol generated from `openapi.yaml`.
        .target(
            name: "PactaAPI",
            dependencies: ["PactaCore", .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        /// The Hummingbird application: handlers, middleware, wiring.
        .target(
            name: "PactaServer",
            dependencies: [
                "PactaCore", "PactaStore", "PactaPostgres", "PactaAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            plugins: ["EmbedResources"]
        ),
        /// Build tool: turns openapi.yaml and Data/agreements into Swift source for PactaServer.
        .executableTarget(name: "PactaEmbed"),
        /// Build tool: turns what the server enforces of openapi.yaml (methods, access, query limits) into tables.
        .executableTarget(name: "PactaContract", dependencies: [.product(name: "Yams", package: "Yams")]),
        .plugin(name: "EmbedResources", capability: .buildTool(), dependencies: ["PactaEmbed", "PactaContract"]),
        .executableTarget(
            name: "pacta",
            dependencies: [
                "PactaServer", "PactaStore", "PactaPostgres", "PactaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// Write throughput of each store backend (BENCHMARKS.md); no test runs it.
        .executableTarget(
            name: "pacta-store-throughput",
            dependencies: ["PactaCore", "PactaStore", "PactaPostgres"],
            path: "Benchmarks/PactaStoreThroughput"
        ),
        .testTarget(name: "PactaCoreTests", dependencies: ["PactaCore"]),
        .testTarget(
            name: "PactaStoreTests",
            dependencies: [
                "PactaStore", "PactaPostgres", "PactaCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "PactaServerTests",
            dependencies: [
                "PactaServer", "PactaStore", "PactaPostgres", "PactaCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Engine benchmarks (ordo-one/package-benchmark) exist only when PACTA_BENCHMARKS is set, so the normal build and
// tests never resolve or build the benchmark tooling. See BENCHMARKS.md:
//   PACTA_BENCHMARKS=1 swift package --allow-writing-to-package-directory benchmark
if Context.environment["PACTA_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets += [
        .executableTarget(
            name: "PactaEngine",
            dependencies: ["PactaCore", .product(name: "Benchmark", package: "package-benchmark")],
            path: "Benchmarks/PactaEngine",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        /// A fixed engine workload to run under `valgrind --tool=callgrind` or `perf record`.
        .executableTarget(name: "PactaProfile", dependencies: ["PactaCore"], path: "Profiling/PactaProfile"),
        /// The HTTP stack's ceiling: one Hummingbird JSON route, for `scripts/bench-http.sh`'s ratios. Not directly in
        /// `Benchmarks/`, where package-benchmark would take it for a benchmark suite and run it.
        .executableTarget(
            name: "BareHummingbird",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/HTTP/BareHummingbird"
        ),
    ]
}
