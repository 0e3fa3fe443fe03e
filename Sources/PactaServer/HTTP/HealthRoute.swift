import Hummingbird
import PactaAPI

/// `/healthz`, answered by Hummingbird directly rather than through the OpenAPI runtime.
///
/// A probe is polled constantly, and converting its request and response between Hummingbird and the runtime
/// cost more than the rest of it (in one run: `/healthz` 51% of a bare Hummingbird route through the runtime).
/// The document is the contract's `Health`, written as the generated encoder writes it (sorted keys, compact);
/// a test checks the two byte for byte.
enum HealthRoute {
    static func register(on router: Router<some RequestContext>, handler: APIHandler) {
        router.get("/healthz") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: json(handler.health())))
            )
        }
    }

    /// The members in key order; `status` is always the literal "ok", so nothing needs escaping.
    static func json(_ health: Components.Schemas.Health) -> String {
        var members: [String] = []
        if let agreements = health.agreements { members.append(#""agreements":\#(agreements)"#) }
        if let lifecycles = health.lifecycles { members.append(#""lifecycles":"\#(lifecycles.rawValue)""#) }
        members.append(#""status":"\#(health.status)""#)
        return "{" + members.joined(separator: ",") + "}"
    }
}
