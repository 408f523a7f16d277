import Foundation
import Glibc
@testable import HTTPServer

// Helpers for the upload tests only; names carry an `Upload` prefix so they never clash with shared test support.

/// A real httpsh server (StandardRoutes, port 0) over a fresh temporary web root and uploads folder.
final class UploadTestServer {
    let base: String
    let root: String
    let uploads: String
    let server: Server
    let logs: UploadTestLogSink

    var port: UInt16 { server.address.port }
    var store: UploadStore { server.context.uploads }

    /// Starts a server; `prepareUploads` runs on the (not yet existing) uploads folder path first.
    init(maxUpload: Int = 8 << 20, directoryListing: Bool = true,
         prepareUploads: (String) throws -> Void = { _ in }) throws {
        var template = Array("/tmp/httpsh-upload-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw UploadTestError("mkdtemp failed") }
        base = String(cString: made)
        root = base + "/public"
        uploads = base + "/uploads"
        mkdir(root, 0o755)
        try prepareUploads(uploads)
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.root = root
        configuration.uploads = uploads
        configuration.workers = 2
        configuration.maxUploadBytes = maxUpload
        configuration.directoryListing = directoryListing
        logs = UploadTestLogSink()
        let context = try ServerContext(configuration: configuration, logger: Logger(level: .info, sink: logs))
        let router = try StandardRoutes.router(configuration: configuration, context: context)
        server = try Server(configuration: configuration, context: context, router: router)
        try server.start()
    }

    /// Runs after the server stops, before its folders are deleted (to unmount a test file system).
    var beforeRemoval: () -> Void = {}

    /// Stops the server at once and deletes its folders.
    func stop() {
        _ = server.shutdown(graceSeconds: 0)
        beforeRemoval()
        _ = try? FileManager.default.removeItem(atPath: base)
    }

    /// Every name in the uploads folder, dotfiles included, sorted.
    func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []).sorted()
    }

    /// The bytes of an uploaded file, read from the disk.
    func stored(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: uploads + "/" + name).map { Array($0) }
    }

    /// A new connection to the server.
    func connect() throws -> UploadTestClient {
        try UploadTestClient(port: port)
    }

    /// Sends one request on a new connection and reads its response.
    func request(_ bytes: [UInt8]) throws -> UploadTestResponse {
        let client = try connect()
        defer { client.close() }
        try client.send(bytes)
        return try client.readResponse()
    }
}

/// Collects log lines, so a test can show what the server said.
final class UploadTestLogSink: LogSink {
    private let lines = Lock<[String]>([])

    func write(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] { lines.withLock { $0 } }
}

struct UploadTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A blocking loopback TCP client that speaks raw HTTP/1.1 bytes.
final class UploadTestClient {
    /// Long enough for a loaded 2-core machine, short enough that a hang fails the test instead of the run.
    static let timeoutSeconds = 10

    private let fd: Int32
    private var buffered: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw UploadTestError("socket failed") }
        var timeout = timeval(tv_sec: Self.timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw UploadTestError("connect failed: errno \(errno)")
        }
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw UploadTestError("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads one response (body by `Content-Length`, or to the end of the stream).
    func readResponse() throws -> UploadTestResponse {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: buffered)
            if headEnd == nil { guard try fill() else { throw UploadTestError("closed before a response head") } }
        }
        guard let headEnd else { throw UploadTestError("no head") }
        let headText = String(decoding: buffered[..<headEnd], as: UTF8.self)
        buffered.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw UploadTestError("bad status line") }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = UploadTestResponse(status: status, headers: headers, body: [])
        if let length = response.header("Content-Length").flatMap(Int.init) {
            while buffered.count < length {
                guard try fill() else { throw UploadTestError("closed inside a response body") }
            }
            response.body = Array(buffered[..<length])
            buffered.removeFirst(length)
        } else {
            while try fill() {}
            response.body = buffered
            buffered = []
        }
        return response
    }

    /// True when the server has closed the connection (reads end of stream).
    func isClosedByPeer() -> Bool {
        (try? fill()) == false
    }

    func close() {
        Glibc.close(fd)
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw UploadTestError("recv failed: errno \(errno)") }
        buffered.append(contentsOf: chunk[0..<n])
        return n > 0
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        for index in 0...(bytes.count - pattern.count) where bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
            return index
        }
        return nil
    }
}

struct UploadTestResponse {
    let status: Int
    let headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    /// The `files` of a multipart answer.
    var files: [[String: Any]] { json["files"] as? [[String: Any]] ?? [] }
}

/// Builds request bytes.
enum UploadTestRequest {
    /// A POST with a `Content-Length` body.
    static func post(_ path: String = "/upload", contentType: String?, body: [UInt8],
                     extraHeaders: [String] = []) -> [UInt8] {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        for header in extraHeaders { head += header + "\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }

    /// A POST with a chunked body cut into `chunkSize` pieces.
    static func chunked(contentType: String, body: [UInt8], chunkSize: Int) -> [UInt8] {
        var bytes = Array(("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
            + "Content-Type: \(contentType)\r\nTransfer-Encoding: chunked\r\n\r\n").utf8)
        var offset = 0
        while offset < body.count {
            let piece = body[offset..<min(offset + chunkSize, body.count)]
            bytes += Array("\(String(piece.count, radix: 16))\r\n".utf8) + piece + [13, 10]
            offset += piece.count
        }
        return bytes + Array("0\r\n\r\n".utf8)
    }

    /// A GET, optionally with more header lines.
    static func get(_ path: String, _ headers: [String] = []) -> [UInt8] {
        Array(("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n").utf8)
    }
}

/// A `multipart/form-data` body, built the way browsers and curl send one.
struct UploadTestForm {
    let boundary = "----httpshTestBoundary7MA4YWxkTrZu0gW"
    private(set) var body: [UInt8] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func file(_ field: String, filename: String, _ content: [UInt8], type: String = "application/octet-stream") {
        body += Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\n"
            + "Content-Type: \(type)\r\n\r\n").utf8) + content + [13, 10]
    }

    mutating func field(_ name: String, _ value: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    /// The body with its closing boundary.
    var closed: [UInt8] { body + Array("--\(boundary)--\r\n".utf8) }
}

/// Polls `condition` until it holds or a generous deadline passes; for effects that happen on server threads.
func uploadEventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<200 {
        if condition() { return true }
        usleep(25_000)
    }
    return condition()
}

/// `count` bytes from the system's random source.
func uploadRandomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        var offset = 0
        while offset < raw.count {
            withUnsafeBytes(of: generator.next()) { word in
                for byte in word where offset < raw.count {
                    raw[offset] = byte
                    offset += 1
                }
            }
        }
    }
    return bytes
}
