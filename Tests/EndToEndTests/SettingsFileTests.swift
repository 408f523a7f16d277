import Foundation
import Glibc
import Testing

/// Settings survive a restart: `config save` writes them (blocklist included) and `--config` reads them back,
/// under flags and environment variables; a bad file is one line naming its line, and exit status 2.
@Suite struct SettingsFileTests {
    private final class Folders {
        let root = NSTemporaryDirectory() + "httpsh-settings-\(UUID().uuidString)"

        init() throws {
            try FileManager.default.createDirectory(atPath: root + "/site", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/uploads", withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        var file: String { root + "/httpsh.conf" }

        func run(_ script: String, _ extra: [String] = [], environment: [String: String] = [:]) throws
            -> (status: Int32, stdout: String, stderr: String) {
            let arguments = ["--port", "0", "--root", root + "/site", "--uploads", root + "/uploads"] + extra
            let process = try HTTPSHProcess(arguments + ["-c", script], environment: environment)
            let exit = try #require(process.waitForExit(seconds: 30))
            return (exit.status, process.stdout, process.stderr)
        }
    }

    /// The `config` row of `name` in text output: `[name, value, source, changes]`.
    private func row(_ name: String, _ output: String) -> [String]? {
        output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            .first { $0.first == name }
    }

    @Test func savedSettingsAndBlocks_ComeBackAfterARestart() throws {
        let folders = try Folders()
        let first = try folders.run("""
            config set max-upload 3M
            workers 5
            config set log-format json
            block 192.0.2.0/24 for 1h 'scanner; ignores robots.txt'
            block 198.51.100.7
            config save \(folders.file)
            """)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let text = try String(contentsOfFile: folders.file, encoding: .utf8)
        #expect(text.contains("max-upload = 3M\n"))

        let second = try folders.run("config\nblocked", ["--config", folders.file])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(row("max-upload", second.stdout) == ["max-upload", "3M", "file", "live"])
        #expect(row("workers", second.stdout) == ["workers", "5", "file", "live"])
        #expect(row("log-format", second.stdout) == ["log-format", "json", "file", "live"])
        #expect(row("port", second.stdout)?[2] == "flag")
        #expect(second.stdout.contains("scanner; ignores robots.txt\n"))
        let timed = try #require(second.stdout.split(separator: "\n").first { $0.hasPrefix("192.0.2.0/24") })
        #expect(!timed.contains("never"), "the expiry survives")
        let permanent = try #require(second.stdout.split(separator: "\n").first { $0.hasPrefix("198.51.100.7") })
        #expect(permanent.contains("never"))
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverTheFile() throws {
        let folders = try Folders()
        try "workers = 5\nlog-level = warning\nidle-timeout = 7\n".write(toFile: folders.file, atomically: true,
                                                                         encoding: .utf8)
        let result = try folders.run("config", ["--config", folders.file, "--workers", "4"],
                                     environment: ["MAX_WORKERS": "3", "LOG_LEVEL": "error"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(row("workers", result.stdout) == ["workers", "4", "flag", "live"])
        #expect(row("log-level", result.stdout) == ["log-level", "error", "env", "live"])
        #expect(row("idle-timeout", result.stdout) == ["idle-timeout", "7", "file", "live"])
        #expect(row("body-timeout", result.stdout) == ["body-timeout", "30", "default", "live"])
    }

    @Test func badFile_IsOneLineNamingTheLine_AndExitStatus2() throws {
        let folders = try Folders()
        try "# comment\nworkers = 4\nmax-upload = lots\n".write(toFile: folders.file, atomically: true, encoding: .utf8)
        let result = try folders.run("status", ["--config", folders.file])
        #expect(result.status == 2)
        #expect(result.stderr == "httpsh: \(folders.file):3: max-upload: 'lots' is not a size such as 65536, 512K or 64M\n")
        #expect(result.stdout.isEmpty)

        try "workers 4\n".write(toFile: folders.file, atomically: true, encoding: .utf8)
        let unparsable = try folders.run("status", ["--config", folders.file])
        #expect(unparsable.status == 2)
        #expect(unparsable.stderr.hasPrefix("httpsh: \(folders.file):1: expected 'name = value'"))

        let missing = try folders.run("status", ["--config", folders.root + "/absent.conf"])
        #expect(missing.status == 2)
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }
}
