import Glibc
import HTTPServer
import HTTPServerTesting
import Testing

/// Finding 5 of the hostile probe: with the log's output stalled, ten thousand access lines of ~125 KB each
/// reached 1.23 GB, because the queue was bounded in lines only. Now it is bounded in bytes too; what does not fit
/// is dropped and counted in `status` and `/metrics`.
@Suite struct SecurityLogQueueTests {
    /// The access log goes to a FIFO whose reader never reads: after the pipe's 64 KiB the writer thread blocks,
    /// as it would on a paused terminal or a slow pipe. Long `User-Agent`s make every line ~48 KB.
    @Test func stalledAccessLog_holdsAtMostItsByteBound_andCountsTheDrops() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let fifo = folder.path("stalled.log")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let server = try TestServer(files: ["hello.txt": "hello\n"]) { $0.accessLog = .file(fifo) }
        defer { server.stop() }

        let agent = String(repeating: "a", count: 48 * 1024)
        let requests = 200  // ~9.6 MB of lines: more than twice the bound
        for _ in 0..<requests {
            #expect(try RawClient.fetch(port: server.port, "GET", "/hello.txt", headers: [("User-Agent", agent)]).status == 200)
        }
        #expect(eventually { server.context.accessLog.droppedLines > 0 })
        #expect(server.context.accessLog.queuedBytes <= AsyncLineWriter.byteCapacity)
        let dropped = server.context.accessLog.droppedLines
        #expect(dropped >= requests / 3)
        #expect(server.status("log_lines_dropped").flatMap(Int.init) ?? 0 >= dropped)
        let metrics = try RawClient.fetch(port: server.port, "GET", "/metrics").text
        let sample = metrics.split(separator: "\n").first { $0.hasPrefix("httpsh_log_lines_dropped_total ") }
        #expect(sample.flatMap { Int($0.split(separator: " ")[1]) } ?? 0 >= dropped)
    }

    /// The prompt's and `log follow`'s mailboxes are bounded the same way.
    @Test func mailboxBeyondItsBytes_dropsAndCounts() throws {
        let mailbox = try #require(LineMailbox(capacity: 1_000, byteCapacity: 10_000))
        let line = String(repeating: "x", count: 999)  // 1,000 bytes with its newline
        for _ in 0..<15 { mailbox.write(line) }
        let taken = mailbox.take()
        #expect(taken.lines.count == 10)
        #expect(taken.dropped == 5)
        mailbox.write(line)
        #expect(mailbox.take().lines.count == 1)
    }
}
