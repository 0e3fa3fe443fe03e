import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the server writes its log: `text` for people (swift-log's stream format), `json` for log shippers
/// (one JSON object per line).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    /// Installs the process-wide log handler. swift-log allows this once per process: call it from `main`.
    public func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// Writes each log entry as one line of JSON to standard error:
/// `{"time":"…","level":"info","label":"pacta","message":"request","hb.request.id":"…","status":"200",…}`.
/// Metadata becomes top-level members (nested values as JSON); the fixed members win over metadata of the
/// same name.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata explicit: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit { merged.merge(explicit) { $1 } }
        guard let line = render(level: level, message: message, metadata: merged, at: Date()) else { return }
        // One write per line, under a lock, so lines from concurrent requests never interleave.
        Self.output.withLock { _ in FileHandle.standardError.write(line) }
    }

    /// One log line, newline included: the metadata as top-level members, then the fixed members over them.
    func render(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata, at date: Date) -> Data? {
        var object: [String: Any] = metadata.mapValues(Self.json)
        object["time"] = Self.timestamp(date)
        object["level"] = level.rawValue
        object["label"] = label
        object["message"] = message.description
        guard
            var line = try? JSONSerialization.data(
                withJSONObject: object,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        else { return nil }
        line.append(UInt8(ascii: "\n"))
        return line
    }

    private static let output = Mutex(())

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let value): return value.description
        case .array(let values): return values.map(json)
        case .dictionary(let values): return values.mapValues(json)
        }
    }

    /// RFC 3339 in UTC with milliseconds (`2026-12-05T10:29:18.123Z`), from the C library's calendar
    /// arithmetic: no `ISO8601DateFormatter` is built per line.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        var millis = Int(milliseconds % 1000)
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2)
            + "T" + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + "."
            + digits(Int32(millis), 3) + "Z"
    }
}
