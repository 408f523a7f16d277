import Foundation
import Glibc
import Synchronization

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
        let socket = try RawClient(port: port, timeout: 10)
        defer { socket.close() }
        try socket.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Content-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(body.count)\r\n\r\n")
        if pause == 0 {
            try socket.send(bytes: body)
        } else {
            let piece = (body.count + 3) / 4
            for start in stride(from: 0, to: body.count, by: piece) {
                try socket.send(bytes: Array(body[start..<min(body.count, start + piece)]))
                usleep(pause)
            }
        }
        let response = try socket.readResponse()
        guard response.status == 201,
              let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let files = json["files"] as? [[String: Any]], let path = files.first?["filepath"] as? String
        else { throw TestFailure("answered \(response.status)") }
        return String(path.dropFirst("/uploads/".count))
    }
}

/// Client threads posting `FormUpload`s one after another, each upload with its own id, recording which were stored
/// under which name and which failed (a server going away under a request: nothing may be stored for it).
final class UploadClients: Sendable {
    private let running = Atomic(true)
    private let nextID = Atomic(0)
    private let answered = Mutex<[(name: String, id: Int)]>([])
    private let failed = Mutex<[String]>([])
    private let finished = DispatchGroup()

    /// Starts `clients` threads, each posting `uploadsEach` uploads (nil: until `stop()`) to the port `port` names
    /// for each (nil: that upload is skipped), as `filename(id)`, the body in pieces `pause` microseconds apart.
    func start(clients: Int, uploadsEach: Int? = nil, pause: useconds_t = 0,
               port: @escaping @Sendable () -> UInt16?, filename: @escaping @Sendable (Int) -> String) {
        for _ in 0..<clients {
            finished.enter()
            Thread {
                var posted = 0
                while self.running.load(ordering: .relaxed), posted < uploadsEach ?? .max {
                    posted += 1
                    let id = self.nextID.add(1, ordering: .relaxed).newValue
                    guard let target = port() else { continue }
                    do {
                        let name = try FormUpload.post(port: target, filename: filename(id), FormUpload.payload(id),
                                                       pause: pause)
                        self.answered.withLock { $0.append((name, id)) }
                    } catch {
                        self.failed.withLock { $0.append("\(id): \(error)") }
                    }
                }
                self.finished.leave()
            }.start()
        }
    }

    /// Waits until every thread has posted its uploads.
    func wait() {
        finished.wait()
    }

    /// Tells the threads to stop after their current upload and waits for them.
    func stop() {
        running.store(false, ordering: .relaxed)
        finished.wait()
    }

    /// The uploads answered (the name each was stored under) and those that failed, so far.
    var outcome: (stored: [(name: String, id: Int)], failures: [String]) {
        (answered.withLock { $0 }, failed.withLock { $0 })
    }
}
