import CLinux
import Glibc

/// One epoll set shared by every worker. Each registration carries a 64-bit token chosen by the caller.
///
/// Everything is registered edge-triggered and stays registered: nothing is re-armed per event.
/// - The listener's event says connections arrived. It wakes one worker, which accepts until the queue is empty;
///   a connection that arrives meanwhile raises another event, for another worker.
/// - A connection's event says something new happened (bytes, the peer's FIN, room to write), and
///   `ConnectionSlots` makes sure one worker at a time acts on it.
final class EventSet: Sendable {
    let fd: Int32

    /// What a descriptor waits for.
    enum Interest {
        /// Edge-triggered: connections arrived (the listener).
        case arrivals
        /// Edge-triggered: new input, or the peer closing (a connection).
        case input
        /// Edge-triggered input, and room to write again (a connection whose response waits for the socket).
        case inputAndOutput

        var events: UInt32 {
            switch self {
            case .arrivals: return EPOLLET.rawValue | EPOLLIN.rawValue
            case .input: return EPOLLET.rawValue | EPOLLIN.rawValue | EPOLLRDHUP.rawValue
            case .inputAndOutput:
                return EPOLLET.rawValue | EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLOUT.rawValue
            }
        }
    }

    init() throws(SocketError) {
        fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SocketError("epoll_create1") }
    }

    deinit {
        Glibc.close(fd)
    }

    /// Adds a descriptor, armed for `interest`.
    func add(_ descriptor: Int32, token: UInt64, interest: Interest) throws(SocketError) {
        guard control(EPOLL_CTL_ADD, descriptor, token: token, events: interest.events) == 0 else {
            throw SocketError("epoll_ctl add")
        }
    }

    /// Adds a descriptor that stays armed (level-triggered, no one-shot): for wake-up eventfds.
    func addPersistent(_ descriptor: Int32, token: UInt64) throws(SocketError) {
        guard control(EPOLL_CTL_ADD, descriptor, token: token, events: EPOLLIN.rawValue) == 0 else {
            throw SocketError("epoll_ctl add")
        }
    }

    /// Changes what a descriptor waits for. Also raises a new edge when the descriptor is ready now (epoll checks
    /// readiness on every change): for input left unconsumed on purpose.
    @discardableResult
    func rearm(_ descriptor: Int32, token: UInt64, interest: Interest) -> Bool {
        control(EPOLL_CTL_MOD, descriptor, token: token, events: interest.events) == 0
    }

    /// Removes a descriptor (closing it also removes it; this is for descriptors that stay open).
    func remove(_ descriptor: Int32) {
        _ = control(EPOLL_CTL_DEL, descriptor, token: 0, events: 0)
    }

    /// Waits for ready descriptors; returns how many entries of `events` were filled (0 on timeout or EINTR).
    func wait(into events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32) -> Int {
        let n = clinux_epoll_wait(fd, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        return n > 0 ? Int(n) : 0
    }

    private func control(_ operation: Int32, _ descriptor: Int32, token: UInt64, events: UInt32) -> Int32 {
        var event = epoll_event()
        event.events = events
        event.data.u64 = token
        return epoll_ctl(fd, operation, descriptor, &event)
    }
}
