// swift-tools-version: 6.1
// libFuzzer targets over Pacta's parsers. A separate package so that sanitizer flags never touch the main
// build; see scripts/fuzz.sh (which passes -sanitize=fuzzer,address and the lld toolset).
//
// `Sources/PactaCore` is a symlink to the main package's PactaCore (the same files, not a copy). Depending on
// the main package by path would work too, but SwiftPM then builds every build-tool plugin of that package
// (the OpenAPI generator with OpenAPIKit and Yams) before it builds anything, which costs CI minutes for a
// target that needs only the pure core, which has no dependencies.
import PackageDescription

let package = Package(
    name: "PactaFuzz",
    targets: [
        .target(name: "PactaCore"),
        .executableTarget(name: "FuzzParsers", dependencies: ["PactaCore"]),
    ],
    swiftLanguageModes: [.v6]
)
