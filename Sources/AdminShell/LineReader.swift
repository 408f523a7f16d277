import Glibc

/// Reads lines from a file descriptor without buffering past what it returns, so a later reader of the same
/// descriptor (a confirmation prompt) sees the rest.
final class LineReader {
    private let fd: Int32
    private var pending: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
    }

    /// The next line without its newline (and without a CR before it), or nil at end of input.
    func next() -> String? {
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                guard !pending.isEmpty else { return nil }
                defer { pending.removeAll() }
                return String(decoding: pending, as: UTF8.self)
            }
            if byte == 10 {
                if pending.last == 13 { pending.removeLast() }
                defer { pending.removeAll(keepingCapacity: true) }
                return String(decoding: pending, as: UTF8.self)
            }
            pending.append(byte)
        }
    }
}
