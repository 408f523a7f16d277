/// A request path as the key of per-path state (`counters`, `top`, `slowlog`): cut to `maximumBytes`, so a
/// client's 8 KiB paths cost no more than ordinary ones. A cut path ends with `…`; paths that long are not a site's
/// own (a person types none, a file name is at most 255 bytes), so the paths people look at stay whole.
enum PathKey {
    /// UTF-8 bytes kept of a path, `…` included.
    static let maximumBytes = 512

    /// `path`, or its longest prefix of whole characters that fits with `…` after it.
    @inline(__always)
    static func bounded(_ path: String) -> String {
        path.utf8.count > maximumBytes ? cut(path) : path
    }

    private static func cut(_ path: String) -> String {
        let ellipsis = "…"
        var kept = ""
        var bytes = ellipsis.utf8.count
        for character in path {
            bytes += character.utf8.count
            if bytes > maximumBytes { break }
            kept.append(character)
        }
        return kept + ellipsis
    }
}
