import Glibc

/// Which running server a temporary upload file belongs to, so that several servers can share one uploads folder
/// (a shared volume, NFS): `<host>.<pid>.<boot>`, e.g. `web1.4242.9f3c1a2b`. Host name and pid tell processes
/// apart across machines and on one machine; the boot id (eight hex digits of the kernel's per-boot UUID) tells
/// two containers apart that were given the same host name on different machines. A tag equal to ours can only
/// come from a dead process (no two live processes share a host, a boot and a pid), so its files are garbage.
struct UploadOwner: Sendable, Equatable {
    /// The tag as it appears in temporary names: only `[A-Za-z0-9._-]`.
    let tag: String

    /// Host names are cut to this: with the rest of a temporary name, the whole stays far below NAME_MAX (255).
    static let maxHostBytes = 64

    /// This process.
    static let current = UploadOwner(host: hostName(), pid: getpid(), boot: bootID())

    /// True when `tag` names a process that is gone for certain: one of this machine and boot whose pid no longer
    /// exists, or an untagged name of an earlier version (which shared no folder). A reused pid only keeps its
    /// files until they count as abandoned.
    func outlived(_ tag: String) -> Bool {
        if tag.isEmpty { return true }
        let parts = tag.split(separator: ".", omittingEmptySubsequences: false)
        let mine = self.tag.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.dropLast(2) == mine.dropLast(2), parts.last == mine.last,
              let pid = Int32(parts[parts.count - 2]) else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    init(host: String, pid: Int32, boot: String) {
        let safeHost = String(String.UnicodeScalarView(host.unicodeScalars.prefix(Self.maxHostBytes).map {
            Self.isSafe($0) ? $0 : "_"
        }))
        tag = "\(safeHost.isEmpty ? "host" : safeHost).\(pid).\(boot)"
    }

    private static func isSafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The first eight hex digits of `/proc/sys/kernel/random/boot_id` (a new random UUID at every boot).
    private static func bootID() -> String {
        let fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "0" }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        let hex = bytes.prefix(max(0, count)).filter { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        return hex.isEmpty ? "0" : String(decoding: hex.prefix(8), as: UTF8.self)
    }
}
