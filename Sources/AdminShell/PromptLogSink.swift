import Glibc
import HTTPServer

/// The logger's sink while the interactive prompt runs. Worker threads only queue their lines here; the shell's
/// own thread prints them above the prompt and redraws it, so a log line never lands in the middle of what the
/// operator is typing. A pipe becomes readable when lines are waiting, so the prompt can wait for a key and for
/// log lines at once.
final class PromptLogSink: LogSink {
    /// Lines beyond this many waiting are dropped and counted: a busy server must not fill memory while the
    /// operator's terminal catches up.
    static let capacity = 2_000

    private struct Queue {
        var lines: [String] = []
        var dropped = 0
    }

    private let queue = Lock(Queue())
    /// Readable while lines are waiting (poll it with the keyboard).
    let wakeDescriptor: Int32
    private let wakeWriter: Int32

    /// Nil when no pipe can be made (out of descriptors).
    init?() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeDescriptor = fds[0]
        wakeWriter = fds[1]
    }

    deinit {
        close(wakeDescriptor)
        close(wakeWriter)
    }

    func write(_ line: String) {
        let first = queue.withLock { queue -> Bool in
            guard queue.lines.count < Self.capacity else {
                queue.dropped += 1
                return false
            }
            queue.lines.append(line)
            return queue.lines.count == 1
        }
        // One byte per batch is enough to wake the prompt; a full pipe already means "lines are waiting".
        if first {
            var byte: UInt8 = 1
            _ = Glibc.write(wakeWriter, &byte, 1)
        }
    }

    /// Takes the waiting lines and how many were dropped since the last call.
    func take() -> (lines: [String], dropped: Int) {
        var scratch = [UInt8](repeating: 0, count: 64)
        while read(wakeDescriptor, &scratch, scratch.count) > 0 {}
        return queue.withLock { queue in
            defer { queue = Queue() }
            return (queue.lines, queue.dropped)
        }
    }
}
