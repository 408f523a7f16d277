import Foundation
import Glibc
import Testing

/// The `httpsh` binary as an operator runs it: flags, exit statuses, errors on stderr, serving without a shell
/// until SIGTERM, and scripts on stdin or `-c`.
@Suite struct CommandLineTests {
    // MARK: - Flags

    @Test func version_printsTheVersion_andExits0() throws {
        let process = try HTTPSHProcess(["--version"])
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 0 && !exit.signalled)
        #expect(process.stdout.hasPrefix("httpsh "))
        #expect(process.stdout.split(separator: "\n").count == 1)
        #expect(process.stderr.isEmpty)
    }

    @Test func help_printsUsage_andExits0() throws {
        let process = try HTTPSHProcess(["--help"])
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 0 && !exit.signalled)
        #expect(process.stdout.contains("Usage: httpsh"))
        for flag in ["--port", "--workers", "--no-shell", "--log-level"] {
            #expect(process.stdout.contains(flag), "help does not mention \(flag)")
        }
        #expect(process.stderr.isEmpty)
    }

    @Test(arguments: [
        ["--workers", "0"],
        ["--workers", "257"],
        ["--port", "abc"],
        ["--port", "70000"],
        ["--log-level", "loud"],
        ["--dir-listing", "maybe"],
        ["--port"],
        ["--no-such-flag"],
        ["--workers=x"],
        ["--cors", "example.com"],
        ["--cors", "https://a.example/"],
    ])
    func badFlag_isOneLineOnStderr_andExit2(_ arguments: [String]) throws {
        let process = try HTTPSHProcess(arguments)
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 2 && !exit.signalled)
        #expect(process.stderrLines.count == 1, "stderr: \(process.stderr)")
        #expect(process.stderr.hasPrefix("httpsh: "))
        #expect(process.stdout.isEmpty)
    }

    @Test func badEnvironmentValue_isOneLineOnStderr_andExit2() throws {
        let process = try HTTPSHProcess(["--version"], environment: ["MAX_WORKERS": "lots"])
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 2)
        #expect(process.stderrLines.count == 1)
        #expect(process.stderr.contains("MAX_WORKERS"))
    }

    // MARK: - Startup failures

    @Test func portInUse_isOneClearLine_andExit1() throws {
        let site = try ScratchSite()
        let (listener, port) = try LoopbackPort.occupy()
        defer { close(listener) }
        let process = try HTTPSHProcess(["--port", "\(port)", "--no-shell", "-d", site.root,
                                         "--uploads", site.uploads])
        let exit = try #require(process.waitForExit(), "httpsh kept running on a port in use")
        #expect(exit.status == 1 && !exit.signalled)
        #expect(process.stderrLines.count == 1, "stderr: \(process.stderr)")
        #expect(process.stderr.contains("\(port)"))
        #expect(process.stderr.contains("already in use"))
    }

    @Test func secondInstanceOnTheSamePort_failsWhileTheFirstServes() throws {
        let site = try ScratchSite()
        let first = try HTTPSHProcess(site.servingFlags + ["--no-shell"])
        let port = try #require(first.announcedPort(in: \.stderr))
        let second = try HTTPSHProcess(["--port", "\(port)", "--no-shell", "-d", site.root,
                                        "--uploads", site.uploads])
        let exit = try #require(second.waitForExit())
        #expect(exit.status == 1 && !exit.signalled)
        #expect(second.stderr.contains("already in use"))
        // The first is unharmed.
        #expect(try RawClient.fetch(port: port, "GET", "/hello.txt").text.contains("hello from httpsh"))
        first.signal(SIGTERM)
        #expect(first.waitForExit()?.status == 0)
    }

    @Test func unknownHost_isOneLine_andExit1() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.servingFlags + ["--host", "nonsense", "--no-shell"])
        let exit = try #require(process.waitForExit(), "httpsh started on host 'nonsense'")
        #expect(exit.status == 1 && !exit.signalled)
        #expect(process.stderrLines.count == 1, "stderr: \(process.stderr)")
        #expect(process.stderr.contains("nonsense"))
    }

    @Test func missingRoot_isOneLine_andExit1() throws {
        let process = try HTTPSHProcess(["--port", "0", "--no-shell", "-d", "/nonexistent/httpsh-root"])
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 1 && !exit.signalled)
        #expect(process.stderrLines.count == 1)
        #expect(process.stderr.contains("/nonexistent/httpsh-root"))
    }

    // MARK: - Serving

    @Test func noShell_serves_untilSIGTERM_thenExits0() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.servingFlags + ["--no-shell", "--shutdown-grace", "2"])
        let port = try #require(process.announcedPort(in: \.stderr), "stderr: \(process.stderr)")

        let response = try RawClient.fetch(port: port, "GET", "/hello.txt")
        #expect(response.status == 200 && response.reason == "OK")
        #expect(response.text == "hello from httpsh\n")
        // The access log line reaches stderr.
        #expect(process.waitFor(in: \.stderr) { $0.contains("\"GET /hello.txt HTTP/1.1\" 200") } != nil)

        process.signal(SIGTERM)
        // The grace is 2 s and nothing is in flight; 10 s only bounds a hang.
        let exit = try #require(process.waitForExit(seconds: 10), "httpsh did not exit after SIGTERM")
        #expect(exit.status == 0 && !exit.signalled)
        #expect(throws: RawClient.Failure.self) { _ = try RawClient.fetch(port: port, "GET", "/hello.txt") }
    }

    @Test func sigint_alsoShutsDownGracefully() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.servingFlags + ["--no-shell", "--shutdown-grace", "1"])
        _ = try #require(process.announcedPort(in: \.stderr))
        process.signal(SIGINT)
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 0 && !exit.signalled)
    }

    // MARK: - Scripts

    @Test func scriptOnStdin_printsStatus_andExits0() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.servingFlags + ["--workers", "3"])
        process.send("status\n")
        process.closeInput()
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 0 && !exit.signalled)
        let out = process.stdout
        for key in ["State:", "URL:", "Workers:", "Open connections:", "Requests served:"] {
            #expect(out.contains(key), "status lacks \(key): \(out)")
        }
        #expect(Self.workerCounts(out).first == 3)
    }

    @Test func scriptWithAFailingCommand_exits1() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.servingFlags)
        process.send("status\nworkers lots\n")
        process.closeInput()
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 1 && !exit.signalled)
        #expect(process.stdout.contains("error: "))
    }

    @Test func dashC_growingWorkers_showsTheNewCount() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.servingFlags + ["--workers", "1", "-c", "workers 2; status"])
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 0 && !exit.signalled)
        #expect(process.stdout.contains("workers: 1 -> 2"))
        #expect(Self.workerCounts(process.stdout) == [2])
    }

    @Test func shrinkingWorkers_isEventuallyVisibleInStatus() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.servingFlags + ["--workers", "4"])
        process.send("workers 2\n")
        var seen: [Int] = []
        // Retiring workers leave between events; poll status until the live count shows it.
        let shrunk = eventually(within: 10) {
            process.send("status\n")
            let asked = seen.count + 1
            _ = process.waitFor(seconds: 5, in: \.stdout) { Self.workerCounts($0).count >= asked }
            seen = Self.workerCounts(process.stdout)
            return seen.last == 2
        }
        #expect(shrunk, "Workers seen: \(seen)")
        process.closeInput()
        let exit = try #require(process.waitForExit())
        #expect(exit.status == 0 && !exit.signalled)
    }

    @Test func scriptFromStdin_servesWhileItRuns() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.servingFlags)
        process.send("status\n")
        let port = try #require(process.announcedPort(in: \.stdout), "stdout: \(process.stdout)")
        #expect(try RawClient.fetch(port: port, "GET", "/hello.txt").text.contains("hello from httpsh"))
        process.send("counters\n")
        #expect(process.waitFor(in: \.stdout) { $0.contains("/hello.txt") } != nil)
        process.closeInput()
        #expect(process.waitForExit()?.status == 0)
    }

    // MARK: - Helpers

    /// The values of every `Workers: N` line, in order.
    static func workerCounts(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Workers:") else { return nil }
            return Int(line.dropFirst("Workers:".count).trimmingCharacters(in: .whitespaces))
        }
    }
}
