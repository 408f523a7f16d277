import Glibc

/// Precompressed siblings of a file (`x.br`, `x.zst`, `x.gz` beside `x`), as nginx's `gzip_static` and
/// `brotli_static` serve them: made ahead of time (`gzip -k9`, `brotli -k`, `zstd -19`), so no response is ever
/// compressed on the hot path and no compression library is needed.
///
/// A sibling counts only when it is a regular file at least as new as the original: `gzip -k` and `brotli -k`
/// keep the original's modification time, while an original edited after its variants were made is newer, and
/// its stale variants are then ignored until they are made again.
enum PrecompressedVariants {
    /// The codings whose sibling of `path` is fresh, as a set of `ContentCoding.bit`s (0: none). Costs one `stat`
    /// per coding, so callers keep the answer (the file cache does, per file, revalidated once a second).
    static func available(for path: String, original: stat) -> UInt8 {
        var found: UInt8 = 0
        for coding in ContentCoding.allCases {
            var info = stat()
            // lstat: a symbolic link named like a variant is ignored, so no sibling can lead outside the root.
            guard lstat(path + coding.suffix, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
                  isFresh(info, comparedTo: original) else { continue }
            found |= coding.bit
        }
        return found
    }

    /// True when `variant` is not older than `original` (to the nanosecond).
    static func isFresh(_ variant: stat, comparedTo original: stat) -> Bool {
        (variant.st_mtim.tv_sec, variant.st_mtim.tv_nsec) >= (original.st_mtim.tv_sec, original.st_mtim.tv_nsec)
    }

    /// Opens the `coding` sibling of `path` for sending, checked again as `available` checked it (the file may have
    /// changed since); nil when it is gone, not a plain file or older than `original` now.
    static func open(_ path: String, _ coding: ContentCoding, original: stat) -> (FileRegion, stat)? {
        var info = stat()
        let fd = Glibc.open(path + coding.suffix, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, isFresh(info, comparedTo: original) else {
            close(fd)
            return nil
        }
        return (FileRegion(fd: fd, offset: 0, length: Int(info.st_size)), info)
    }

    /// The coding to answer `accepted` with among `available`: the client's best that exists, nil for the original.
    static func choose(_ accepted: AcceptEncoding, available: UInt8) -> ContentCoding? {
        accepted.best(among: available)
    }
}
