import Foundation
import Glibc

/// Uploads whose bytes say which upload they are, so a test can check that each arrived whole and once.
enum FormUpload {
    /// Upload `id`'s bytes: a first line naming it, then 96 KiB that depend on it (so halves of two differ).
    static func payload(_ id: Int) -> [UInt8] {
        let head = Array("upload \(id)\n".utf8)
        return head + (0..<(96 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ id) }
    }

    /// The id in a payload's first line.
    static func id(of bytes: [UInt8]) -> Int? {
        let line = String(decoding: bytes.prefix { $0 != 0x0a }, as: UTF8.self)
        return line.hasPrefix("upload ") ? Int(line.dropFirst(7)) : nil
    }

    /// Posts one file as a form; returns the name the server stored it under (throws unless 201). With `pause`,
    /// the body goes in four pieces that far apart, so that the request is in flight for a while.
    static func post(port: UInt16, filename: String, _ content: [UInt8], pause: useconds_t = 0) throws -> String {
        let boundary = "sharedBoundary7f3a"
        let body = Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
            + "Content-Type: text/plain\r\n\r\n").utf8) + content + Array("\r\n--\(boundary)--\r\n".utf8)
        let socket = try FaultSocket(port: port)
        defer { socket.close() }
        try socket.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Content-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(body.count)\r\n\r\n")
        if pause == 0 {
            try socket.send(body)
        } else {
            let piece = (body.count + 3) / 4
            for start in stride(from: 0, to: body.count, by: piece) {
                try socket.send(Array(body[start..<min(body.count, start + piece)]))
                usleep(pause)
            }
        }
        let response = try socket.readResponse()
        guard response.status == 201,
              let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let files = json["files"] as? [[String: Any]], let path = files.first?["filepath"] as? String
        else { throw FaultSocket.Failure(description: "answered \(response.status)") }
        return String(path.dropFirst("/uploads/".count))
    }
}
