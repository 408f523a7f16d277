import Glibc

/// A byte range of an open file, sent with `sendfile`. The region owns the descriptor: whoever sends or drops the
/// response closes it exactly once through `close()`.
public struct FileRegion: Sendable {
    /// The open file.
    public let fd: Int32
    /// The first byte to send.
    public var offset: Int
    /// How many bytes to send from `offset`.
    public var length: Int

    public init(fd: Int32, offset: Int, length: Int) {
        self.fd = fd
        self.offset = offset
        self.length = length
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

    /// Closes the descriptor.
    public func close() {
        Glibc.close(fd)
    }
}
