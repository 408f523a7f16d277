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

    /// The file system path for `segments`, checked to stay inside the root after following symbolic links.
    /// Nil when it does not exist or escapes.
    public func fileSystemPath(_ segments: [Substring]) -> String? {
        let joined = segments.isEmpty ? root : root + "/" + segments.joined(separator: "/")
        guard let real = Self.realPath(joined) else { return nil }
        guard real == root || real.hasPrefix(root == "/" ? "/" : root + "/") else { return nil }
        return real
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
