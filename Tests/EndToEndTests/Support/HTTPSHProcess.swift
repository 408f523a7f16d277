import Foundation
import HTTPServer
import Glibc

/// A running `httpsh` binary (the one built next to the test bundle), with its stdin, stdout and stderr piped.
///
/// Output is collected by background threads as it arrives, so a test can wait for a line ("serving … at URL")
/// while the process keeps running, then signal it and wait for its exit.
///
/// ```swift
/// let process = try HTTPSHProcess(["--version"])
/// let exit = try #require(process.waitForExit())
/// #expect(exit.status == 0)
/// ```
final class HTTPSHProcess: Sendable {
    /// Why the process could not be run.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// How the process ended.
    struct Exit: Sendable {
        /// The exit status, or the signal number when `signalled`.
        let status: Int32
        /// True when a signal killed it (a crash, or our own kill after a timeout).
        let signalled: Bool
    }

    /// A growing byte buffer one reader thread fills and tests read.
    private final class Collected: Sendable {
        private let bytes = Lock<[UInt8]>([])
        private let finished = DispatchSemaphore(value: 0)

        func append(_ data: Data) { bytes.withLock { $0.append(contentsOf: data) } }
        func finish() { finished.signal() }
        var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }

        /// Waits until the writer closed its end (the process exited and its children let go).
        func waitForEnd(seconds: Double) -> Bool { finished.wait(timeout: .now() + seconds) == .success }
    }

    private let process: Process
    private let input: Pipe
    private let stdoutCollected = Collected()
    private let stderrCollected = Collected()
    /// The scratch folder the process runs in (its default `public/` and `uploads/` would land here).
    private let scratch: TemporaryDirectory
    var folder: String { scratch.path }

    /// The built `httpsh`: next to the running test bundle, or in `.build/debug` of this package.
    static func binaryPath() throws -> String {
        var candidates: [String] = []
        if let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((bundle as NSString).deletingLastPathComponent + "/httpsh")
        }
        // Tests/EndToEndTests/Support/HTTPSHProcess.swift → the package root is four levels up.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        candidates.append(root.path + "/.build/debug/httpsh")
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "httpsh binary not found; looked at \(candidates)")
        }
        return found
    }

    /// Starts `httpsh` with `arguments`, an environment without httpsh's own variables plus `environment`, in a
    /// fresh scratch folder. With a `launcher` (e.g. `setpriv … BINARY`), that command line runs instead, followed
    /// by `arguments`.
    init(_ arguments: [String], environment: [String: String] = [:], launcher: [String] = []) throws {
        scratch = try TemporaryDirectory(prefix: "httpsh-e2e")

        process = Process()
        process.executableURL = URL(fileURLWithPath: try launcher.first ?? Self.binaryPath())
        process.arguments = launcher.dropFirst() + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
        var env = ProcessInfo.processInfo.environment
        for name in ["SERVER_HOST", "SERVER_PORT", "MAX_WORKERS", "LOG_LEVEL", "CLIENT_TIMEOUT", "CORS_ORIGINS"] { env[name] = nil }
        env.merge(environment) { _, new in new }
        process.environment = env

        input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            scratch.remove()
            throw Failure(description: "cannot start httpsh: \(error)")
        }
        Self.collect(output.fileHandleForReading, into: stdoutCollected)
        Self.collect(errors.fileHandleForReading, into: stderrCollected)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        scratch.remove()
    }

    private static func collect(_ handle: FileHandle, into collected: Collected) {
        Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                collected.append(data)
            }
            collected.finish()
        }.start()
    }

    /// The process id, for reading `/proc/<pid>/…`.
    var pid: Int32 { process.processIdentifier }

    /// Everything written to standard output so far.
    var stdout: String { stdoutCollected.text }
    /// Everything written to standard error so far.
    var stderr: String { stderrCollected.text }

    /// The non-empty lines of standard error.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }

    /// Writes `text` to the process's standard input.
    func send(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Closes standard input (end of script).
    func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// Sends `signal` to the process.
    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits until `stream` (stdout or stderr text) satisfies `condition`; the text when it did, nil at the
    /// deadline or when the process ended first.
    func waitFor(seconds: Double = 10, in stream: KeyPath<HTTPSHProcess, String>,
                 _ condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = self[keyPath: stream]
            if condition(text) { return text }
            if !process.isRunning {
                let last = self[keyPath: stream]
                return condition(last) ? last : nil
            }
            usleep(10_000)
        }
        return nil
    }

    /// Waits for the process to exit; kills it and returns nil when it is still running after `seconds`.
    /// Its output is complete once this returns.
    func waitForExit(seconds: Double = 10) -> Exit? {
        guard eventually(within: seconds, { !process.isRunning }) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        _ = stdoutCollected.waitForEnd(seconds: 5)
        _ = stderrCollected.waitForEnd(seconds: 5)
        return Exit(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal)
    }

    /// The port in the first `http://127.0.0.1:PORT/` URL the process printed on `stream`, waiting for it.
    func announcedPort(seconds: Double = 10, in stream: KeyPath<HTTPSHProcess, String>) -> UInt16? {
        guard let text = waitFor(seconds: seconds, in: stream, { $0.contains("http://127.0.0.1:") }),
              let start = text.range(of: "http://127.0.0.1:")
        else { return nil }
        return UInt16(text[start.upperBound...].prefix { $0.isNumber })
    }
}
