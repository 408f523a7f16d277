import Glibc

/// Ports on 127.0.0.1 for tests that must name a port before a process binds it (a proxy's configuration, a
/// program's `--port`), or that need a port already taken.
public enum LoopbackPort {
    /// Binds 127.0.0.1 at a port the kernel picks, and listens unless `listening` is false; returns the descriptor
    /// (the caller closes it) and the port.
    public static func occupy(listening: Bool = true) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("cannot open a socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && (!listening || listen(fd, 8) == 0) && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw TestFailure("cannot bind a loopback port: errno \(code)")
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// A port the kernel just handed out and released, for a process about to bind it (another program could
    /// take it in between: on a test machine's loopback, a risk worth the simplicity).
    public static func free() throws -> UInt16 {
        let (fd, port) = try occupy(listening: false)
        close(fd)
        return port
    }
}
