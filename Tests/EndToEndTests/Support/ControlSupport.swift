import Foundation
import Glibc
import HTTPServer

/// An `httpsh --no-shell` serving a `ScratchSite`, its control socket in the site's folder, and `httpsh attach`
/// runs against it.
final class ControlledServer {
    let site: ScratchSite
    let process: HTTPSHProcess
    let port: UInt16
    let socketPath: String

    /// Starts the server with `extra` flags (after the site's) and waits until it serves. Servers sharing one site
    /// each need their own `socketName`.
    init(extra: [String] = [], site: ScratchSite? = nil, socketName: String = "control.sock") throws {
        let site = try site ?? ScratchSite()
        self.site = site
        socketPath = site.path + "/" + socketName
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
        try Self.attach(["--control", socketPath] + arguments, input: input, seconds: seconds)
    }

    /// Runs `httpsh attach` with one `--control` for each of `servers` (a fleet shell), then `arguments`.
    static func attach(fleet servers: [ControlledServer], _ arguments: [String], input: String? = nil,
                       seconds: Double = 20) throws -> AttachResult {
        try attach(servers.flatMap { ["--control", $0.socketPath] } + arguments, input: input, seconds: seconds)
    }

    private static func attach(_ arguments: [String], input: String?, seconds: Double) throws -> AttachResult {
        let client = try HTTPSHProcess(["attach"] + arguments)
        if let input { client.send(input) }
        client.closeInput()
        guard let exit = client.waitForExit(seconds: seconds) else {
            throw HTTPSHProcess.Failure(description: "attach did not finish; stdout: \(client.stdout)")
        }
        return AttachResult(status: exit.status, stdout: client.stdout, stderr: client.stderr)
    }

    /// Runs `httpsh attach ARGUMENTS | python3 -m json.tool`: the pipeline's exit status and what the tool printed
    /// (a tool reading the `--json` output is the test that it is JSON).
    static func attachThroughJSONTool(_ arguments: [String]) throws -> (status: Int32, output: Data) {
        let binary = try HTTPSHProcess.binaryPath()
        let quoted = ([binary, "attach"] + arguments).map { "'" + $0.replacing("'", with: "'\\''") + "'" }
        let pipeline = Process()
        pipeline.executableURL = URL(fileURLWithPath: "/bin/sh")
        pipeline.arguments = ["-c", quoted.joined(separator: " ") + " | python3 -m json.tool"]
        let output = Pipe()
        pipeline.standardOutput = output
        try pipeline.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        pipeline.waitUntilExit()
        return (pipeline.terminationStatus, data)
    }

    /// The label a fleet shell gives this server when every socket is called `control.sock`: its folder's name
    /// and the file's.
    var fleetLabel: String {
        (site.path as NSString).lastPathComponent + "/control"
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
    /// The pane's first process, leader of the process group everything in the pane runs in.
    private var panePID: Int32?

    /// Starts `command` (a shell command line) detached, in a window of `width` × `height`.
    init(_ command: String, width: Int = 160, height: Int = 50) throws {
        name = "httpsh-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let arguments = ["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), command]
        // This process's tmux server exits when its last session ends, and a session asked of a server that is
        // exiting fails (seen under load, when tests' sessions come and go at once): the next try starts a fresh
        // server.
        var attempts = 1
        while Self.tmux(arguments).status != 0 {
            guard attempts < 5 else {
                throw HTTPSHProcess.Failure(description: "tmux new-session failed (is tmux installed? make deps)")
            }
            attempts += 1
            usleep(200_000)
        }
        panePID = Int32(Self.tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Ends the pane's processes too: an httpsh whose terminal merely went away serves on (by design), and would
    /// outlive the test run.
    deinit {
        if let panePID, panePID > 1 { Glibc.kill(-panePID, SIGKILL) }
        hangUp()
    }

    /// Types `keys` (tmux key names such as `Enter`, `C-c`, `Tab`, or literal text).
    func send(_ keys: String...) {
        _ = Self.tmux(["send-keys", "-t", name] + keys)
    }

    /// Changes the window's size, as dragging a terminal window's corner does (the program gets SIGWINCH), and
    /// waits until tmux has resized the pane: keys typed before that would reach the program first.
    func resize(width: Int, height: Int = 50) {
        _ = Self.tmux(["resize-window", "-t", name, "-x", String(width), "-y", String(height)])
        _ = eventually(within: 5) {
            Self.tmux(["display-message", "-p", "-t", name, "#{pane_width}"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines) == String(width)
        }
    }

    /// What the window shows now.
    func screen() -> String {
        Self.tmux(["capture-pane", "-p", "-t", name]).output
    }

    /// The window's title (what an OSC 0/2 sequence that reached the terminal would have set).
    func title() -> String {
        Self.tmux(["display-message", "-p", "-t", name, "#{pane_title}"]).output
    }

    /// Waits until the screen contains `text`; the screen then, or nil.
    func waitFor(_ text: String, seconds: Double = 10) -> String? {
        var seen = ""
        let found = eventually(within: seconds) {
            seen = screen()
            return seen.contains(text)
        }
        return found ? seen : nil
    }

    /// Ends the session: its terminal goes away and the processes in it get SIGHUP.
    func hangUp() {
        _ = Self.tmux(["kill-session", "-t", name])
    }

    /// This test process's own tmux server: the default one is shared with whoever else uses tmux on the machine
    /// (an operator, another test run), and a server stopped or busy there would hang every test here. It exits
    /// by itself when its last session is gone.
    private static let socketName = "httpsh-tests-\(getpid())"

    /// Runs `tmux arguments` and waits for it, with its standard output. Spawned and reaped here, not through
    /// Foundation's `Process`: the first tmux command forks the tmux server, and `Process.waitUntilExit` was seen
    /// to wait forever for a client that had already exited (a zombie nobody reaped).
    @discardableResult
    private static func tmux(_ arguments: [String]) -> (status: Int32, output: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return (-1, "") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["tmux", "-L", socketName] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, nil, argv, environ)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else { return (-1, "") }
        // The tmux server a first command forks keeps no copy of this pipe (it is close-on-exec and tmux
        // daemonizes with its standard streams on /dev/null), so this read ends when the client exits.
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            output += chunk[0..<n]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
        return (exitCode, String(decoding: output, as: UTF8.self))
    }
}
