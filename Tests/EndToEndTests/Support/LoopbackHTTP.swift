import Glibc

/// The smallest HTTP client the end-to-end tests need: one request with `Connection: close` over a raw
/// 127.0.0.1 socket, returning everything the server sent until it closed.
enum LoopbackHTTP {
    /// Why a request failed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A blocking socket connected to 127.0.0.1:`port`, from the loopback address `source` (any of 127.0.0.0/8,
    /// to play a client other than this machine); the caller closes it.
    static func connect(port: UInt16, source: String = "127.0.0.1") throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        if source != "127.0.0.1" {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                close(fd)
                throw Failure(description: "bind \(source): errno \(errno)")
            }
        }
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
            let code = errno
            close(fd)
            throw Failure(description: "connect: \(String(cString: strerror(code)))")
        }
        return fd
    }

    /// Sends `GET path` (with `headers`, each `Name: value`) and returns the raw response (status line, headers
    /// and body) as text.
    static func get(port: UInt16, _ path: String, headers: [String] = [], timeoutSeconds: Int32 = 5,
                    source: String = "127.0.0.1") throws -> String {
        let fd = try connect(port: port, source: source)
        defer { close(fd) }

        let fields = headers.map { $0 + "\r\n" }.joined()
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(fields)Connection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Failure(description: "send: errno \(errno)")
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutSeconds * 1000) > 0 else {
                throw Failure(description: "timed out after \(received.count) bytes")
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            received.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// The status code of one GET (nil without an answer).
    static func status(port: UInt16, _ path: String, source: String = "127.0.0.1") -> Int? {
        guard let text = try? get(port: port, path, source: source) else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }
}
