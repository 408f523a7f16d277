import Glibc

/// Maps a decoded URL path to a file under a root folder, refusing anything that would leave it.
public struct PathResolver: Sendable {
    /// Why a path was refused.
    public enum Refusal: Error, Equatable {
        /// The path is malformed (a backslash, a control character): 400.
        case invalid
        /// The path names a dotfile or climbs above the root: 404, so nothing about the layout leaks.
        case hidden
    }

    /// The root, absolute and with symbolic links resolved.
    public let root: String

    /// Resolves `root` once; nil when it does not exist.
    public init?(root: String) {
        guard let real = Self.realPath(root) else { return nil }
        self.root = real
    }

    /// The path's segments after normalisation: empty and `.` segments dropped, `..` refused (an encoded or
    /// plain `..` never climbs, even inside the root), dotfiles refused.
    public func segments(of path: String) -> Result<[Substring], Refusal> {
        if path.utf8.allSatisfy({ $0 < 0x80 }) { return asciiSegments(of: path) }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment.utf8.contains(UInt8(ascii: "\\")) || segment.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
                return .failure(.invalid)
            }
            if segment.hasPrefix(".") { return .failure(.hidden) }
            segments.append(segment)
        }
        return .success(segments)
    }

    /// `segments(of:)` for an ASCII path, where every byte is a Character: the same checks on bytes, without
    /// Character-by-Character splitting and comparing (which cost more than the rest of the lookup).
    private func asciiSegments(of path: String) -> Result<[Substring], Refusal> {
        var segments: [Substring] = []
        let bytes = path.utf8
        var start = bytes.startIndex
        var index = start
        while true {
            let atEnd = index == bytes.endIndex
            if atEnd || bytes[index] == .slash {
                let segment = path[start..<index]
                let first = segment.utf8.first
                if first == .dot, segment.utf8.count == 1 {
                    // `.` is dropped.
                } else if segment.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 || $0 == 0x7f }) {
                    return .failure(.invalid)
                } else if first == .dot {
                    return .failure(.hidden)
                } else if first != nil {
                    segments.append(segment)
                }
                if atEnd { return .success(segments) }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
    }

    /// A file system object found inside the root.
    public struct Resolved {
        /// Its real path: absolute, without symbolic links.
        public let path: String
        /// Its status (`stat`, links followed).
        public let info: stat
    }

    /// The file system path for `segments`, checked to stay inside the root after following symbolic links.
    /// Nil when it does not exist or escapes.
    public func fileSystemPath(_ segments: [Substring]) -> String? {
        resolve(segments)?.path
    }

    /// The file system path for `segments` and its status, checked to stay inside the root after following
    /// symbolic links; nil when it does not exist or escapes.
    ///
    /// The segments are walked with one `lstat` each: when none is a symbolic link, the joined path is already
    /// real (the root is resolved once, at start), and the last `lstat` is the status. That replaces `realpath`'s
    /// `readlink` on every component from `/` plus a `stat`. A symbolic link anywhere falls back to `realpath`
    /// and the containment check.
    public func resolve(_ segments: [Substring]) -> Resolved? {
        var path = root == "/" ? "" : root
        var info = stat()
        if segments.isEmpty {
            path = root
            guard lstat(path, &info) == 0 else { return nil }
            return info.st_mode & S_IFMT == S_IFLNK ? resolveThroughLinks(segments) : Resolved(path: path, info: info)
        }
        for (index, segment) in segments.enumerated() {
            path += "/"
            path += segment
            guard lstat(path, &info) == 0 else { return nil }
            let type = info.st_mode & S_IFMT
            if type == S_IFLNK { return resolveThroughLinks(segments) }
            // A file in the middle of a path: realpath would fail with ENOTDIR, and so do we.
            if index < segments.count - 1, type != S_IFDIR { return nil }
        }
        return Resolved(path: path, info: info)
    }

    /// `realpath` of the joined path, refused unless it stays inside the root.
    private func resolveThroughLinks(_ segments: [Substring]) -> Resolved? {
        let joined = segments.isEmpty ? root : root + "/" + segments.joined(separator: "/")
        guard let real = Self.realPath(joined) else { return nil }
        guard real == root || real.hasPrefix(root == "/" ? "/" : root + "/") else { return nil }
        var info = stat()
        guard stat(real, &info) == 0 else { return nil }
        return Resolved(path: real, info: info)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
