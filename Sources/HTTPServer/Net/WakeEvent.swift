import CLinux
import Glibc

/// An eventfd that wakes threads blocked in `epoll_wait`, e.g. to retire a worker or begin a shutdown.
final class WakeEvent: Sendable {
    let fd: Int32

    init() throws(SocketError) {
        fd = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw SocketError("eventfd") }
    }

    deinit {
        Glibc.close(fd)
    }

    /// Makes the descriptor readable; it stays readable until `drain`.
    func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    /// Resets the descriptor to not readable.
    func drain() {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }
}
