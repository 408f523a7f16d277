import Foundation
import Glibc
@testable import HTTPServer

/// A server on an ephemeral port with httpsh's standard routes plus `/metrics`, for the observability tests.
final class ObservabilityFixture {
    let root: String
    let context: ServerContext
    let server: Server
    let port: UInt16

    init(accessLog: AccessLog.Destination = .off, format: AccessLog.Format = .combined,
         extraRoutes: (inout Router) -> Void = { _ in }) throws {
        root = NSTemporaryDirectory() + "httpsh-obs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/site", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/uploads", withIntermediateDirectories: true)
        try "hello\n".write(toFile: root + "/site/hello.txt", atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.workers = 2
        configuration.root = root + "/site"
        configuration.uploads = root + "/uploads"
        configuration.accessLog = accessLog
        configuration.accessLogFormat = format
        configuration.logLevel = .warning
        let logger = Logger(level: .warning, sink: AsyncLineWriter(fd: 2))
        context = try ServerContext(configuration: configuration, logger: logger)
        var router = try StandardRoutes.router(configuration: configuration, context: context)
        extraRoutes(&router)
        server = try Server(configuration: configuration, context: context, router: router)
        try server.start()
        port = server.address.port
    }

    deinit {
        _ = server.shutdown(graceSeconds: 1)
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// A blocking loopback client that sends raw bytes and reads one response (Content-Length framed).
struct ObservabilityClient {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    /// Reads one response; returns status, headers (lower-cased names) and body text.
    func response() -> (status: Int, headers: [String: String], body: String)? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = data.firstRange(of: [13, 10, 13, 10]) {
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while data.count - end.upperBound < length {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    guard n > 0 else { return nil }
                    data += buffer[0..<n]
                }
                let body = String(decoding: data[end.upperBound..<(end.upperBound + length)], as: UTF8.self)
                return (Int(statusLine.count > 1 ? statusLine[1] : "") ?? 0, headers, body)
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return nil }
            data += buffer[0..<n]
        }
    }

    /// One GET on a fresh connection.
    static func get(_ path: String, port: UInt16, headers: String = "") throws -> (status: Int, headers: [String: String], body: String)? {
        let client = try ObservabilityClient(port: port)
        defer { client.close() }
        let host = headers.lowercased().contains("host:") ? "" : "Host: localhost\r\n"
        client.send("GET \(path) HTTP/1.1\r\n\(host)\(headers)Connection: close\r\n\r\n")
        return client.response()
    }

    func close() {
        Glibc.close(fd)
    }
}
