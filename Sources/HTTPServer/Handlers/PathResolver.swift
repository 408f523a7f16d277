import Glibc

/// Maps a decoded URL path to a file under a root folder, refusing anything that would leave it or enter an
/// excluded folder.
public struct PathResolver: Sendable {
    /// Why a path was refused.
    public enum Refusal: Error, Equatable {
        /// The path is malformed (a backslash, a control character): 400.
        case invalid
        /// The path names a dotfile or climbs above the root: 404, so nothing about the layout leaks.
        case hidden
    }

    /// A folder this resolver never leads into, such as the uploads folder inside a web root: its files are
    /// served by another handler, with headers of their own.
    ///
    /// Known by its device and inode (so a second spelling of it, a bind mount or a case-insensitive file system
    /// is still the same folder) and by its real path (so a folder deleted and made again there still counts).
    struct Exclusion: Sendable {
        let path: String
        let device: UInt
        let inode: UInt

        func matches(_ path: String, _ info: stat) -> Bool {
            (UInt(info.st_dev) == device && UInt(info.st_ino) == inode) || path == self.path
        }
    }

    /// The root, absolute and with symbolic links resolved.
    public let root: String
    /// The folders never led into; a folder that did not exist at start is left out.
    let exclusions: [Exclusion]

    /// Resolves `root` and the `excluded` folders once; nil when the root does not exist.
    public init?(root: String, excluding excluded: [String] = []) {
        guard let real = Self.realPath(root) else { return nil }
        self.root = real
        exclusions = excluded.compactMap { folder in
            var info = stat()
            guard let path = Self.realPath(folder), stat(path, &info) == 0 else { return nil }
            return Exclusion(path: path, device: UInt(info.st_dev), inode: UInt(info.st_ino))
        }
    }

    /// True when `path` (real) with status `info` is one of the excluded folders.
    func isExcluded(_ path: String, _ info: stat) -> Bool {
        !exclusions.isEmpty && info.st_mode & S_IFMT == S_IFDIR && exclusions.contains { $0.matches(path, info) }
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
    /// symbolic links and out of every excluded folder; nil when it does not exist, escapes or enters one.
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
            if isExcluded(path, info) { return nil }
        }
        return Resolved(path: path, info: info)
    }

    /// `realpath` of the joined path, refused unless it stays inside the root and out of the excluded folders.
    private func resolveThroughLinks(_ segments: [Substring]) -> Resolved? {
        let joined = segments.isEmpty ? root : root + "/" + segments.joined(separator: "/")
        guard let real = Self.realPath(joined) else { return nil }
        guard real == root || real.hasPrefix(root == "/" ? "/" : root + "/") else { return nil }
        if !exclusions.isEmpty, entersExclusion(real) { return nil }
        var info = stat()
        guard stat(real, &info) == 0 else { return nil }
        return Resolved(path: real, info: info)
    }

    /// True when a folder between the root (excluded) and `real` (included), a real path inside the root, is
    /// excluded. Only paths through symbolic links pay for these `stat`s.
    private func entersExclusion(_ real: String) -> Bool {
        var path = root == "/" ? "" : root
        var info = stat()
        for component in real.utf8.dropFirst(path.utf8.count).split(separator: .slash) {
            path += "/" + String(decoding: component, as: UTF8.self)
            guard stat(path, &info) == 0 else { return true }
            if isExcluded(path, info) { return true }
        }
        return false
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
