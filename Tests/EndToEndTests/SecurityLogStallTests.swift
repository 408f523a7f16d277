import Foundation
import Glibc
import HTTPServer
import Testing

/// Finding 5 of the hostile probe: with standard error stalled, SIGTERM waited on the log for ever. Now the log
/// gets what is left of the grace period, and the process exits on time whatever its standard error does.
@Suite struct SecurityLogStallTests {
    /// Standard error is a FIFO that nobody reads (the shell that starts httpsh opens it read-write and never
    /// reads): once its 64 KiB are full, the log writer blocks, and ~1.5 MB of access lines wait behind it.
    @Test func stalledStandardError_doesNotDelaySIGTERMBeyondTheGrace() throws {
        let site = try ScratchSite()
        let fifo = site.path + "/stderr.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let launcher = ["/bin/sh", "-c", #"exec 3<>"$1"; shift; exec "$@" 2>&3 3>&-"#, "sh", fifo,
                        try HTTPSHProcess.binaryPath()]
        let flags = ["--port", "0", "-d", site.root, "--uploads", site.uploads, "--control", "off",
                     "--shutdown-grace", "1", "-c", "status --json", "--serve"]
        let process = try HTTPSHProcess(flags, launcher: launcher)
        let text = try #require(process.waitFor(in: \.stdout) { $0.contains("\"url\"") })
        let status = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let url = try #require(status["url"] as? String)
        let port = try #require(UInt16(url.split(separator: ":").last?.filter(\.isNumber) ?? ""))

        let agent = String(repeating: "a", count: 32 * 1024)
        for _ in 0..<48 {
            #expect(try RawClient.fetch(port: port, "GET", "/hello.txt", headers: [("User-Agent", agent)]).status == 200)
        }
        let started = monotonicSeconds()
        process.signal(SIGTERM)
        let exit = process.waitForExit(seconds: 8)
        #expect(exit?.status == 0)
        #expect(monotonicSeconds() - started < 4)
    }
}
