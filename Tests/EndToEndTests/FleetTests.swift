import Foundation
import Glibc
import HTTPServer
import Testing

/// `httpsh attach` on a fleet (`--control` repeated, `--controls FILE`): one command changes every server, the
/// replies are labelled (text, merged tables, one JSON document), and a stopped server is reported without
/// holding up the others.
@Suite struct FleetTests {
    private func fleet(_ count: Int = 3) throws -> [ControlledServer] {
        try (0..<count).map { _ in try ControlledServer() }
    }

    @Test func dashC_ChangesEveryServer() throws {
        let servers = try fleet()
        let result = try ControlledServer.attach(fleet: servers, ["-c", "workers 3"])
        #expect(result.status == 0)
        for server in servers {
            #expect(result.stdout.contains("\(server.fleetLabel): workers: 2 -> 3\n"))
            #expect(try server.statusField("workers") as? Int == 3)
            #expect(RawClient.status(port: server.port, "/hello.txt") == 200)
        }
    }

    @Test func pipedStdin_RunsOnEveryServerOrTheOneNamedUntilExit() throws {
        let servers = try fleet()
        let (first, second) = (servers[0].fleetLabel, servers[1].fleetLabel)
        let result = try ControlledServer.attach(fleet: servers, [], input: "workers 3\n@\(second) workers 5\nkill 4\n@nobody status\nexit\nworkers 9\n")
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(first): workers: 2 -> 3\n"))
        #expect(result.stdout.contains("\(second): workers: 3 -> 5\n"))
        #expect(result.stdout.contains("error: kill: connection ids are each server's own: name the server, '@\(first) kill 4'"))
        #expect(result.stdout.contains("error: no running server is labelled 'nobody'"))
        #expect(!result.stdout.contains("-> 9"))
        #expect(try servers.map { try $0.statusField("workers") as? Int } == [3, 5, 3])
    }

    @Test func json_IsOneDocumentWithAnObjectPerInstance() throws {
        let servers = try fleet()
        let (status, data) = try ControlledServer.attachThroughJSONTool(
            servers.flatMap { ["--control", $0.socketPath] } + ["-c", "status --json"])
        #expect(status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["ok"] as? Bool == true)
        #expect((document["errors"] as? [String: Any])?.isEmpty == true)
        let instances = try #require(document["instances"] as? [String: [String: Any]])
        #expect(instances.count == 3)
        for server in servers {
            #expect(instances[server.fleetLabel]?["url"] as? String == "http://127.0.0.1:\(server.port)/")
        }
    }

