import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

@testable import PactaServer

/// The tables generated from openapi.yaml at build time (`SpecContract`) hold what the spec says, and the
/// middleware enforces them.
@Suite struct SpecContractTests {
    /// The served document, read here with Yams independently of the build tool.
    static var document: [String: Any] {
        let text = String(decoding: BundledData.openAPIDocument(), as: UTF8.self)
        return (try? Yams.load(yaml: text) as? [String: Any]) ?? [:]
    }
    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    func entry(_ template: String) -> SpecContract.Path? {
        SpecContract.paths.first { $0.template == template }
    }

    @Test func knownFactsOfTheSpec() throws {
        #expect(entry("/v1/agreements")?.methods == ["GET", "POST"])
        #expect(entry("/v1/agreements/{id}")?.methods == ["GET", "PUT", "DELETE"])
        #expect(entry("/v1/agreements/{id}/history")?.methods == ["GET"])
        #expect(entry("/v1/agreements/{id}/simulate")?.methods == ["POST"])
        #expect(entry("/healthz")?.methods == ["GET"])

        let list = try #require(SpecContract.operation(id: "listAgreements"))
        #expect(list.method == "GET")
        #expect(list.query.first { $0.name == "party" }?.maxLength == 16)
        #expect(list.query.first { $0.name == "tag" }?.maxLength == 64)
        #expect(list.query.first { $0.name == "q" }?.maxLength == 200)
        // Through a $ref to components/parameters.
        #expect(list.query.first { $0.name == "cursor" }?.maxLength == 200)
        let limit = try #require(list.query.first { $0.name == "limit" })
        #expect(limit.minimum == 1 && limit.maximum == 500 && limit.defaultInteger == 50 && limit.maxLength == nil)
        #expect(SpecContract.operation(id: "getCalendar")?.query.first { $0.name == "alarm" }?.maxLength == 16)
        // Path parameters are not query parameters.
        #expect(SpecContract.operation(id: "getAgreement")?.query.contains { $0.name == "id" } == false)

        #expect(SpecContract.operation(id: "createAgreement")?.access == .token)
        #expect(SpecContract.operation(id: "replaceAgreement")?.access == .token)
        #expect(SpecContract.operation(id: "simulate")?.access == .open)
        #expect(SpecContract.operation(id: "getAgreement")?.access == .open)
        #expect(SpecContract.operation(id: "getHealth")?.access == .public)
        #expect(SpecContract.operation(id: "getReadiness")?.access == .public)
    }

    @Test func lookupsByRequest() {
        #expect(SpecContract.operation(method: "POST", path: "/v1/agreements/gsomia/simulate")?.id == "simulate")
        #expect(SpecContract.operation(method: "HEAD", path: "/v1/agreements/gsomia")?.id == "getAgreement")
        #expect(SpecContract.operation(method: "PATCH", path: "/v1/agreements/gsomia") == nil)
        #expect(SpecContract.operation(method: "GET", path: "/v1/agreements//status") == nil)
        #expect(SpecContract.operation(method: "GET", path: "/metrics") == nil)
        #expect(AuthMiddleware<BasicRequestContext>.access(method: .post, path: "/v1/agreements/x/simulate") == .open)
        #expect(AuthMiddleware<BasicRequestContext>.access(method: .post, path: "/v1/agreements/x/events") == .token)
        #expect(AuthMiddleware<BasicRequestContext>.access(method: .head, path: "/healthz") == .public)
        #expect(AuthMiddleware<BasicRequestContext>.access(method: .get, path: "/metrics") == .open)
        #expect(AuthMiddleware<BasicRequestContext>.access(method: .post, path: "/v1/nothing") == .token)
    }

