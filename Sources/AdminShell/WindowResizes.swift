import CLinux
import Glibc

/// Tells a thread that waits with `poll` that the terminal's window changed size: SIGWINCH writes a byte to a
/// pipe whose read end the waiter polls beside its other descriptors. One at a time per process (the signal has
/// one handler); `stop()` restores the default action.
final class WindowResizes {
    /// The descriptor to poll for reading: readable after a resize.
    let descriptor: Int32
    private let writeEnd: Int32

    /// Starts watching; nil when the pipe or the handler cannot be set up (resizes then go unnoticed).
    init?() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        guard ends.allSatisfy({ fcntl($0, F_SETFL, O_NONBLOCK) == 0 && fcntl($0, F_SETFD, FD_CLOEXEC) == 0 }),
              clinux_notify_on_resize(ends[1]) == 0 else {
            for end in ends { Glibc.close(end) }
            return nil
        }
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    /// Empties the pipe after a wake-up, so that the next resize wakes the waiter again.
    func acknowledge() {
        var drained = [UInt8](repeating: 0, count: 64)
        while read(descriptor, &drained, drained.count) > 0 {}
    }

    /// Stops watching and closes the pipe.
    func stop() {
        clinux_notify_on_resize(-1)
        Glibc.close(descriptor)
        Glibc.close(writeEnd)
    }
}
