import Glibc

/// Unbuffered writes to a descriptor (stdout may be a pipe; each reply must reach the reader at once), without
/// Glibc's global `FILE*`s, which Swift 6 does not allow.
public enum Terminal {
    /// Writes all of `text` to `fd`, retrying after interruptions; false when the reader went away.
    @discardableResult
    public static func write(_ fd: Int32, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let n = Glibc.write(fd, base + offset, bytes.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }
}
