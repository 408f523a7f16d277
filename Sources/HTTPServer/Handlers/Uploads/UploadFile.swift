import Glibc

/// One upload being written: a hidden temporary file in the uploads folder, filled through a small buffer so
/// that many small pieces cost few system calls. Until the store publishes it, releasing it deletes it, so no
/// path out of a request (finish, abort, an error, a middleware that never calls the handler) leaves it behind.
/// Sealing writes it out and closes it without a disk sync: the store syncs once per request, at publishing.
final class UploadFile {
    /// Pieces are gathered up to this size before a write: few system calls per upload, and a thousand
    /// concurrent uploads still hold only 64 MiB of buffers. The buffer grows only as far as a file needs (a
    /// one-byte part holds a few bytes, not 64 KiB) and is freed at sealing, so the finished files of a form cost
    /// no buffer at all.
    static let bufferSize = 64 * 1024

    /// The temporary file (a dotfile in the uploads folder).
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes appended so far.
    private(set) var size = 0
    /// Set by the store once the file is linked under its final name: then releasing it leaves it alone.
    var isPublished = false
    /// The store that keeps this file's modification time fresh while it lives, told when it goes away.
    private let store: UploadStore?

    /// Takes ownership of `fd`, open for writing on the temporary file `path`.
    init(fd: Int32, path: String, store: UploadStore? = nil) {
        self.fd = fd
        self.path = path
        self.store = store
    }

    /// Appends body bytes; throws 507 when the disk is full, or when this file alone would not fit in the
    /// uploads quota (the store checks a whole request's files when it publishes them).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try store?.quota.check(size + bytes.count)
        size += bytes.count
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        if bytes.count >= Self.bufferSize {
            try writeAll(bytes)
        } else {
            // Doubling, as `Array` would, but never past `bufferSize`.
            let needed = buffer.count + bytes.count
            if needed > buffer.capacity {
                buffer.reserveCapacity(min(Self.bufferSize, max(needed, 2 * buffer.capacity)))
            }
            buffer.append(contentsOf: bytes)
        }
    }

    /// Writes what is buffered, frees the buffer and closes the file (so a form of many files holds no
    /// descriptor or buffer per finished file). The data reaches the disk when the store publishes the file.
    func seal() throws {
        try flush()
        buffer = []
        let closed = Glibc.close(fd)
        fd = -1
        // Linux releases the descriptor even when close fails; a failure (EIO, a full disk on NFS) means lost data.
        guard closed == 0 || errno == EINTR else { throw UploadStorageError.failure("close \(path)", errno) }
    }

    /// Bytes of memory the file holds for its buffer (for tests of the per-part memory bound).
    var bufferCapacity: Int { buffer.capacity }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
        if !isPublished { unlink(path) }
        store?.forget(path)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw UploadStorageError(call: "write \(path) after seal", code: EBADF) }
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let n = write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw UploadStorageError.failure("write \(path)", errno)
            }
            offset += n
        }
    }
}
