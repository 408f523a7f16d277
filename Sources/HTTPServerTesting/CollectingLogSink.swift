import HTTPServer

/// A log sink that keeps lines in memory, so tests stay quiet and can still assert on what was logged.
public final class CollectingLogSink: LogSink {
    /// Lines beyond this many are dropped: a test that floods the log must not grow memory without bound.
    static let capacity = 10_000

    private let stored = Lock<[String]>([])

    public init() {}

    public func write(_ line: String) {
        stored.withLock { lines in
            if lines.count < Self.capacity { lines.append(line) }
        }
    }

    /// Every line written so far, in order.
    public var lines: [String] { stored.withLock { $0 } }
}