    /// Every path, method and operation of the spec has its entry, and nothing else does: a change in the spec
    /// shows in the tables (they are regenerated whenever openapi.yaml changes).
    @Test func theTablesCoverTheSpecExactly() throws {
        let paths = try #require(Self.document["paths"] as? [String: Any])
        #expect(!paths.isEmpty)
        #expect(Set(SpecContract.paths.map(\.template)) == Set(paths.keys))
        #expect(SpecContract.paths.count == paths.count)
        for (template, item) in paths {
            let item = try #require(item as? [String: Any])
            let declared = Set(item.keys.filter(Self.httpMethods.contains).map { $0.uppercased() })
            #expect(Set(entry(template)?.methods ?? []) == declared, "\(template)")
            for method in declared {
                let operation = try #require(item[method.lowercased()] as? [String: Any])
                let generated = try #require(entry(template)?.operations.first { $0.method == method })
                #expect(generated.id == operation["operationId"] as? String)
                // No document-wide `security`: an operation's own decides.
                #expect(Self.document["security"] == nil)
                let security = operation["security"] as? [[String: Any]]
                let expected: SpecContract.Access =
                    switch security {
                    case nil: .open
                    case let requirements? where requirements.isEmpty: .public
                    case let requirements? where requirements.contains(where: \.isEmpty): .open
                    default: .token
                    }
                #expect(generated.access == expected, "\(method) \(template)")
            }
        }
    }

    /// Every query parameter with a `maxLength` in the spec is enforced on its path, with that limit.
    @Test func everyDeclaredMaxLengthIsEnforced() throws {
        let components = (Self.document["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:]
        func resolve(_ parameter: Any) -> [String: Any]? {
            guard let parameter = parameter as? [String: Any] else { return nil }
            if let ref = parameter["$ref"] as? String {
                return components[String(ref.split(separator: "/").last ?? "")] as? [String: Any]
            }
            return parameter
        }
        var checked = 0
        for (template, item) in try #require(Self.document["paths"] as? [String: Any]) {
            let item = try #require(item as? [String: Any])
            let operations = item.filter { Self.httpMethods.contains($0.key) }.values.compactMap { $0 as? [String: Any] }
            let lists = [item["parameters"]] + operations.map { $0["parameters"] }
            for parameter in lists.compactMap({ $0 as? [Any] }).joined().compactMap(resolve) {
                guard parameter["in"] as? String == "query", let name = parameter["name"] as? String,
                    let maxLength = (parameter["schema"] as? [String: Any])?["maxLength"] as? Int
                else { continue }
                let segments = template.split(separator: "/")
                let limits = QueryLimits.byPath.first { $0.segments == segments }?.limits
                #expect(limits?[name] == maxLength, "\(name) on \(template)")
                checked += 1
            }
        }
        #expect(checked >= 9)
    }

    /// Every paginated operation declares the same `limit` (``Limits`` takes one default and maximum from it).
    @Test func everyLimitParameterIsTheSame() {
        let limits = SpecContract.paths.flatMap(\.operations).flatMap(\.query).filter { $0.name == "limit" }
        #expect(limits.count >= 3)
        #expect(Set(limits.map { [$0.minimum, $0.maximum, $0.defaultInteger] }).count == 1)
        #expect(Limits().maxPageSize == SpecContract.pageSize.maximum)
        #expect(Limits().defaultPageSize == SpecContract.pageSize.default)
    }

    @Test func aLongCursorOnTheHistoryIs422AsDeclared() async throws {
        try await TestApp.run { _, client in
            let long = String(repeating: "a", count: 201)
            let response = try await client.execute(uri: "/v1/agreements/gsomia/history?cursor=\(long)", method: .get)
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains(#""parameter":"cursor""#))
        }
    }

    @Test func aSimulationNeedsATokenOnlyWhenReadsDo() async throws {
        let body = #"{"events": []}"#
        let configure: (inout AppConfiguration) -> Void = { $0.requireTokenForReads = true }
        try await TestApp.run(configure: configure) { app, client in
            let anonymous = try await client.execute(
                uri: "/v1/agreements/gsomia/simulate",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body)
            )
            #expect(anonymous.status == .unauthorized)
            #expect(try await client.execute(uri: "/healthz", method: .head).status == .ok)
        }
    }
}
