import Foundation
import HTTPServer
import Glibc
import Testing

/// The built `httpsh` driven the way scripts drive it: commands on stdin or in `-c`, replies on stdout, exit
/// status 0 when every command succeeded and 1 when one failed.
@Suite struct ShellScriptTests {
    @Test func script_RunsEveryLineAndFailsWhenOneFailed() throws {
        let run = try ShellRun(arguments: ["--workers", "2"], input: """
        # a comment, then a blank line

        status
        workers 3
        bogus command
          # indented comment
        status --json
        """)
        let result = try #require(run.finish())
        #expect(result.status == 1)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.contains("State:              serving"))
        #expect(lines.contains { $0.hasPrefix("URL:") && $0.contains("http://127.0.0.1:") })
        #expect(lines.contains("workers: 2 -> 3"))
        #expect(lines.contains("error: unknown command 'bogus'; type 'help' for the list"))
        // The line after the failure still ran: its JSON shows the new worker count.
        let json = try #require(lines.first { $0.hasPrefix("{") })
        let status = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((status["workers"] as? NSNumber)?.intValue == 3)
        #expect(status["state"] as? String == "serving")
        // End of input: a graceful shutdown, reported on stderr so stdout holds only the replies.
        #expect(result.errors.contains("shutting down: finishing in-flight requests\n"))
        #expect(result.errors.contains("Finished requests:"))
        #expect(!result.output.contains("Finished requests:"))
        #expect(!result.output.contains("#"))
    }

    @Test func script_ExitsZeroWhenEveryCommandSucceeded() throws {
        let run = try ShellRun(arguments: [], input: "status\nloglevel warning\nratelimit 10/1 burst 20\ncounters\n")
        let result = try #require(run.finish())
        #expect(result.status == 0)
        #expect(result.output.contains("log level: warning\n"))
        #expect(result.output.contains("rate limit: 10/1s burst 20 per client\n"))
        #expect(result.output.contains("(none)\n"))
    }

    @Test func jsonReplies_AreOneObjectPerCommand() throws {
        let run = try ShellRun(arguments: [], input: "blocked --json\nworkers lots --json\ncounters --json\n")
        let result = try #require(run.finish())
        #expect(result.status == 1)
        let objects = try result.output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 3)
        #expect(objects[0]["ok"] as? Bool == true)
        #expect((objects[0]["rows"] as? [Any])?.isEmpty == true)
        #expect(objects[1]["ok"] as? Bool == false)
        #expect((objects[1]["error"] as? String)?.hasPrefix("workers: 'lots' is not a number") == true)
        #expect(objects[2]["ok"] as? Bool == true)
    }

    @Test func dashC_RunsTheCommandsThenShutsDown() throws {
        let run = try ShellRun(arguments: ["-c", "status; dirlisting off"], input: nil)
        let result = try #require(run.finish())
        #expect(result.status == 0)
        #expect(result.output.contains("State:              serving\n"))
        #expect(result.output.contains("directory listing: off\n"))
        #expect(result.errors.contains("shutting down: finishing in-flight requests\n"))
    }

    @Test func dashC_SplitsOnNewlinesAndOnSemicolonsOutsideQuotes() throws {
        let script = "block 192.0.2.7 'scanner; ignores robots.txt'\nblocked; loglevel warning"
        let run = try ShellRun(arguments: ["-c", script], input: nil)
        let result = try #require(run.finish())
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("192.0.2.7"))
        #expect(result.output.contains("scanner; ignores robots.txt\n"))
        #expect(result.output.contains("log level: warning\n"))
    }

    @Test func unblockInsideABlockedRange_NamesTheRange() throws {
        let run = try ShellRun(arguments: ["-c", "block 192.0.2.0/24; unblock 192.0.2.7"], input: nil)
        let result = try #require(run.finish())
        #expect(result.status == 1)
        #expect(result.output.contains("error: 192.0.2.7 is not blocked itself, but 192.0.2.0/24 blocks it; "
            + "'unblock 192.0.2.0/24' lifts that\n"))
    }

    @Test func dashC_FailingCommandGivesStatusOne() throws {
        let run = try ShellRun(arguments: ["-c", "workers 0; status"], input: nil)
        let result = try #require(run.finish())
        #expect(result.status == 1)
        #expect(result.output.contains("error: workers: '0' is not a number from 1 to 256; usage: workers N\n"))
        #expect(result.output.contains("State:              serving\n"))
    }

    @Test func serve_KeepsServingAfterTheScriptUntilSIGTERM() throws {
        let run = try ShellRun(arguments: ["--serve"], input: "status\n")
        let port = try #require(run.announcedPort)
        // stdin is closed by now; the server still answers.
        #expect(run.waitForOutput(containing: "Blocked ranges:"))
        #expect(RawClient.status(port: port, "/hello.txt") == 200)
        #expect(RawClient.status(port: port, "/hello.txt") == 200)
        run.signal(SIGTERM)
        let result = try #require(run.finish())
        #expect(result.status == 0)
        #expect(result.errors.contains("httpsh: shut down (Finished requests:"))
    }

    @Test func sigterm_EndsAScriptWhoseInputStaysOpen() throws {
        let run = try ShellRun(arguments: [], input: "status\n", keepInputOpen: true)
        #expect(run.waitForOutput(containing: "Blocked ranges:"))
        run.signal(SIGTERM)
        let result = try #require(run.finish())
        #expect(result.status == 0)
        #expect(result.errors.contains("httpsh: shut down"))
    }
}

/// One run of the built `httpsh` on a scratch site (port 0), its standard input fed from a string and closed
/// after it unless `keepInputOpen`.
private final class ShellRun {
    /// Generous: a debug build on a loaded 2-core machine starts and drains in well under a second.
    static let timeoutSeconds = 30.0

    private let site: ScratchSite
    private let process: HTTPSHProcess

    init(arguments: [String], input script: String?, keepInputOpen: Bool = false) throws {
        site = try ScratchSite()
        process = try HTTPSHProcess(site.servingFlags + arguments)
        if let script { process.send(script) }
        if !keepInputOpen { process.closeInput() }
    }

    /// Waits until the standard output so far contains `text`.
    func waitForOutput(containing text: String) -> Bool {
        process.waitFor(seconds: Self.timeoutSeconds, in: \.stdout) { $0.contains(text) } != nil
    }

    /// The port of the URL the shell printed (`URL: http://127.0.0.1:PORT/`), waiting for it.
    var announcedPort: UInt16? { process.announcedPort(seconds: Self.timeoutSeconds, in: \.stdout) }

    func signal(_ number: Int32) {
        process.signal(number)
    }

    /// Waits for the exit (killing the process after the timeout: nil then, or when a signal ended it) and returns
    /// its status and output.
    func finish() -> (status: Int32, output: String, errors: String)? {
        guard let exit = process.waitForExit(seconds: Self.timeoutSeconds), !exit.signalled else { return nil }
        return (exit.status, process.stdout, process.stderr)
    }
}
