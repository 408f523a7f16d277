import Glibc

/// An open file that several responses may send from at once (a cached file's), closed when the last of them
/// and the cache let go of it. Sharing is safe: `sendfile` with an explicit offset never moves the file's position.
public final class SharedFileDescriptor: Sendable {
    public let fd: Int32

    /// Takes over `fd`: it is closed when this object goes.
    public init(taking fd: Int32) {
        self.fd = fd
    }

    deinit {
        Glibc.close(fd)
    }
}
