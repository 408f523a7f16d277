import Glibc

/// Lines handed from worker threads to one reader that prints them at its own pace: the shell's prompt (log
/// lines above what the operator types) and each `log follow` session. Writers only queue; when the reader falls
/// behind, lines beyond `capacity` (or beyond `byteCapacity` bytes) are dropped and counted, so a slow terminal or
/// socket never blocks a worker and never grows memory.
/// A pipe becomes readable while lines are waiting, so the reader can wait for them and for its input at once.
public final class LineMailbox: LogSink {
    /// Bytes kept waiting at most, unless told: a second of a busy server's ordinary lines, or a few dozen of the
    /// longest a client can cause.
    public static let defaultByteCapacity = 1 << 20

    /// Lines kept waiting at most.
    public let capacity: Int
    /// Bytes of lines kept waiting at most.
    public let byteCapacity: Int
    private let queue: Lock<LineQueue>
    /// Readable while lines are waiting (poll it with the keyboard or the socket).
    public let wakeDescriptor: Int32
    private let wakeWriter: Int32

    /// Nil when no pipe can be made (out of descriptors).
    public init?(capacity: Int, byteCapacity: Int = LineMailbox.defaultByteCapacity) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        queue = Lock(LineQueue(maximumLines: capacity, maximumBytes: byteCapacity))
        wakeDescriptor = fds[0]
        wakeWriter = fds[1]
    }

    deinit {
        close(wakeDescriptor)
        close(wakeWriter)
    }

    public func write(_ line: String) {
        let first = queue.withLock { queue in queue.append(line) && queue.lines.count == 1 }
        // One byte per batch is enough to wake the reader; a full pipe already means "lines are waiting".
        if first {
            var byte: UInt8 = 1
            _ = Glibc.write(wakeWriter, &byte, 1)
        }
    }

    /// Takes the waiting lines and how many were dropped since the last call.
    public func take() -> (lines: [String], dropped: Int) {
        var scratch = [UInt8](repeating: 0, count: 64)
        while read(wakeDescriptor, &scratch, scratch.count) > 0 {}
        return queue.withLock { queue in
            let lines = queue.take()
            queue.release(lines)
            return (lines, queue.takeDropped())
        }
    }
}
