import Glibc
import Synchronization

/// Where finished log lines go. `write` must not block on slow output: it is called from worker threads.
public protocol LogSink: Sendable {
    /// Takes one line, without its trailing newline.
    func write(_ line: String)
}

/// A sink that queues lines and writes them to a file descriptor from its own thread, so a slow terminal or disk
/// never stalls a worker. When the queue is full (in lines or in bytes), lines are dropped and counted.
public final class AsyncLineWriter: LogSink {
    /// Lines beyond this many waiting are dropped.
    static let capacity = 10_000
    /// Bytes waiting (and being written) beyond this are dropped: a stalled standard error or a slow pipe must
    /// cost bounded memory, and 4 MiB holds seconds of a busy server's ordinary lines.
    public static let byteCapacity = 4 << 20

    private struct State {
        var fd: Int32
        var queue = LineQueue(maximumLines: AsyncLineWriter.capacity, maximumBytes: AsyncLineWriter.byteCapacity)
        /// A taken batch is being written: `flush` waits for it too.
        var writing = false
    }

    private let state: Lock<State>
    private let wake = Condition()

    /// Starts a writer for `fd` (2 for stderr).
    public init(fd: Int32) {
        state = Lock(State(fd: fd))
        spawnThread(name: "httpsh-log") { [self] in run() }
    }

    /// Lines dropped because the queue was full.
    public var dropped: Int { state.withLock { $0.queue.dropped } }

    /// Bytes of lines waiting or being written now (at most `byteCapacity`).
    public var queuedBytes: Int { state.withLock { $0.queue.bytes } }

    public func write(_ line: String) {
        if state.withLock({ $0.queue.append(line) }) { wake.signal() }
    }

    /// Points the writer at another descriptor (after reopening a log file); closes the old one unless it is 0–2.
    public func replaceDescriptor(_ fd: Int32) {
        let old = state.withLock { state in
            defer { state.fd = fd }
            return state.fd
        }
        if old > 2 { Glibc.close(old) }
    }

    /// Writes what is queued now and returns when it is out, or after `timeoutSeconds` when the output is stalled
    /// (a paused terminal, a pipe nobody reads): a shutdown must not wait on its log. False when lines were left.
    @discardableResult
    public func flush(timeoutSeconds: Double) -> Bool {
        let deadline = MonotonicClock.milliseconds() + Int64(timeoutSeconds * 1000)
        while !state.withLock({ $0.queue.lines.isEmpty && !$0.writing }) {
            if MonotonicClock.milliseconds() >= deadline { return false }
            usleep(1000)
        }
        return true
    }

    private func run() {
        while true {
            let taken = wake.wait {
                state.withLock { state -> (Int32, [String])? in
                    guard !state.queue.lines.isEmpty else { return nil }
                    state.writing = true
                    return (state.fd, state.queue.take())
                }
            }
            guard let (fd, lines) = taken else { continue }
            var text = lines.joined(separator: "\n")
            text += "\n"
            text.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    guard let base = bytes.baseAddress else { break }
                    let n = Glibc.write(fd, base + offset, bytes.count - offset)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    offset += n
                }
            }
            state.withLock { state in
                state.queue.release(lines)
                state.writing = false
            }
        }
    }
}
