import Foundation
import Glibc
import HTTPServer
import Testing

/// What keeps the server alive and what stops it: a launching terminal that goes away, standard input that is
/// empty, SIGHUP and SIGUSR1. The terminal cases run httpsh in a real pseudo-terminal (tmux).
@Suite struct LifetimeTests {
    /// The launching terminal is killed (tmux kill-session: the pty is gone, SIGHUP arrives): the server answers
    /// on, an attached session reaches it, and `shutdown` from there stops it.
    @Test func launchingTerminalKilled_ServerServesOnAndCanBeAttached() throws {
        let site = try ScratchSite()
        let socket = site.path + "/control.sock"
        let binary = try HTTPSHProcess.binaryPath()
        let terminal = try TmuxSession("cd '\(site.path)' && '\(binary)' \(site.scriptFlags.joined(separator: " ")) "
            + "--control '\(socket)'")
        #expect(terminal.waitFor("httpsh>") != nil)
        let server = try HTTPSHProcess(["attach", "--control", socket, "-c", "status --json"])
        #expect(server.waitForExit()?.status == 0)
        let status = try #require(JSONSerialization.jsonObject(with: Data(server.stdout.utf8)) as? [String: Any])
        let url = try #require(status["url"] as? String)
        let port = try #require(UInt16(url.split(separator: ":").last?.filter(\.isNumber) ?? ""))

        terminal.hangUp()
        #expect(eventually(within: 10) { RawClient.status(port: port, "/hello.txt") == 200 })
        usleep(300_000)
        #expect(RawClient.status(port: port, "/hello.txt") == 200)
        let attached = try HTTPSHProcess(["attach", "--control", socket, "-c", "workers 3; shutdown"])
        #expect(attached.waitForExit()?.status == 0)
        #expect(attached.stdout.contains("workers: 2 -> 3\n"))
        #expect(eventually(within: 10) { RawClient.status(port: port, "/hello.txt") == nil })
        #expect(eventually(within: 10) { access(socket, F_OK) != 0 })
    }

    /// `exit` in the launching shell still drains and ends the process, and `log follow` there streams until
    /// Ctrl-C.
    @Test func launchingShell_FollowsTheLogThenExitStopsTheServer() throws {
        let site = try ScratchSite()
        let socket = site.path + "/control.sock"
        let binary = try HTTPSHProcess.binaryPath()
        let terminal = try TmuxSession("cd '\(site.path)' && '\(binary)' \(site.scriptFlags.joined(separator: " ")) "
            + "--control '\(socket)'; echo SERVER-ENDED; sleep 30")
        #expect(terminal.waitFor("httpsh>") != nil)
        let status = try HTTPSHProcess(["attach", "--control", socket, "-c", "status --json"])
        _ = status.waitForExit()
        let object = try #require(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let port = try #require(UInt16((object["url"] as? String)?.split(separator: ":").last?.filter(\.isNumber) ?? ""))

        terminal.send("log follow status 4xx", "Enter")
        #expect(terminal.waitFor("Ctrl-C stops") != nil)
        _ = RawClient.status(port: port, "/hello.txt")
        _ = RawClient.status(port: port, "/nothing-%1B%5B31mhere")
        let screen = try #require(terminal.waitFor("GET /nothing-"))
        #expect(!screen.contains("GET /hello.txt"))
        terminal.send("C-c")
        terminal.send("status", "Enter")
        #expect(terminal.waitFor("Control socket:") != nil)
        terminal.send("exit", "Enter")
        #expect(terminal.waitFor("SERVER-ENDED") != nil)
        #expect(RawClient.status(port: port, "/hello.txt") == nil)
        #expect(access(socket, F_OK) != 0)
    }

    /// An interactive `httpsh attach`: Tab asks the server, `exit` leaves and the server runs on.
    @Test func interactiveAttach_CompletesFromTheServerAndLeavesItRunning() throws {
        let server = try ControlledServer()
        let binary = try HTTPSHProcess.binaryPath()
        let terminal = try TmuxSession("'\(binary)' attach --control '\(server.socketPath)'; echo ATTACH-ENDED $?; sleep 30")
        #expect(terminal.waitFor("httpsh>") != nil)
        terminal.send("-l", "stauts")
        terminal.send("Enter")
        #expect(terminal.waitFor("unknown command 'stauts'") != nil)
        terminal.send("block 203.0.113.0/24 scanner", "Enter")
        #expect(terminal.waitFor("blocked 203.0.113.0/24") != nil)
        terminal.send("unbl", "Tab", "Tab")
        #expect(terminal.waitFor("unblock 203.0.113.0/24") != nil)
        terminal.send("Enter")
        #expect(terminal.waitFor("unblocked 203.0.113.0/24") != nil)
        terminal.send("shutdown", "Enter")
        #expect(terminal.waitFor("[y/N]") != nil)
        terminal.send("n", "Enter")
        #expect(terminal.waitFor("not stopped") != nil)
        terminal.send("exit", "Enter")
        // A mistyped command at the prompt was answered there; it does not make the exit status.
        #expect(terminal.waitFor("ATTACH-ENDED 0") != nil, "\(terminal.screen())")
        #expect(RawClient.status(port: server.port, "/hello.txt") == 200)
    }

    /// Standard input at its end before any command (/dev/null, as services start): serve on, say so once.
    @Test func emptyStandardInput_ServesLikeNoShell() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.scriptFlags + ["--log-level", "info", "--control", site.path + "/c.sock"])
        process.closeInput()
        let port = try #require(process.announcedPort(in: \.stderr))
        #expect(process.waitFor(in: \.stderr) { $0.contains("standard input is empty") } != nil)
        usleep(300_000)
        #expect(RawClient.status(port: port, "/hello.txt") == 200)
        #expect(process.stderrLines.filter { $0.contains("standard input is empty") }.count == 1)
        process.signal(SIGTERM)
        #expect(process.waitForExit()?.status == 0)
    }

    /// SIGHUP never stops the server; SIGUSR1 reopens the access log (after a rotation).
    @Test func sigHUP_IsIgnoredAndSIGUSR1ReopensTheLog() throws {
        let site = try ScratchSite()
        let log = site.path + "/access.log"
        let process = try HTTPSHProcess(["--port", "0", "-d", site.root, "--uploads", site.uploads, "--no-shell",
                                         "--log-level", "info", "--access-log", log, "--control", "off"])
        let port = try #require(process.announcedPort(in: \.stderr))
        process.signal(SIGHUP)
        usleep(200_000)
        #expect(RawClient.status(port: port, "/hello.txt") == 200)
        #expect(rename(log, log + ".1") == 0)
        process.signal(SIGUSR1)
        #expect(eventually(within: 10) {
            _ = RawClient.status(port: port, "/after-rotation")
            return (try? String(contentsOfFile: log, encoding: .utf8))?.contains("/after-rotation") == true
        })
        process.signal(SIGTERM)
        #expect(process.waitForExit()?.status == 0)
    }
}
