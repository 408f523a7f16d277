import Glibc
@testable import HTTPServer

/// A small blocking HTTP/1.1 client and a server harness for the routing, middleware, CORS and example tests.
/// Named apart from the shared test support so the two never clash.
enum RouterTestHTTP {
    /// One parsed response.
    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Log lines captured from a server, to check what it logged.
    final class LogCapture: LogSink {
        private let lines = Lock<[String]>([])
        func write(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// A started server on a kernel-chosen loopback port, with what it logs.
    struct Running {
        let server: Server
        let logs: LogCapture
        var port: UInt16 { server.address.port }

        /// Stops the server at once.
        func stop() { _ = server.shutdown(graceSeconds: 0) }
    }

    /// Starts `router` on 127.0.0.1 port 0 with two workers.
    static func start(_ router: Router) throws -> Running {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.workers = 2
        let logs = LogCapture()
        let context = try ServerContext(configuration: configuration, logger: Logger(level: .info, sink: logs))
        let server = try Server(configuration: configuration, context: context, router: router)
        try server.start()
        return Running(server: server, logs: logs)
    }

    /// Opens a connection, sends `raw`, reads one response and closes.
    static func exchange(_ port: UInt16, _ raw: String, headOnly: Bool = false) throws -> Reply {
        let connection = try Connection(port: port)
        defer { connection.close() }
        try connection.send(raw)
        return try connection.readReply(headOnly: headOnly)
    }

    /// A blocking loopback TCP connection with generous read timeouts.
    final class Connection {
        let fd: Int32
        private var buffered: [UInt8] = []

        init(port: UInt16) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            // Generous: only a hung server should ever hit it.
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                Glibc.close(fd)
                throw Failure(description: "connect to port \(port): errno \(errno)")
            }
        }

        func send(_ text: String) throws {
            try send(Array(text.utf8))
        }

        func send(_ bytes: [UInt8]) throws {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
                offset += n
            }
        }

        /// Reads one response; `headOnly` for replies to HEAD, which have a length but no body.
        func readReply(headOnly: Bool = false) throws -> Reply {
            let separator: [UInt8] = [13, 10, 13, 10]
            var end: Int?
            while end == nil {
                end = buffered.firstRange(of: separator)?.upperBound
                if end == nil { guard try fill() else { throw Failure(description: "closed before a response head") } }
            }
            guard let headEnd = end else { throw Failure(description: "no head") }
            let lines = String(decoding: buffered[..<(headEnd - 4)], as: UTF8.self).split(separator: "\r\n")
            buffered.removeFirst(headEnd)
            guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ")[1]) else {
                throw Failure(description: "bad status line")
            }
            var headers = HTTPHeaders()
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
            }
            let noBody = headOnly || status == 204 || status == 304 || status < 200
            var body: [UInt8] = []
            if !noBody, let length = headers["Content-Length"].flatMap({ Int($0) }) {
                while buffered.count < length {
                    guard try fill() else { throw Failure(description: "closed in the body") }
                }
                body = Array(buffered[..<length])
                buffered.removeFirst(length)
            } else if !noBody {
                while try fill() {}
                body = buffered
                buffered = []
            }
            return Reply(status: status, headers: headers, body: body)
        }

        /// True when the server closed the connection (reads EOF) within the read timeout.
        func isClosedByPeer() -> Bool {
            (try? fill()) == false
        }

        func close() { Glibc.close(fd) }

        /// Reads more into the buffer; false at end of stream.
        private func fill() throws -> Bool {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == ECONNRESET { return false }
                throw Failure(description: "recv: errno \(errno)")
            }
            buffered.append(contentsOf: chunk[..<n])
            return n > 0
        }
    }
}
