import Glibc

/// A byte range of an open file, sent with `sendfile`. The region owns the descriptor: whoever sends or drops the
/// response closes it exactly once through `close()`. A region of a shared descriptor owns a reference to it
/// instead, which `close()` gives back: the descriptor goes when its last holder does.
public struct FileRegion: Sendable {
    /// The open file.
    public let fd: Int32
    /// The first byte to send.
    public var offset: Int
    /// How many bytes to send from `offset`.
    public var length: Int
    /// The shared descriptor this region holds a reference to: unmanaged, so that copying a response (which
    /// happens more than once on its way) costs no reference counting, for file bodies and the others alike.
    private let shared: Unmanaged<SharedFileDescriptor>?

    public init(fd: Int32, offset: Int, length: Int) {
        self.fd = fd
        self.offset = offset
        self.length = length
        shared = nil
    }

    /// A region of a descriptor others send from too.
    public init(shared: SharedFileDescriptor, offset: Int, length: Int) {
        fd = shared.fd
        self.offset = offset
        self.length = length
        self.shared = Unmanaged.passRetained(shared)
    }

    /// Opens `path` read-only and wraps the whole file, or nil when it cannot be opened.
    public static func open(path: String) -> FileRegion? {
        var info = stat()
        return open(path: path, status: &info)
    }

    /// Opens `path` read-only and wraps the whole file, filling `info` with the open file's status (one `fstat`
    /// serves both the length and the caller's validators); nil when it cannot be opened.
    public static func open(path: String, status info: inout stat) -> FileRegion? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard fstat(fd, &info) == 0 else {
            Glibc.close(fd)
            return nil
        }
        return FileRegion(fd: fd, offset: 0, length: Int(info.st_size))
    }

    /// Closes the descriptor, or gives back the reference to a shared one.
    public func close() {
        if let shared {
            shared.release()
        } else {
            Glibc.close(fd)
        }
    }
}
