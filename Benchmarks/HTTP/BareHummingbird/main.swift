// The HTTP stack's ceiling on this machine: Hummingbird with one route that answers a small JSON body, nothing
// else (no middleware, no logging per request). `scripts/bench-http.sh` runs it beside Pacta and prints every
// endpoint's throughput as a share of this route's, measured in the same run.
//
//   PACTA_BENCHMARKS=1 swift build -c release --scratch-path .build/bench --product BareHummingbird
//   .build/bench/release/BareHummingbird [port]
import Hummingbird
import Logging

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 18088
var logger = Logger(label: "bare-hummingbird")
logger.logLevel = .warning
let router = Router()
// The size of Pacta's /healthz body, as JSON, so both answers cost the same to write.
let body = #"{"agreements":20,"lifecycles":"ready","status":"ok"}"#
router.get("/healthz") { _, _ in
    Response(
        status: .ok,
        headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: body))
    )
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bare"),
    logger: logger
)
try await app.runService()
