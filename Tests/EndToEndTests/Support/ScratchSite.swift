import Foundation
import Glibc

// Shared by the end-to-end suites: a scratch site for a spawned httpsh, and what /proc says about the process.

/// A scratch folder with `public/hello.txt` and an empty `uploads/`, removed at the end.
final class ScratchSite {
    private let folder: TemporaryDirectory
    var path: String { folder.path }
    var root: String { folder.path("public") }
    var uploads: String { folder.path("uploads") }

    init() throws {
        folder = try TemporaryDirectory(prefix: "httpsh-fault")
        try folder.makeDirectory("uploads")
        try folder.write("public/hello.txt", "hello from httpsh\n")
    }

    deinit {
        folder.remove()
    }

    /// Flags serving this site on a port the kernel picks, without a shell or access log.
    var flags: [String] { scriptFlags + ["--no-shell"] }

    /// The same, taking shell commands from standard input (the server stops when it closes).
    var scriptFlags: [String] { servingFlags + ["--access-log", "off"] }

    /// Flags serving this site on a port the kernel picks, access log included.
    var servingFlags: [String] { ["--port", "0", "-d", root, "--uploads", uploads] }

    /// Every name in the uploads folder, dotfiles included, sorted.
    func uploadEntries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []).sorted()
    }
}

/// What /proc says about a running process.
enum FaultProc {
    /// Open descriptors of process `pid`.
    static func descriptors(_ pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// True when this test run (and so the `httpsh` built with it) is instrumented by AddressSanitizer.
    static var addressSanitizerIsOn: Bool { dlsym(nil, "__asan_init") != nil }

    /// Threads of process `pid`.
    static func threads(_ pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.count
    }

    /// Resident memory of process `pid`, in bytes.
    static func residentBytes(_ pid: Int32) -> Int? {
        statusKilobytes(pid, "VmRSS:").map { $0 * 1024 }
    }

    /// Mapped (virtual) memory of process `pid`, in bytes: every thread stack still mapped counts here.
    static func virtualBytes(_ pid: Int32) -> Int? {
        statusKilobytes(pid, "VmSize:").map { $0 * 1024 }
    }

    private static func statusKilobytes(_ pid: Int32, _ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) })
        else { return nil }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
    }
}
