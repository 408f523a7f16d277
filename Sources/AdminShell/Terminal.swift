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

    /// The width of the terminal on `fd`, or nil when `fd` is not a terminal.
    public static func columns(_ fd: Int32) -> Int? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
