import Foundation
import PostgresNIO

/// A PostgreSQL connection URL, `postgres://user:password@host:port/database?sslmode=MODE`, read into the client's
/// configuration. ``redacted`` is the form that may be logged or quoted in an error: the password never is.
public struct PostgresURL: Sendable, CustomStringConvertible {
    /// The `sslmode` values understood, with libpq's meaning.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP only.
        case disable
        /// TLS when the server offers it, without verifying the certificate (libpq's default).
        case prefer
        /// TLS or no connection; the certificate is not verified (it encrypts, it does not authenticate).
        case require
        /// TLS with the certificate verified against the system's trust roots and the host name.
        case verifyFull = "verify-full"
    }

    public let host: String
    public let port: Int
    public let username: String
    public let database: String?
    public let tlsMode: TLSMode
    private let password: String?

    /// - Throws: ``PostgresURLError``, whose description quotes the URL with the password redacted.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else { throw PostgresURLError(url: Self.redact(text), problem: "expected postgres://user:password@host:port/database") }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresURLError(url: Self.redact(text), problem: "it names no host")
        }
        guard let username = components.user, !username.isEmpty else {
            throw PostgresURLError(url: Self.redact(text), problem: "it names no user")
        }
        var tlsMode = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw PostgresURLError(url: Self.redact(text), problem: "sslmode must be one of \(modes)")
                }
                tlsMode = mode
            default:
                throw PostgresURLError(url: Self.redact(text), problem: "unknown parameter '\(item.name)' (only sslmode is read)")
            }
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? nil : path
        self.tlsMode = tlsMode
    }

    /// The URL as it may be logged: the password, if any, is `***`.
    public var redacted: String {
        let credentials = password == nil ? username : "\(username):***"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(credentials)@\(hostPart):\(port)/\(database ?? "")?sslmode=\(tlsMode.rawValue)"
    }

    public var description: String { redacted }

    /// The configuration of a `PostgresClient`; `searchPath` sets the schema every connection uses (tests).
    public func clientConfiguration(searchPath: String? = nil) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch tlsMode {
        case .disable:
            tls = .disable
        case .prefer, .require:
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            tls = tlsMode == .prefer ? .prefer(unverified) : .require(unverified)
        case .verifyFull:
            tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = Self.sessionSettings
        if let searchPath {
            configuration.options.additionalStartupParameters.append(("search_path", searchPath))
        }
        return configuration
    }

    /// Seconds PostgreSQL lets one statement run (`statement_timeout`); the store gives up on a whole operation after
    /// as long (bulk loads, seeding and migrations lift both limits).
    public static let statementTimeoutSeconds: Int64 = 30

    /// Settings of every session, sent at connection start. `statement_timeout` and
    /// `idle_in_transaction_session_timeout` end what a vanished client left running or open, so a transaction that
    /// holds the revision row's lock cannot stall every other server's writes; TCP keepalives (probed after 30 s idle,
    /// every 10 s, 3 times) let the database notice a client that disappeared without closing its connection (a
    /// network partition, a host that lost power) within about a minute instead of the operating system's hours.
    static var sessionSettings: [(String, String)] {
        [
            ("statement_timeout", "\(statementTimeoutSeconds)s"),
            ("idle_in_transaction_session_timeout", "\(statementTimeoutSeconds)s"),
            ("tcp_keepalives_idle", "30"),
            ("tcp_keepalives_interval", "10"),
            ("tcp_keepalives_count", "3"),
        ]
    }

    /// The text with anything between `//user:` and `@` replaced, for quoting a URL that could not be parsed.
    static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text.range(of: "@", options: .backwards),
            schemeEnd.upperBound <= at.lowerBound
        else { return text.contains("@") ? "(a URL that cannot be quoted without its credentials)" : text }
        let credentials = text[schemeEnd.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at.lowerBound...])
    }
}

/// A `PACTA_DATABASE_URL` that cannot be used; the URL it quotes has its password redacted.
public struct PostgresURLError: Error, CustomStringConvertible, Equatable {
    public let url: String
    public let problem: String
    public var description: String { "\(url): \(problem)" }
}
