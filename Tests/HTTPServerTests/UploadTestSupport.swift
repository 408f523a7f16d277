import Foundation
import Glibc
@testable import HTTPServer

// Helpers for the upload tests: the kit's `TestServer` and `RawClient`, plus what only uploads need.

extension TestServer {
    /// httpsh's routes with uploads limited to `maxUpload`; `prepare` runs on the folder before the start.
    static func forUploads(maxUpload: Int = 8 << 20, directoryListing: Bool = true,
                           prepare: (TemporaryDirectory) throws -> Void = { _ in }) throws -> TestServer {
        try TestServer(configure: {
            $0.maxUploadBytes = maxUpload
            $0.directoryListing = directoryListing
        }, prepare: prepare)
    }

    /// The server's upload store.
    var store: UploadStore { context.uploads }

    /// Every name in the uploads folder, dotfiles included, sorted.
    func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []).sorted()
    }

    /// The bytes of an uploaded file, read from the disk.
    func stored(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: uploads + "/" + name).map { Array($0) }
    }

    /// A new connection to the server, with reads that wait long enough for a loaded machine.
    func connect() throws -> RawClient {
        try RawClient(port: port, timeout: 10)
    }

    /// Sends one request on a new connection and reads its response.
    func request(_ bytes: [UInt8]) throws -> RawResponse {
        let client = try connect()
        defer { client.close() }
        try client.send(bytes: bytes)
        return try client.readResponse()
    }
}

extension RawResponse {
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
