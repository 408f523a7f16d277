import Glibc
import Synchronization

/// The server's leveled logger. The level changes live (the shell's `loglevel`); lines go to a replaceable sink.
public final class Logger: Sendable {
    private let levelValue: Atomic<UInt8>
    private let sinkBox: Lock<any LogSink>

    public init(level: LogLevel, sink: any LogSink) {
        levelValue = Atomic(level.rawValue)
        sinkBox = Lock(sink)
    }

    /// The current threshold.
    public var level: LogLevel {
        get { LogLevel(rawValue: levelValue.load(ordering: .relaxed)) ?? .info }
        set { levelValue.store(newValue.rawValue, ordering: .relaxed) }
    }

    /// Where lines go now.
    public var sink: any LogSink {
        get { sinkBox.withLock { $0 } }
        set { sinkBox.withLock { $0 = newValue } }
    }

    /// Lines dropped by the sink because its output was too slow (when the sink counts them).
    public var droppedLines: Int { (sink as? AsyncLineWriter)?.dropped ?? 0 }

    /// True when a message at `level` would be written; check it before building an expensive message.
    @inline(__always)
    public func isEnabled(_ level: LogLevel) -> Bool {
        level.rawValue >= levelValue.load(ordering: .relaxed) && level != .none
    }

    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }

    /// Writes `message` with a timestamp and the level, if the level is enabled. Messages quote what clients
    /// sent, and log lines land on a terminal: they are escaped (`TerminalText`).
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard isEnabled(level) else { return }
        sink.write("\(Self.timestamp()) \(level.description.uppercased()) \(TerminalText.escaped(message()))")
    }

    /// Writes a line in its own format (access-log lines), terminal-safe, if `level` is enabled.
    public func raw(_ level: LogLevel, _ line: @autoclosure () -> String) {
        guard isEnabled(level) else { return }
        sink.write(TerminalText.escaped(line()))
    }

    /// `2026-11-21T20:30:00Z`.
    static func timestamp() -> String {
        UTCTime.now("%Y-%m-%dT%H:%M:%SZ")
    }
}
