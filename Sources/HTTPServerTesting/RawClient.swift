import Glibc

/// A blocking TCP client that speaks HTTP/1.1 byte for byte, for tests that must control exactly what goes on the
/// wire: partial heads, pipelining, bad framing, keep-alive reuse.
///
/// Every read waits at most `timeout` seconds, so a server that never answers fails the test instead of hanging it.
/// Bytes read past one response stay buffered for the next `readResponse`, so pipelined answers parse in order.
///
/// ```swift
/// let client = try RawClient(port: server.port)
/// defer { client.close() }
/// try client.send(RawClient.request("GET", "/a.txt"))
/// let response = try client.readResponse()
/// ```
public final class RawClient {
    /// What went wrong talking to the server.
    public enum Failure: Error, CustomStringConvertible {
        case connect(errno: Int32)
        case send(errno: Int32)
        /// The server sent nothing more within the timeout; `partial` is what had arrived.
        case timeout(partial: [UInt8])
        /// The server closed (or reset) the connection before a whole response arrived.
        case closed(partial: [UInt8])
        case malformed(String)

        public var description: String {
            switch self {
            case .connect(let code): "connect failed: \(String(cString: strerror(code)))"
            case .send(let code): "send failed: \(String(cString: strerror(code)))"
            case .timeout(let partial): "timed out after \(partial.count) bytes: \(String(decoding: partial.prefix(200), as: UTF8.self))"
            case .closed(let partial): "closed after \(partial.count) bytes: \(String(decoding: partial.prefix(200), as: UTF8.self))"
            case .malformed(let reason): "malformed response: \(reason)"
            }
        }
    }

    public let fd: Int32
    private var buffer: [UInt8] = []
    private var isOpen = true
    /// Seconds any one read waits before failing with `timeout`.
    public var timeout: Double

    /// Connects to 127.0.0.1 (or another IPv4 address, or an IPv6 one such as `::1`) on `port`. With `source`
    /// (an IPv4 address such as `127.0.0.2`), the connection comes from that address: another client.
    public init(port: UInt16, host: String = "127.0.0.1", source: String? = nil, timeout: Double = 5) throws {
        self.timeout = timeout
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw Failure.connect(errno: errno) }
        if let source, family == AF_INET {
            guard Self.withIPv4(source, port: 0, { bind(fd, $0, $1) }) == 0 else {
                let code = errno
                close()
                throw Failure.connect(errno: code)
            }
        }
        let result: Int32
        if family == AF_INET6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            result = Self.withIPv4(host, port: port) { connect(fd, $0, $1) }
        }
        guard result == 0 else {
            let code = errno
            // A class whose init throws after every property is set still runs `deinit`: close here only, or the
            // number would be closed twice, the second time under whichever socket another thread got meanwhile.
            close()
            throw Failure.connect(errno: code)
        }
    }

    deinit {
        close()
    }

    /// Calls `body` (`connect`, `bind`) with the IPv4 address `host`:`port` as a `sockaddr` and its length.
    private static func withIPv4(_ host: String, port: UInt16,
                                 _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    // MARK: - Building requests

    /// The bytes of a request: `GET /path HTTP/1.1`, a `Host` (unless `host` is nil), the headers, and the body
    /// with a `Content-Length` when there is one.
    public static func request(_ method: String, _ target: String, version: String = "HTTP/1.1",
                        host: String? = "127.0.0.1", headers: [(String, String)] = [], body: String? = nil) -> String {
        var text = "\(method) \(target) \(version)\r\n"
        if let host { text += "Host: \(host)\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n"
        return text + (body ?? "")
    }

    /// Connects, sends one request with `Connection: close` and reads its response.
    public static func fetch(port: UInt16, _ method: String, _ target: String, host: String = "127.0.0.1",
                             headers: [(String, String)] = [], body: String? = nil) throws -> RawResponse {
        let client = try RawClient(port: port)
        defer { client.close() }
        try client.send(request(method, target, host: host, headers: headers + [("Connection", "close")], body: body))
        return try client.readResponse(toHead: method == "HEAD")
    }

    /// Connects, sends `raw` exactly as given, reads one response and closes. `toHead` says the request was HEAD.
    public static func exchange(port: UInt16, _ raw: String, toHead: Bool = false) throws -> RawResponse {
        let client = try RawClient(port: port)
        defer { client.close() }
        try client.send(raw)
        return try client.readResponse(toHead: toHead)
    }

    // MARK: - Sending

    /// Sends all of `text` as UTF-8.
    public func send(_ text: String) throws {
        try send(bytes: Array(text.utf8))
    }

    /// Sends all of `bytes`.
    public func send(bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw Failure.send(errno: errno) }
            offset += n
        }
    }

    // MARK: - Reading

    /// Reads one whole response. `toHead` says the request was HEAD, so a `Content-Length` announces no body.
    public func readResponse(toHead: Bool = false) throws -> RawResponse {
        let headEnd = try readUntilHeadEnd()
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)

        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Failure.malformed("status line '\(statusLine)'")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed("header line '\(line)'") }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers.append((String(line[..<colon]), String(value)))
        }
        let reason = parts.count > 2 ? String(parts[2]) : ""
        let response = RawResponse(status: status, reason: reason, headers: headers, body: [])

        if toHead || status < 200 || status == 204 || status == 304 {
            return response
        }
        let body: [UInt8]
        if response["Transfer-Encoding"]?.lowercased() == "chunked" {
            body = try readChunkedBody()
        } else if let lengthText = response["Content-Length"] {
            guard let length = Int(lengthText) else { throw Failure.malformed("Content-Length '\(lengthText)'") }
            body = try take(length)
        } else {
            body = readToEnd()
        }
        return RawResponse(status: status, reason: reason, headers: headers, body: body)
    }

    /// Reads until the server closes the connection (or the timeout passes); returns everything not yet consumed.
    public func readToEnd() -> [UInt8] {
        while (try? fill()) == true {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// True when the server closes the connection within the timeout. Bytes that arrive first stay buffered.
    public func waitForClose() -> Bool {
        while true {
            do {
                guard try fill() else { return true }
            } catch {
                return false
            }
        }
    }

    /// Closes the socket.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        Glibc.close(fd)
    }

    /// Reads at least once more into the buffer. False on end of stream (or reset); throws `timeout`.
    @discardableResult
    private func fill() throws -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(timeout * 1000))
        if ready < 0, errno == EINTR { return try fill() }
        guard ready > 0 else { throw Failure.timeout(partial: buffer) }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0, errno == EINTR { return try fill() }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readUntilHeadEnd() throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                for i in searchFrom...(buffer.count - 4)
                where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    return i
                }
                searchFrom = buffer.count - 3
            }
            guard try fill() else { throw Failure.closed(partial: buffer) }
        }
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw Failure.closed(partial: buffer) }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    private func readLine() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<lf], as: UTF8.self)
                buffer.removeFirst(lf + 1)
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            guard try fill() else { throw Failure.closed(partial: buffer) }
        }
    }

    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine()
            let digits = sizeLine.prefix { $0.isHexDigit }
            guard let size = Int(digits, radix: 16) else { throw Failure.malformed("chunk size '\(sizeLine)'") }
            if size == 0 {
                while try !readLine().isEmpty {}
                return body
            }
            body += try take(size)
            _ = try readLine()
        }
    }
}
