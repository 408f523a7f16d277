import Foundation
import Glibc
import Testing

/// Finding 2 of the hostile probe, on a real terminal (tmux): nothing a client sends drives the operator's
/// terminal, whether it arrives in the access log above the prompt, in `counters`, or in `uploads show`.
@Suite struct SecurityTerminalTests {
    @Test func hostilePathsHeadersAndUploads_reachTheTerminalEscaped() throws {
        let site = try TemporaryDirectory()
        defer { site.remove() }
        try site.write("public/hello.txt", "hello\n")
        try site.write("uploads/clip.txt", "before\u{1B}]52;c;SGVsbG8=\u{07}after\n")
        try site.write("uploads/blob.bin", bytes: [0x00, 0xFF, 0x1B, 0x5B])
        let binary = try HTTPSHProcess.binaryPath()
        let terminal = try TmuxSession("cd '\(site.path)' && '\(binary)' --port 0 -d public --uploads uploads "
            + "--control off")
        defer { terminal.send("C-d") }
        #expect(terminal.waitFor("httpsh>") != nil)
        let banner = try #require(terminal.waitFor("http://127.0.0.1:"))
        let portText = try #require(banner.range(of: "http://127.0.0.1:")).upperBound
        let port = try #require(UInt16(banner[portText...].prefix { $0.isNumber }))

        // The probe's path: retitle the window, clear the screen, a C1 CSI and a right-to-left override.
        let hostile = "/%1b]2;PWNED%07%1b[2J%c2%9b31m%e2%80%aeevil"
        #expect(RawClient.status(port: port, hostile).map { $0 >= 400 } == true)
        #expect(RawClient.status(port: port, "/hello.txt") == 200)
        _ = try RawClient.fetch(port: port, "GET", "/hello.txt", headers: [("User-Agent", "agent\u{9B}31m\u{202E}kcab")])
        #expect(terminal.waitFor("agent\\x9b31m\\u{202e}kcab") != nil)

        terminal.send("-l", "counters")
        terminal.send("Enter")
        let counters = try #require(terminal.waitFor("COUNT"))
        let table = try #require(counters.range(of: "COUNT", options: .backwards).map { counters[$0.lowerBound...] })
        #expect(!table.contains("evil"), "a refused request's path is not counted")

        terminal.send("-l", "uploads show clip.txt")
        terminal.send("Enter")
        let shown = try #require(terminal.waitFor("shown escaped"))
        #expect(shown.contains("before\\x1b]52;c;SGVsbG8=\\x07after"))
        #expect(shown.contains("raw bytes: cat '\(site.path("uploads/clip.txt"))'"))

        terminal.send("-l", "uploads show blob.bin")
        terminal.send("Enter")
        #expect(terminal.waitFor("'blob.bin' is binary, not shown") != nil)

        #expect(!terminal.title().contains("PWNED"))
        #expect(terminal.screen().contains("http://127.0.0.1:"), "the screen was never cleared: the banner is there")
    }
}
