import Foundation
import Glibc

/// The built `httpsh` on a real terminal: a detached tmux session (on a private tmux server) whose screen and
/// window title a test reads back, for behaviour that is about what reaches an operator's terminal.
///
/// ```swift
/// let terminal = try TmuxTerminal(arguments: ["--port", "0"], folder: site.path)
/// defer { terminal.stop() }
/// terminal.type("status")
/// #expect(terminal.waitForScreen { $0.contains("State:") } != nil)
/// ```
final class TmuxTerminal {
    /// tmux is missing or refused to start the session.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The private tmux server's socket name: tests never touch the user's tmux.
    private let socketName = "httpsh-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    private let session = "httpsh"

    /// Starts `httpsh arguments` in `folder` on a 200×50 terminal.
    init(arguments: [String], folder: String) throws {
        let binary = try HTTPSHProcess.binaryPath()
        let command = "cd " + Self.shellQuoted(folder) + " && exec "
            + ([binary] + arguments).map(Self.shellQuoted).joined(separator: " ")
        guard run(["new-session", "-d", "-s", session, "-x", "200", "-y", "50", command]) != nil else {
            throw Failure(description: "tmux could not start a session (is tmux installed?)")
        }
    }

    deinit { stop() }

    /// Ends the session and its tmux server.
    func stop() {
        _ = run(["kill-server"])
    }

    /// The visible screen as text.
    var screen: String { run(["capture-pane", "-p", "-t", session]) ?? "" }

    /// The window title the program set (OSC 0/2 change it).
    var title: String {
        (run(["display-message", "-p", "-t", session, "#{pane_title}"]) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Types `line` and Enter.
    func type(_ line: String) {
        _ = run(["send-keys", "-t", session, "-l", line])
        _ = run(["send-keys", "-t", session, "Enter"])
    }

    /// Waits until the screen satisfies `condition`; the screen when it did, nil after `seconds`.
    func waitForScreen(seconds: Double = 10, _ condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = screen
            if condition(text) { return text }
            usleep(50_000)
        }
        return nil
    }

    /// Runs `tmux -L <socket> -f /dev/null args`; its standard output, nil when it failed.
    @discardableResult
    private func run(_ args: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux", "-L", socketName, "-f", "/dev/null"] + args
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
