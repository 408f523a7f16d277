import CLinux
import Glibc

/// A file descriptor of a TCP socket. A small value: copying it does not duplicate the descriptor.
/// Every syscall the server makes on a socket goes through here, and `errno` becomes an `IOResult` or a
/// `SocketError` in this file only.
package struct Socket: Sendable, Hashable {
    /// The raw descriptor.
    package let fd: Int32

    init(fd: Int32) {
        self.fd = fd
    }

    /// The outcome of a non-blocking read or write.
    enum IOResult: Equatable {
        /// This many bytes moved (more than zero).
        case done(Int)
        /// The kernel buffer is empty (read) or full (write): wait for readiness.
        case wouldBlock
        /// The peer closed its side (read returned 0) or reset the connection.
        case closed
    }

    /// Creates a non-blocking listening socket bound to `address`, with `SO_REUSEADDR` and the given backlog.
    /// An IPv6 wildcard listener also accepts IPv4 (dual stack). With `reusePort`, other sockets that set it too
    /// (another httpsh started with `--reuse-port`) may listen on the same address and port.
    static func listen(on address: SocketAddress, backlog: Int32, reusePort: Bool = false) throws(SocketError)
        -> Socket {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        let socket = Socket(fd: fd)
        socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
        if reusePort { socket.setOption(SOL_SOCKET, SO_REUSEPORT, 1) }
        // Accepted sockets inherit it: small responses go out at once without a setsockopt per connection.
        socket.setNoDelay()
        if address.family == AF_INET6 { socket.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0) }
        let bound = address.withSockAddr { Glibc.bind(fd, $0, $1) }
        guard bound == 0 else {
            let error = SocketError("bind \(address)")
            socket.close()
            throw error
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = SocketError("listen")
            socket.close()
            throw error
        }
        return socket
    }

    /// Opens a blocking connection to `address` (the listener hand-over's probe; the server never dials out).
    static func connect(to address: SocketAddress) throws(SocketError) -> Socket {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        let socket = Socket(fd: fd)
        guard address.withSockAddr({ Glibc.connect(fd, $0, $1) }) == 0 else {
            let error = SocketError("connect \(address)")
            socket.close()
            throw error
        }
        return socket
    }

    /// Accepts one pending connection as a non-blocking socket, or nil when none is waiting.
    /// Throws for errors that are not about one client (EMFILE, ENFILE, ENOBUFS, ENOMEM).
    func accept() throws(SocketError) -> (Socket, SocketAddress)? {
        while true {
            var written = sockaddr_in6()
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            let fd = withUnsafeMutablePointer(to: &written) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    clinux_accept_nonblocking(self.fd, $0, &length)
                }
            }
            if fd >= 0 { return (Socket(fd: fd), SocketAddress(written)) }
            switch errno {
            case EAGAIN, EWOULDBLOCK: return nil
            case EINTR, ECONNABORTED, EPROTO, EPERM: continue
            default: throw SocketError("accept")
            }
        }
    }

    /// The address this socket is bound to (reads back the port the kernel picked for port 0).
    func localAddress() -> SocketAddress? {
        var written = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let result = withUnsafeMutablePointer(to: &written) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? SocketAddress(written) : nil
    }

    /// Reads into `buffer` at most `count` bytes.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> IOResult {
        while true {
            let n = clinux_recv(fd, buffer, count)
            if n > 0 { return .done(n) }
            if n == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
        }
    }

    /// Writes the given buffers with one `writev`. `more` says that a write follows at once (a file body after
    /// its head): the kernel then holds a partial segment back so both leave in one packet (`MSG_MORE`).
    func write(_ vectors: UnsafeMutableBufferPointer<iovec>, more: Bool = false) -> IOResult {
        let flags = Int32(MSG_NOSIGNAL) | (more ? Int32(MSG_MORE) : 0)
        while true {
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = vectors.count
            let n = clinux_sendmsg(fd, &message, flags)
            if n >= 0 { return .done(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
        }
    }

    /// Sends up to `count` bytes of the file `file` from `offset` (advanced) with `sendfile`.
    func sendFile(_ file: Int32, offset: inout Int, count: Int) -> IOResult {
        while true {
            var position = off_t(offset)
            let n = Glibc.sendfile(fd, file, &position, count)
            if n > 0 {
                offset = Int(position)
                return .done(n)
            }
            if n == 0 { return .closed }  // the file shrank under us: nothing more to send
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
        }
    }

    /// True when received bytes are waiting to be read (a request that arrived but is not yet picked up).
    func hasPendingInput() -> Bool {
        var byte: UInt8 = 0
        return Glibc.recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) > 0
    }

    /// Sets an integer socket option; failures are ignored (options here are tuning, not correctness).
    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Disables Nagle so small responses go out at once.
    func setNoDelay() {
        setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    /// Holds back partial segments (`TCP_CORK`) until `false` sends what is held.
    func setCorked(_ corked: Bool) {
        setOption(Int32(IPPROTO_TCP), TCP_CORK, corked ? 1 : 0)
    }

    /// Which directions `shutdown` closes.
    enum Direction: Int32 {
        // The values of SHUT_RD and SHUT_RDWR, which Glibc's module does not import by name.
        case read = 0
        case write = 1
        case both = 2
    }

    /// Shuts down one or both directions; a parked connection then wakes with EPOLLIN/EPOLLHUP.
    func shutdown(_ direction: Direction) {
        _ = Glibc.shutdown(fd, direction.rawValue)
    }

    /// Closes the descriptor.
    func close() {
        _ = Glibc.close(fd)
    }
}
