import Foundation
import Yams

// Usage: PactaContract OUTPUT.swift OPENAPI.yaml
//
// Writes the part of openapi.yaml that the server enforces itself, as Swift tables (`SpecContract.paths`): every
// path template with its operations (method, operationId, who may call it) and the declared limits of their query
// parameters. The generated code does not enforce these, so the middleware does, from these tables; the spec stays
// the only place they are written. Fails the build on what it cannot represent faithfully.

struct ContractError: Error, CustomStringConvertible {
    let description: String
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: PactaContract OUTPUT.swift OPENAPI.yaml\n".utf8))
    exit(2)
}
let output = URL(fileURLWithPath: arguments[0])
let specURL = URL(fileURLWithPath: arguments[1])

let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

/// Follows a local `$ref` (`#/components/...`) until a node without one.
func resolve(_ node: Node, in document: Node) throws -> Node {
    var node = node
    var seen: Set<String> = []
    while let ref = node["$ref"]?.string {
        guard ref.hasPrefix("#/"), seen.insert(ref).inserted else {
            throw ContractError(description: "unsupported or circular $ref '\(ref)'")
        }
        var target: Node? = document
        for key in ref.dropFirst(2).split(separator: "/") {
            let key = String(key).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            target = target?[key]
        }
        guard let target else { throw ContractError(description: "$ref '\(ref)' points nowhere") }
        node = target
    }
    return node
}

enum Access: String {
    /// A token is needed: the requirements name a scheme, with no empty alternative.
    case token
    /// No requirement of the operation's own and none for the document (or an optional one): anonymous, unless
    /// the server applies bearerAuth as the document-wide default (`requireTokenForReads`).
    case open
    /// `security: []` on the operation: anonymous even when reads are locked.
    case `public`
}

/// An operation's access: its own `security`, else the document's, else none.
func access(operation: Node, document: Node) throws -> Access {
    func classify(_ requirements: Node) throws -> Access {
        guard let list = requirements.sequence else { throw ContractError(description: "security must be a list") }
        if list.isEmpty { return .public }
        // An empty alternative (`[{}, {bearerAuth: []}]`) makes the token optional: open.
        if list.contains(where: { $0.mapping?.isEmpty == true }) { return .open }
        return .token
    }
    if let own = operation["security"] { return try classify(own) }
    if let shared = document["security"] {
        // A document-wide default: an operation without its own follows it; an empty default leaves it open.
        return shared.sequence?.isEmpty == true ? .open : try classify(shared)
    }
    return .open
}

struct Parameter {
    let name: String
    var maxLength: Int?
    var minLength: Int?
    var minimum: Int?
    var maximum: Int?
    var defaultInteger: Int?

    var swift: String {
        func int(_ value: Int?) -> String { value.map(String.init) ?? "nil" }
        return "QueryParameter(name: \(literal(name)), maxLength: \(int(maxLength)), minLength: \(int(minLength)), "
            + "minimum: \(int(minimum)), maximum: \(int(maximum)), defaultInteger: \(int(defaultInteger)))"
    }
}

/// The query parameters of an operation: the path's, overridden by the operation's of the same name.
func queryParameters(path: Node, operation: Node, document: Node) throws -> [Parameter] {
    var byName: [(String, Parameter)] = []
    for list in [path["parameters"], operation["parameters"]] {
        for entry in list?.sequence ?? [] {
            let parameter = try resolve(entry, in: document)
            guard parameter["in"]?.string == "query", let name = parameter["name"]?.string else { continue }
            let schema = try parameter["schema"].map { try resolve($0, in: document) }
            var result = Parameter(name: name)
            result.maxLength = schema?["maxLength"]?.int
            result.minLength = schema?["minLength"]?.int
            result.minimum = schema?["minimum"]?.int
            result.maximum = schema?["maximum"]?.int
            result.defaultInteger = schema?["type"]?.string == "integer" ? schema?["default"]?.int : nil
            if let index = byName.firstIndex(where: { $0.0 == name }) {
                byName[index].1 = result
            } else {
                byName.append((name, result))
            }
        }
    }
    return byName.map(\.1)
}

func literal(_ string: String) -> String {
    "\"" + string.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

do {
    let yaml = try String(contentsOf: specURL, encoding: .utf8)
    guard let document = try Yams.compose(yaml: yaml), let paths = document["paths"]?.mapping else {
        throw ContractError(description: "no paths")
    }
    var source = """
        // Generated by PactaContract at build time from openapi.yaml. Do not edit: change the spec.

        extension SpecContract {
            static let paths: [Path] = [

        """
    for (key, pathItem) in paths {
        guard let template = key.string, template.hasPrefix("/") else {
            throw ContractError(description: "path '\(key.string ?? "?")' does not start with /")
        }
        guard pathItem["$ref"] == nil else { throw ContractError(description: "\(template): a $ref path item") }
        source += "        Path(\n            \(literal(template)),\n            operations: [\n"
        for (methodKey, operation) in pathItem.mapping ?? [:] {
            guard let method = methodKey.string, methods.contains(method) else { continue }
            guard let operationId = operation["operationId"]?.string else {
                throw ContractError(description: "\(method.uppercased()) \(template) has no operationId")
            }
            let access = try access(operation: operation, document: document)
            let parameters = try queryParameters(path: pathItem, operation: operation, document: document)
            source += "                Operation(\n"
            source += "                    method: \(literal(method.uppercased())), id: \(literal(operationId)), access: .\(access.rawValue),\n"
            if parameters.isEmpty {
                source += "                    query: []),\n"
            } else {
                source += "                    query: [\n"
                for parameter in parameters { source += "                        \(parameter.swift),\n" }
                source += "                    ]),\n"
            }
        }
        source += "            ]),\n"
    }
    source += "    ]\n}\n"
    try Data(source.utf8).write(to: output, options: .atomic)
} catch {
    FileHandle.standardError.write(Data("PactaContract: \(specURL.lastPathComponent): \(error)\n".utf8))
    exit(1)
}
