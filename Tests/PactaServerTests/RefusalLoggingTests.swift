import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import PactaServer

/// A refused heavy request (busy, over budget, shutting down) is an answer, not a failure: it must not be logged as an
/// error, while a real failure still is.
@Suite struct RefusalLoggingTests {
    @Test(arguments: [ComputeRefusal.busy, .budgetExceeded(seconds: 5), .shuttingDown])
    func aRefusalIsAnswered503WithoutAnErrorLine(refusal: ComputeRefusal) async throws {
        let lines = CapturedLines()
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        router.get("/refused") { _, _ -> String in throw refusal }
        router.get("/broken") { _, _ -> String in throw UnexpectedFailure() }
        var logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        let app = Application(router: router, logger: logger)
        try await app.test(.router) { client in
            let refused = try await client.execute(uri: "/refused", method: .get)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] != nil)
            #expect(lines.levels(atLeast: .warning).isEmpty)
            // The control: the same capture sees a real failure's error line.
            let broken = try await client.execute(uri: "/broken", method: .get)
            #expect(broken.status == .internalServerError)
            #expect(lines.levels(atLeast: .warning) == [.error])
        }
    }
}

private struct UnexpectedFailure: Error {}

private final class CapturedLines: Sendable {
    private let levels = Mutex<[Logger.Level]>([])
    func append(_ level: Logger.Level) { levels.withLock { $0.append(level) } }
    func levels(atLeast threshold: Logger.Level) -> [Logger.Level] { levels.withLock { $0.filter { $0 >= threshold } } }
}

private struct CapturingLogHandler: LogHandler {
    let lines: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) { lines.append(level) }
}
