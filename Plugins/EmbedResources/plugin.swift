import Foundation
import PackagePlugin

/// Compiles `openapi.yaml` and the bundled dataset (`Data/agreements/*.json`) into the server, so the
/// binary needs no files beside it to serve its contract and seed a new database; and compiles what the server
/// enforces of `openapi.yaml` (methods per path, who needs a token, query limits) into `SpecContract` tables.
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let dataset = root.appendingPathComponent("Data/agreements")
        let agreementFiles = try FileManager.default.contentsOfDirectory(atPath: dataset.path)
            .filter { $0.hasSuffix(".json") }.sorted()
            .map { dataset.appendingPathComponent($0) }
        let spec = root.appendingPathComponent("openapi.yaml")
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedResources.swift")
        let contract = context.pluginWorkDirectoryURL.appendingPathComponent("SpecContractTables.swift")
        return [
            .buildCommand(
                displayName: "Embedding openapi.yaml and \(agreementFiles.count) agreements",
                executable: try context.tool(named: "PactaEmbed").url,
                arguments: [output.path, spec.path] + agreementFiles.map(\.path),
                inputFiles: [spec] + agreementFiles,
                outputFiles: [output]
            ),
            .buildCommand(
                displayName: "Generating the enforced contract from openapi.yaml",
                executable: try context.tool(named: "PactaContract").url,
                arguments: [contract.path, spec.path],
                inputFiles: [spec],
                outputFiles: [contract]
            ),
        ]
    }
}