    @Test func counters_AreOneTableWithAnInstanceColumn() throws {
        let servers = try fleet()
        for (index, server) in servers.enumerated() {
            for _ in 0...index { #expect(RawClient.status(port: server.port, "/hello.txt") == 200) }
        }
        let result = try ControlledServer.attach(fleet: servers, ["-c", "counters"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let width = servers.map(\.fleetLabel.count).max() ?? 0
        let pad = { (text: String, to: Int) in text + String(repeating: " ", count: to - text.count + 2) }
        #expect(lines.first == pad("INSTANCE", width) + "COUNT  PATH")
        #expect(lines.count == 4)
        for (index, server) in servers.enumerated() {
            #expect(lines.contains(pad(server.fleetLabel, width) + pad(String(index + 1), 5) + "/hello.txt"))
        }
    }

    @Test func stoppedServer_IsReportedWithinTheDeadlineAndTheOthersAnswer() throws {
        let servers = try fleet()
        let stopped = servers[1]
        stopped.process.signal(SIGSTOP)
        defer { stopped.process.signal(SIGCONT) }
        let started = Date()
        let result = try ControlledServer.attach(fleet: servers, ["--timeout", "1", "-c", "workers 3; status --json"])
        // Connecting, then each of two commands: a deadline each, not one per server or a hang.
        #expect(Date().timeIntervalSince(started) < 8)
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(stopped.fleetLabel): error: not answering: no reply within 1 s"))
        for server in [servers[0], servers[2]] {
            #expect(result.stdout.contains("\(server.fleetLabel): workers: 2 -> 3\n"))
        }
        let json = try #require(result.stdout.split(separator: "\n").last)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(document["ok"] as? Bool == false)
        #expect((document["errors"] as? [String: String])?[stopped.fleetLabel]?.contains("not answering") == true)
        #expect((document["instances"] as? [String: Any])?.count == 2)
        stopped.process.signal(SIGCONT)
        #expect(try stopped.statusField("workers") as? Int == 2)
    }

    @Test func controlsFile_NamesTheServersAndSkipsComments() throws {
        let servers = try fleet(2)
        let list = servers[0].site.path + "/fleet.list"
        try """
        # the web tier
        web1 \(servers[0].socketPath)   # first

        \(servers[1].socketPath)
        """.write(toFile: list, atomically: true, encoding: .utf8)
        #expect(RawClient.status(port: servers[1].port, "/hello.txt") == 200)
        let result = try ControlledServer.attach(fleet: [], ["--controls", list, "-c", "dirlisting off; top"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("web1:    directory listing: off\n"))
        #expect(result.stdout.contains("control: directory listing: off\n"))
        #expect(result.stdout.contains("INSTANCE  KIND    REQUESTS  NAME\ncontrol   path    1         /hello.txt\n"))

        let bad = servers[0].site.path + "/bad.list"
        try "web1 \(servers[0].socketPath) extra\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try ControlledServer.attach(fleet: [], ["--controls", bad, "-c", "status"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("bad.list:1: expected 'PATH' or 'NAME PATH'"))
    }

    @Test func logFollow_PrefixesEachLineWithItsServer() throws {
        let servers = try fleet(2)
        let follower = try HTTPSHProcess(["attach"] + servers.flatMap { ["--control", $0.socketPath] }
                                         + ["-c", "log follow status 4xx"])
        defer { follower.signal(SIGKILL) }
        for server in servers {
            #expect(eventually(within: 10) {
                _ = RawClient.status(port: server.port, "/missing-\(server.port)")
                return follower.stdout.contains("\(server.fleetLabel): 127.0.0.1 ")
                    && follower.stdout.contains("GET /missing-\(server.port) HTTP/1.1\" 404")
            })
        }
        #expect(!follower.stdout.contains("hello.txt"))
    }

    /// The prompt on a fleet: a merged table, Tab asks a server, `shutdown` asks once for all and stops them all.
    @Test func interactive_ShutdownAsksOnceAndStopsEveryServer() throws {
        let servers = try fleet(2)
        let binary = try HTTPSHProcess.binaryPath()
        let controls = servers.map { "--control '\($0.socketPath)'" }.joined(separator: " ")
        let terminal = try TmuxSession("'\(binary)' attach \(controls); echo ATTACH-ENDED status $?; sleep 30")
        #expect(terminal.waitFor("httpsh[2]>") != nil)
        terminal.send("block 203.0.113.0/24 scanner", "Enter")
        #expect(terminal.waitFor("\(servers[1].fleetLabel): blocked 203.0.113.0/24") != nil)
        terminal.send("unbl", "Tab", "Tab")
        #expect(terminal.waitFor("unblock 203.0.113.0/24") != nil)
        terminal.send("C-u", "blocked", "Enter")
        #expect(terminal.waitFor("INSTANCE") != nil)
        terminal.send("shutdown", "Enter")
        #expect(terminal.waitFor("Stop 2 servers (\(servers[0].fleetLabel), \(servers[1].fleetLabel))? [y/N]") != nil)
        terminal.send("n", "Enter")
        #expect(terminal.waitFor("not stopped") != nil)
        #expect(servers.allSatisfy { RawClient.status(port: $0.port, "/hello.txt") == 200 })
        terminal.send("shutdown", "Enter")
        #expect(terminal.waitFor("? [y/N] n\nnot stopped\nhttpsh[2]> shutdown\nStop 2") != nil)
        terminal.send("y", "Enter")
        #expect(terminal.waitFor("ATTACH-ENDED status 0") != nil)
        for server in servers { #expect(server.waitForExit()?.status == 0) }
    }

    @Test func badFleetArguments_AreOneLineErrors() throws {
        let servers = try fleet(1)
        let timeout = try ControlledServer.attach(fleet: servers, ["--control", "/tmp/x.sock", "--timeout", "0", "-c", "status"])
        #expect(timeout.status == 2)
        #expect(timeout.stderr == "httpsh: attach: --timeout: '0' is not a number of seconds from 0.1 to 3600\n")
        let twice = try ControlledServer.attach(fleet: servers + servers, ["-c", "status"])
        #expect(twice.status == 1)
        #expect(twice.stderr == "httpsh attach: \(servers[0].socketPath) is listed twice\n")
        let none = try ControlledServer.attach(fleet: servers, ["--control", servers[0].site.path + "/absent.sock", "-c", "status"])
        #expect(none.status == 1)
        #expect(none.stdout.contains("absent:  error: cannot reach \(servers[0].site.path)/absent.sock: No such file"))
        #expect(none.stdout.hasPrefix("== control ==\nState:              serving\n"))
    }

    /// `log follow` at the prompt: lines from every server, labelled, until Ctrl-C gives the prompt back.
    @Test func interactiveLogFollow_StopsAtCtrlC() throws {
        let servers = try fleet(2)
        let binary = try HTTPSHProcess.binaryPath()
        let controls = servers.map { "--control '\($0.socketPath)'" }.joined(separator: " ")
        let terminal = try TmuxSession("'\(binary)' attach \(controls); echo ATTACH-ENDED; sleep 30")
        #expect(terminal.waitFor("httpsh[2]>") != nil)
        terminal.send("log follow status 4xx", "Enter")
        #expect(terminal.waitFor("following on 2 servers; Ctrl-C stops") != nil)
        for server in servers {
            #expect(eventually(within: 10) {
                _ = RawClient.status(port: server.port, "/gone-\(server.port)")
                return terminal.screen().contains("GET /gone-\(server.port) HTTP/1.1\" 404")
            })
            #expect(terminal.screen().contains("\(server.fleetLabel): 127.0.0.1 "))
        }
        terminal.send("C-c")
        terminal.send("workers 3", "Enter")
        #expect(terminal.waitFor("\(servers[1].fleetLabel): workers: 2 -> 3") != nil)
        terminal.send("exit", "Enter")
        #expect(terminal.waitFor("ATTACH-ENDED") != nil)
    }
}
