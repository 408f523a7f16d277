import Foundation
import Glibc
import HTTPServer

/// An `httpsh --no-shell` serving a `FaultSite`, its control socket in the site's folder, and `httpsh attach`
/// runs against it.
final class ControlledServer {
    let site: FaultSite
    let process: HTTPSHProcess
    let port: UInt16
    let socketPath: String

    /// Starts the server with `extra` flags (after the site's) and waits until it serves.
    init(extra: [String] = [], site: FaultSite? = nil) throws {
        let site = try site ?? FaultSite()
        self.site = site
        socketPath = site.path + "/control.sock"
        process = try HTTPSHProcess(site.flags + ["--control", socketPath, "--log-level", "info"] + extra)
        guard let port = process.announcedPort(in: \.stderr) else {
            throw HTTPSHProcess.Failure(description: "no port announced; stderr: \(process.stderr)")
        }
        self.port = port
    }

    deinit {
        process.signal(SIGKILL)
    }

    /// Runs `httpsh attach --control SOCKET` with `arguments`, feeding `input` on stdin (closed at once when nil),
    /// and waits for it to exit.
    func attach(_ arguments: [String], input: String? = nil, seconds: Double = 20) throws -> AttachResult {
        let client = try HTTPSHProcess(["attach", "--control", socketPath] + arguments)
        if let input { client.send(input) }
        client.closeInput()
        guard let exit = client.waitForExit(seconds: seconds) else {
            throw HTTPSHProcess.Failure(description: "attach did not finish; stdout: \(client.stdout)")
        }
        return AttachResult(status: exit.status, stdout: client.stdout, stderr: client.stderr)
    }

    /// `attach -c COMMANDS`.
    func attach(commands: String) throws -> AttachResult {
        try attach(["-c", commands])
    }

    /// One field of `status --json`, through the control socket.
    func statusField(_ key: String) throws -> Any? {
        let result = try attach(commands: "status --json")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return object?[key]
    }

    /// Waits for the server to exit; its status.
    func waitForExit() -> HTTPSHProcess.Exit? {
        process.waitForExit(seconds: 20)
    }
}

/// How an `httpsh attach` run ended.
struct AttachResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// A raw connection to a control socket, speaking the wire format by hand (ControlWire) to test what the server
/// does with good and bad requests.
final class RawControlConnection {
    let socket: UnixSocket
    private var received: [UInt8] = []

    init(path: String) throws {
        socket = try UnixSocket.connect(path: path)
    }

    deinit {
        socket.close()
    }

    func send(_ text: String) {
        socket.send(text)
    }

    /// Reads one line (without its newline); nil when the server closed or `seconds` passed.
    func readLine(seconds: Double = 10) -> String? {
        while true {
            if let end = received.firstIndex(of: 10) {
                defer { received.removeFirst(end + 1) }
                return String(decoding: received[..<end], as: UTF8.self)
            }
            guard fill(seconds: seconds) else { return nil }
        }
    }

    /// Reads one frame: its kind and text; nil when the server closed or `seconds` passed.
    func readFrame(seconds: Double = 10) -> (kind: String, text: String)? {
        guard let header = readLine(seconds: seconds) else { return nil }
        let words = header.split(separator: " ")
        guard words.count == 2, let length = Int(words[1]) else { return (header, "") }
        while received.count < length {
            guard fill(seconds: seconds) else { return nil }
        }
        defer { received.removeFirst(length) }
        return (String(words[0]), String(decoding: received[..<length], as: UTF8.self))
    }

    /// True when the server closed the connection within `seconds` (what was sent before is skipped).
    func closedByServer(seconds: Double = 10) -> Bool {
        while fill(seconds: seconds) {}
        return socket.wait(for: POLLIN, milliseconds: 0)
    }

    private func fill(seconds: Double) -> Bool {
        guard socket.wait(for: POLLIN, milliseconds: Int32(seconds * 1000)) else { return false }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        guard let count = socket.read(into: &chunk) else { return false }
        received.append(contentsOf: chunk[..<count])
        return true
    }
}

/// A tmux session running one command in a real pseudo-terminal, for what only a terminal shows.
final class TmuxSession {
    let name: String

    /// Starts `command` (a shell command line) detached, in a window of `width` × `height`.
    init(_ command: String, width: Int = 160, height: Int = 50) throws {
        name = "httpsh-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard Self.tmux(["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), command]) == 0
        else { throw HTTPSHProcess.Failure(description: "tmux new-session failed (is tmux installed? make deps)") }
    }

    deinit {
        kill()
    }

    /// Types `keys` (tmux key names such as `Enter`, `C-c`, `Tab`, or literal text).
    func send(_ keys: String...) {
        _ = Self.tmux(["send-keys", "-t", name] + keys)
    }

    /// What the window shows now.
    func screen() -> String {
        let pipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux", "capture-pane", "-p", "-t", name]
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Waits until the screen contains `text`; the screen then, or nil.
    func waitFor(_ text: String, seconds: Double = 10) -> String? {
        var seen = ""
        let found = faultEventually(within: seconds) {
            seen = screen()
            return seen.contains(text)
        }
        return found ? seen : nil
    }

    /// Ends the session: its terminal goes away and the processes in it get SIGHUP.
    func kill() {
        _ = Self.tmux(["kill-session", "-t", name])
    }

    @discardableResult
    private static func tmux(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
