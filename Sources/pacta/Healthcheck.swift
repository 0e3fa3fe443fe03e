import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `pacta healthcheck`: asks a running server for `GET /healthz` and exits 0 on a 200 answer, 1 otherwise.
///
/// It speaks HTTP over plain POSIX sockets on purpose: a container `HEALTHCHECK` then needs no curl or wget in
/// the image, and the binary does not link FoundationNetworking (which would bring libcurl and its TLS stack
/// into the runtime image).
struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 if the server at HOST:PORT answers GET /healthz with 200, 1 otherwise."
    )

    /// Not `PACTA_HOST`: that is the interface the server listens on (`0.0.0.0` in the container image), while this
    /// is an address to connect to.
    @Option(help: "Address of the server to check.") var host = "127.0.0.1"
    @Option(help: "TCP port of the server (default: PACTA_PORT from the environment or .env, else 8080).") var port: Int?
    @Option(help: "Seconds to wait for connecting, and again for sending and receiving.") var timeout: Double = 3

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
    }

    func run() async throws {
        let resolvedPort: Int
        do {
            resolvedPort = try await readConfiguration([.port: port.map(String.init)]).port
        } catch {
            Self.fail("\(error)")
        }
        guard resolvedPort != 0 else {
            Self.fail("PACTA_PORT (--port) is '0', expected the server's port, from 1 to 65535")
        }
        do {
            let statusLine = try HealthProbe(host: host, port: resolvedPort, timeout: timeout).statusLine()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1] == "200" else {
                Self.fail("unhealthy: \(host):\(resolvedPort) answered '\(statusLine)'")
            }
        } catch {
            Self.fail("unhealthy: \(host):\(resolvedPort): \(error)")
        }
    }

    /// Prints one line on standard error and exits 1.
    static func fail(_ message: String) -> Never {
        let line = Array("pacta healthcheck: \(message)\n".utf8)
        _ = line.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        Glibc.exit(1)
    }
}

/// Why a probe failed, in words for the one-line message.
struct HealthProbeError: Error, CustomStringConvertible {
    let description: String

    static func posix(_ call: String, _ code: Int32 = errno) -> HealthProbeError {
        if code == EAGAIN || code == EWOULDBLOCK || code == EINPROGRESS {
            return HealthProbeError(description: "\(call): timed out")
        }
        return HealthProbeError(description: "\(call): \(String(cString: strerror(code)))")
    }
}

/// One blocking HTTP/1.1 request for `/healthz`, bounded by socket timeouts.
struct HealthProbe {
    let host: String
    let port: Int
    let timeout: Double

    /// Connects, sends the request and returns the response's status line (without its CRLF).
    func statusLine() throws -> String {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Self.streamSocketType
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw HealthProbeError(description: "cannot resolve '\(host)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }

        var lastError = HealthProbeError(description: "no address for '\(host)'")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            do {
                return try request(info.pointee)
            } catch let error as HealthProbeError {
                lastError = error
            }
        }
        throw lastError
    }

    private func request(_ address: addrinfo) throws -> String {
        let fd = socket(address.ai_family, address.ai_socktype, address.ai_protocol)
        guard fd >= 0 else { throw HealthProbeError.posix("socket") }
        defer { close(fd) }

        // On Linux SO_SNDTIMEO also bounds a blocking connect(), so these two options bound every call below.
        var interval = timeval(
            tv_sec: Int(timeout.rounded(.down)),
            tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000)
        )
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            guard setsockopt(fd, SOL_SOCKET, option, &interval, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                throw HealthProbeError.posix("setsockopt")
            }
        }

        guard connect(fd, address.ai_addr, address.ai_addrlen) == 0 else { throw HealthProbeError.posix("connect") }

        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let request = Array(
            "GET /healthz HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: pacta-healthcheck\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
                .utf8
        )
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBufferPointer { send(fd, $0.baseAddress! + sent, $0.count - sent, Self.noSignal) }
            if count < 0 {
                if errno == EINTR { continue }
                throw HealthProbeError.posix("send")
            }
            sent += count
        }

        // Only the status line matters; stop reading once it is complete.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while received.count < 8192 {
            let count = buffer.withUnsafeMutableBufferPointer { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw HealthProbeError.posix("recv")
            }
            if count == 0 { break }
            received.append(contentsOf: buffer[0..<count])
            if let end = received.firstIndex(of: UInt8(ascii: "\n")) {
                var line = received[..<end]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                return String(decoding: line, as: UTF8.self)
            }
        }
        throw HealthProbeError(
            description: received.isEmpty ? "the connection closed without an answer" : "no HTTP status line in the answer"
        )
    }

    #if canImport(Glibc)
    private static let streamSocketType = Int32(SOCK_STREAM.rawValue)
    private static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    private static let streamSocketType = SOCK_STREAM
    private static let noSignal: Int32 = 0
    #endif
}
