import Glibc
import Synchronization

/// One line per request, in Combined Log Format (what nginx, GoAccess and AWStats read) or as JSON lines.
/// Without a file, lines go through the logger at `info` (above the shell's prompt; `loglevel warning` silences
/// them). With a file, every line goes there through a buffered writer, whatever the log level.
public final class AccessLog: Sendable {
    /// The line format.
    public enum Format: String, Sendable {
        case combined
        case json
    }

    /// Where lines go.
    public enum Destination: Sendable, Equatable {
        /// Through the logger at `info` (standard error, or above the prompt).
        case logger
        /// Appended to a file; `log reopen` and SIGUSR1 reopen it after rotation.
        case file(String)
        /// Nowhere (benchmarks).
        case off
    }

    /// The log file could not be opened.
    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// What one line says.
    struct Entry {
        var client: IPAddress
        var head: RequestHead?
        var status: Int
        var bytes: Int
        var requestID: String
        var microseconds: Int64
    }

    let logger: Logger
    private let formatIsJSON: Atomic<Bool>
    let destination: Destination
    private let file: AsyncLineWriter?
    /// Sessions running `log follow`: they see every request their filter matches, whatever the destination
    /// and log level.
    public let followers = LogFollowers()

    /// Opens the destination (creating a log file if needed).
    public init(logger: Logger, format: Format = .combined, destination: Destination = .logger) throws(OpenError) {
        self.logger = logger
        formatIsJSON = Atomic(format == .json)
        self.destination = destination
        if case .file(let path) = destination {
            file = AsyncLineWriter(fd: try Self.open(path))
        } else {
            file = nil
        }
    }

    /// The line format; changes live (`config set log-format json`), from the next line on.
    public var format: Format {
        get { formatIsJSON.load(ordering: .relaxed) ? .json : .combined }
        set { formatIsJSON.store(newValue == .json, ordering: .relaxed) }
    }

    /// Whether a line would go anywhere: when not, the engine does not even build the entry.
    var isRecording: Bool {
        destination != .off || followers.isActive
    }

    func record(_ entry: Entry) {
        if followers.isActive {
            followers.offer(status: entry.status, target: entry.head?.target, client: entry.client) { line(entry) }
        }
        switch destination {
        case .off:
            return
        case .logger:
            guard logger.isEnabled(.info) else { return }
            logger.raw(.info, line(entry))
        case .file:
            file?.write(line(entry))
        }
    }

    /// Reopens the log file (after logrotate moved it); returns what happened, for the shell.
    public func reopen() -> String {
        guard case .file(let path) = destination, let file else { return "no access-log file to reopen" }
        do {
            file.replaceDescriptor(try Self.open(path))
            return "reopened \(path)"
        } catch {
            logger.error("\(error)")
            return "cannot reopen \(path): \(error)"
        }
    }

    /// Lines dropped because the file could not keep up.
    public var droppedLines: Int { file?.dropped ?? 0 }

    /// Bytes of lines waiting for the file (bounded by `AsyncLineWriter.byteCapacity`).
    public var queuedBytes: Int { file?.queuedBytes ?? 0 }

    private func line(_ entry: Entry) -> String {
        format == .json ? Self.json(entry) : Self.combined(entry)
    }

    private static func open(_ path: String) throws(OpenError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw OpenError(description: "cannot open access log \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// `127.0.0.1 - - [21/Nov/2026:20:30:00 +0000] "GET / HTTP/1.1" 200 1234 "referer" "agent"`.
    static func combined(_ entry: Entry) -> String {
        let request = entry.head.map { "\($0.method) \($0.target) \($0.version)" } ?? "-"
        let referer = entry.head?.headers[.referer] ?? "-"
        let agent = entry.head?.headers[.userAgent] ?? "-"
        return "\(entry.client) - - [\(UTCTime.now("%d/%b/%Y:%H:%M:%S +0000"))] \"\(quoted(request))\" \(entry.status) "
            + "\(entry.bytes) \"\(quoted(referer))\" \"\(quoted(agent))\""
    }

    static func json(_ entry: Entry) -> String {
        func field(_ name: String, _ value: String) -> String { "\"\(name)\":\"\(JSONText.escaped(value))\"" }
        let head = entry.head
        return "{" + [
            field("time", UTCTime.now("%Y-%m-%dT%H:%M:%SZ")),
            field("request_id", entry.requestID),
            field("client", entry.client.description),
            field("method", head.map { $0.method.description } ?? "-"),
            field("path", head?.target ?? "-"),
            "\"status\":\(entry.status)",
            "\"bytes\":\(entry.bytes)",
            "\"duration_us\":\(entry.microseconds)",
            field("user_agent", head?.headers[.userAgent] ?? ""),
            field("referer", head?.headers[.referer] ?? ""),
        ].joined(separator: ",") + "}"
    }

    /// Escapes `"` and `\`, and what a terminal would obey (`TerminalText`), so a hostile header can neither
    /// forge log lines nor drive the operator's terminal.
    private static func quoted(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case let c where TerminalText.isUnsafe(c): out += TerminalText.escape(c)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
