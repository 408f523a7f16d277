import Glibc
import Synchronization

/// Where finished log lines go. `write` must not block on slow output: it is called from worker threads.
public protocol LogSink: Sendable {
    /// Takes one line, without its trailing newline.
    func write(_ line: String)
}

/// A sink that queues lines and writes them to a file descriptor from its own thread, so a slow terminal or disk
/// never stalls a worker. When the queue is full, lines are dropped and counted.
public final class AsyncLineWriter: LogSink {
    /// Lines beyond this many waiting are dropped: a stalled terminal must cost bounded memory.
    static let capacity = 10_000

    private struct State {
        var fd: Int32
        var queue: [String] = []
        var dropped = 0
        var stopped = false
        /// A taken batch is being written: `flush` waits for it too.
        var writing = false
    }

    private let state: Lock<State>
    private let wake = Condition()
    private let dropCount = Atomic<Int>(0)

    /// Starts a writer for `fd` (2 for stderr).
    public init(fd: Int32) {
        state = Lock(State(fd: fd))
        spawnThread(name: "httpsh-log") { [self] in run() }
    }

    /// Lines dropped because the queue was full.
    public var dropped: Int { dropCount.load(ordering: .relaxed) }

    public func write(_ line: String) {
        let accepted = state.withLock { state in
            guard state.queue.count < Self.capacity else { return false }
            state.queue.append(line)
            return true
        }
        if accepted { wake.signal() } else { dropCount.add(1, ordering: .relaxed) }
    }

    /// Points the writer at another descriptor (after reopening a log file); closes the old one unless it is 0–2.
    public func replaceDescriptor(_ fd: Int32) {
        let old = state.withLock { state in
            defer { state.fd = fd }
            return state.fd
        }
        if old > 2 { Glibc.close(old) }
    }

    /// Writes what is queued now and returns when it is out (for shutdown).
    public func flush() {
        while !state.withLock({ $0.queue.isEmpty && !$0.writing }) { usleep(1000) }
    }

    private func run() {
        while true {
            let taken = wake.wait {
                state.withLock { state -> (Int32, [String])? in
                    guard !state.queue.isEmpty else { return nil }
                    state.writing = true
                    defer { state.queue.removeAll(keepingCapacity: true) }
                    return (state.fd, state.queue)
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
            state.withLock { $0.writing = false }
        }
    }
}
