import Foundation
import Glibc

// Shared by the end-to-end Fault* suites: a scratch site, a blocking loopback socket, and what /proc says about
// a spawned process.

/// A scratch folder with `public/hello.txt` and an empty `uploads/`, removed at the end.
final class FaultSite {
    let path: String
    var root: String { path + "/public" }
    var uploads: String { path + "/uploads" }

    init() throws {
        var template = Array("/tmp/httpsh-fault-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HTTPSHProcess.Failure(description: "mkdtemp failed") }
        path = String(cString: made)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: uploads, withIntermediateDirectories: true)
        try Data("hello from httpsh\n".utf8).write(to: URL(fileURLWithPath: root + "/hello.txt"))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Flags serving this site on a port the kernel picks, without a shell or access log.
    var flags: [String] { scriptFlags + ["--no-shell"] }

    /// The same, taking shell commands from standard input (the server stops when it closes).
    var scriptFlags: [String] {
        ["--port", "0", "-d", root, "--uploads", uploads, "--access-log", "off"]
    }

    /// Every name in the uploads folder, dotfiles included, sorted.
    func uploadEntries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []).sorted()
    }
}

/// A blocking TCP connection to 127.0.0.1 whose reads wait at most `timeout` seconds.
final class FaultSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private let timeout: Double

    init(port: UInt16, timeout: Double = 10) throws {
        self.timeout = timeout
        // Set only once connected: `deinit` closes it, and must never close a number it does not own.
        fd = try LoopbackHTTP.connect(port: port)
    }

    deinit {
        close()
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += n
        }
    }

    /// Reads one response with a `Content-Length` body; returns its status and body.
    func readResponse() throws -> (status: Int, body: [UInt8]) {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find(Array("\r\n\r\n".utf8), in: buffer)
            if headEnd == nil { try fill() }
        }
        guard let headEnd else { throw Failure(description: "no head") }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        let statusLine = head.prefix { $0 != "\r" }.split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Failure(description: "bad status line in \(head.prefix(80))")
        }
        let lengthLine = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
        let lengthText = lengthLine.map { $0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces) }
        let length = lengthText.flatMap { Int($0) } ?? 0
        while buffer.count < length { try fill() }
        defer { buffer.removeFirst(length) }
        return (status, Array(buffer[..<length]))
    }

    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    private func fill() throws {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { throw Failure(description: "timed out") }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw Failure(description: "closed after \(buffer.count) bytes") }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }
}

/// What /proc says about a running process.
enum FaultProc {
    /// Open descriptors of process `pid`.
    static func descriptors(_ pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// True when this test run (and so the `httpsh` built with it) is instrumented by AddressSanitizer.
    static var addressSanitizerIsOn: Bool { dlsym(nil, "__asan_init") != nil }

    /// Threads of process `pid`.
    static func threads(_ pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.count
    }

    /// Resident memory of process `pid`, in bytes.
    static func residentBytes(_ pid: Int32) -> Int? {
        statusKilobytes(pid, "VmRSS:").map { $0 * 1024 }
    }

    /// Mapped (virtual) memory of process `pid`, in bytes: every thread stack still mapped counts here.
    static func virtualBytes(_ pid: Int32) -> Int? {
        statusKilobytes(pid, "VmSize:").map { $0 * 1024 }
    }

    private static func statusKilobytes(_ pid: Int32, _ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) })
        else { return nil }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass ("eventually", never a timing assertion).
func faultEventually(within seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(20_000)
    }
    return true
}
