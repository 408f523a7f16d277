import CLinux
import Glibc

/// A blocking Unix-domain stream socket: the control socket's listener, its sessions, and `httpsh attach`.
/// Each control session has a thread of its own, so blocking calls (bounded by timeouts) keep the code plain.
public struct UnixSocket: Sendable {
    /// The raw descriptor.
    public let fd: Int32

    /// Wraps a descriptor this socket now owns.
    public init(fd: Int32) {
        self.fd = fd
    }

    /// Binds and listens at `path` (which must not exist) with the given backlog.
    public static func listen(path: String, backlog: Int32) throws(SocketError) -> UnixSocket {
        let socket = try make()
        let bound = try withAddress(path) { Glibc.bind(socket.fd, $0, $1) }
        guard bound == 0, Glibc.listen(socket.fd, backlog) == 0 else {
            let error = SocketError(bound == 0 ? "listen" : "bind \(path)")
            socket.close()
            throw error
        }
        return socket
    }

    /// Connects to the socket at `path`. With `sendTimeoutMilliseconds`, connecting and every send are bounded by
    /// it: a stopped server's full backlog then fails the connect (EAGAIN) instead of blocking it forever.
    public static func connect(path: String, sendTimeoutMilliseconds: Int? = nil) throws(SocketError) -> UnixSocket {
        let socket = try make()
        if let sendTimeoutMilliseconds { socket.setSendTimeout(milliseconds: sendTimeoutMilliseconds) }
        guard try withAddress(path, { Glibc.connect(socket.fd, $0, $1) }) == 0 else {
            let error = SocketError("connect \(path)")
            socket.close()
            throw error
        }
        return socket
    }

    private static func make() throws(SocketError) -> UnixSocket {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        return UnixSocket(fd: fd)
    }

    /// Runs `body` with `path` as a `sockaddr_un`; paths longer than the kernel's 107 bytes are refused.
    private static func withAddress(_ path: String,
                                    _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) throws(SocketError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { throw SocketError("path \(path)", code: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Waits for a connection and accepts it; nil when `stopDescriptor` is readable (or on a transient error).
    /// The thread sleeps until one of the two: no timer wakes it to look at a flag.
    public func accept(unlessReadable stopDescriptor: Int32) -> UnixSocket? {
        var entries = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stopDescriptor, events: Int16(POLLIN), revents: 0)]
        while poll(&entries, 2, -1) < 0 {
            guard errno == EINTR else { return nil }
        }
        guard entries[1].revents == 0, entries[0].revents != 0 else { return nil }
        let fd = Glibc.accept(fd, nil, nil)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return UnixSocket(fd: fd)
    }

    /// The user id of the connected peer's process (`SO_PEERCRED`), nil when the kernel cannot say.
    public func peerUID() -> uid_t? {
        let uid = clinux_peer_uid(fd)
        return uid >= 0 ? uid_t(uid) : nil
    }

    /// True when `events` (POLLIN, POLLOUT) are ready within `milliseconds`, or the peer hung up or failed.
    public func wait(for events: Int32, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
        while true {
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0, errno == EINTR { continue }
            return ready > 0
        }
    }

    /// Bounds every blocking `send` on this socket: a peer that stops reading costs at most this long.
    public func setSendTimeout(milliseconds: Int) {
        var limit = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads what is there (blocking until something is); nil at end of stream or on an error.
    public func read(into buffer: inout [UInt8]) -> Int? {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { return n }
            if n < 0, errno == EINTR { continue }
            return nil
        }
    }

    /// Sends `text` as UTF-8; false when the peer went away or a send timed out.
    @discardableResult
    public func send(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { sendAll($0) }
    }

    private func sendAll(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let n = Glibc.send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Closes both directions at once (another thread blocked on this socket wakes up).
    public func shutdown() {
        _ = Glibc.shutdown(fd, 2)
    }

    /// Closes the descriptor.
    public func close() {
        _ = Glibc.close(fd)
    }
}
