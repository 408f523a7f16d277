import Foundation
import Glibc
import HTTPServer
import Testing

/// `httpsh attach` against a running server: `-c`, piped stdin, the interactive shell in a real terminal, and
/// changes made from an attached session seen over HTTP.
@Suite struct AttachTests {
    @Test func dashC_RunsOnTheRunningServerAndLeavesItServing() throws {
        let server = try ControlledServer()
        let result = try server.attach(commands: "workers 3; status")
        #expect(result.status == 0)
        #expect(result.stdout.contains("workers: 2 -> 3\n") || result.stdout.contains("-> 3\n"))
        #expect(result.stdout.contains("Control socket:     \(server.socketPath)\n"))
        #expect(RawClient.status(port: server.port, "/hello.txt") == 200)
        #expect(try server.statusField("workers") as? Int == 3)
    }

    @Test func dashC_FailingCommandGivesStatusOne() throws {
        let server = try ControlledServer()
        let result = try server.attach(commands: "bogus; dirlisting off")
        #expect(result.status == 1)
        #expect(result.stdout.contains("error: unknown command 'bogus'"))
        #expect(result.stdout.contains("directory listing: off\n"))
    }

    @Test func statusJSON_IsValidJSONForATool() throws {
        let server = try ControlledServer()
        let (status, data) = try ControlledServer.attachThroughJSONTool(["--control", server.socketPath, "-c", "status --json"])
        #expect(status == 0)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"state\": \"serving\""))
        #expect(text.contains("\"control_socket\": \"\(server.socketPath)\""))
    }

    @Test func pipedStdin_RunsAsAScriptAndTheServerRunsOn() throws {
        let server = try ControlledServer()
        let result = try server.attach([], input: "workers 4\nratelimit 5/1\nexit\nworkers 9\n")
        #expect(result.status == 0)
        #expect(result.stdout.contains("workers: 2 -> 4\n"))
        #expect(!result.stdout.contains("-> 9"))
        #expect((try server.statusField("rate_limit") as? String)?.hasPrefix("5/1s") == true)
        #expect(RawClient.status(port: server.port, "/hello.txt") == 200)
    }

    @Test func shutdown_FromAnAttachedSessionStopsTheServerAndRemovesTheSocket() throws {
        let server = try ControlledServer()
        let result = try server.attach(commands: "shutdown")
        #expect(result.status == 0)
        #expect(result.stdout.contains("Finished requests:"))
        let exit = try #require(server.waitForExit())
        #expect(exit.status == 0)
        #expect(access(server.socketPath, F_OK) != 0)
    }

    @Test func defaultSocket_IsPrivateAndFoundByPort() throws {
        let site = try ScratchSite()
        let runtime = site.path + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let process = try HTTPSHProcess(site.flags + ["--log-level", "info"], environment: ["XDG_RUNTIME_DIR": runtime])
        let port = try #require(process.announcedPort(in: \.stderr))
        let socket = "\(runtime)/httpsh/\(port).sock"
        var info = stat()
        #expect(stat(runtime + "/httpsh", &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(stat(socket, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let client = try HTTPSHProcess(["attach", "--port", String(port), "-c", "status"],
                                       environment: ["XDG_RUNTIME_DIR": runtime])
        #expect(client.waitForExit()?.status == 0)
        #expect(client.stdout.contains("Control socket:     \(socket)\n"))
        process.signal(SIGTERM)
        #expect(process.waitForExit()?.status == 0)
        #expect(access(socket, F_OK) != 0)
    }

    @Test func instanceName_KeepsTwoSocketsApartAndAttachFindsTheOnlyOne() throws {
        let site = try ScratchSite()
        let runtime = site.path + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let process = try HTTPSHProcess(site.flags + ["--log-level", "info", "--instance", "blue"], environment: ["XDG_RUNTIME_DIR": runtime])
        let port = try #require(process.announcedPort(in: \.stderr))
        #expect(access("\(runtime)/httpsh/\(port)-blue.sock", F_OK) == 0)
        let client = try HTTPSHProcess(["attach", "--port", String(port), "-c", "status"],
                                       environment: ["XDG_RUNTIME_DIR": runtime])
        #expect(client.waitForExit()?.status == 0)
        #expect(client.stdout.contains("\(port)-blue.sock"))
    }

    @Test func noServer_IsAOneLineError() throws {
        let site = try ScratchSite()
        let client = try HTTPSHProcess(["attach", "--control", site.path + "/none.sock", "-c", "status"])
        #expect(client.waitForExit()?.status == 1)
        #expect(client.stderrLines.count == 1)
        #expect(client.stderr.hasPrefix("httpsh attach: cannot reach \(site.path)/none.sock"))
    }

    /// 200 open keep-alive connections keep asking while an attached session turns every knob; each change shows
    /// over HTTP (or in `status`), and the load is answered all along.
    @Test func attachUnderLoad_EveryKnobTakesEffect() throws {
        let server = try ControlledServer(extra: ["--workers", "4"])
        let load = ClientLoad(port: server.port, connections: .keepAlive(perThread: 200), timeout: 5)
        defer { load.stop() }
        #expect(eventually(within: 10) { load.answered() > 200 })

        #expect(try server.attach(commands: "workers 6; loglevel warning").status == 0)
        #expect(try server.statusField("workers") as? Int == 6)
        #expect(try server.statusField("log_level") as? String == "warning")

        #expect(try server.attach(commands: "dirlisting off").status == 0)
        #expect(RawClient.status(port: server.port, "/") == 403)
        #expect(try server.attach(commands: "dirlisting on").status == 0)
        #expect(RawClient.status(port: server.port, "/") == 200)

        #expect(try server.attach(commands: "ratelimit 1/60").status == 0)
        _ = RawClient.status(port: server.port, "/hello.txt")
        #expect(eventually(within: 10) { RawClient.status(port: server.port, "/hello.txt") == 429 })
        #expect(try server.attach(commands: "ratelimit off").status == 0)
        #expect(RawClient.status(port: server.port, "/hello.txt") == 200)

        #expect(try server.attach(commands: "block 127.0.0.1 load test").status == 0)
        #expect(RawClient.status(port: server.port, "/hello.txt") != 200)
        #expect(try server.attach(commands: "unblock 127.0.0.1").status == 0)
        #expect(RawClient.status(port: server.port, "/hello.txt") == 200)

        #expect(try server.attach(commands: "counters reset; counters top 3; stats; top 3").status == 0)
        let before = load.answered()
        #expect(eventually(within: 10) { load.answered() > before + 100 })
    }

    /// Two sessions at once: one streams `log follow`, the other changes the server and makes a 404; the stream
    /// sees exactly the matching line, then is killed mid-stream and nothing else notices.
    @Test func twoSessions_FollowAndCommandAtOnce_ThenOneKilled() throws {
        let server = try ControlledServer()
        let follower = try HTTPSHProcess(["attach", "--control", server.socketPath, "-c", "log follow status 4xx"])
        // The follow is on once its session is counted: wait until a 404 shows up in it.
        #expect(eventually(within: 10) {
            _ = RawClient.status(port: server.port, "/missing-\(UInt16.random(in: 0...999))")
            return follower.stdout.contains("\"GET /missing-")
        })
        let other = try server.attach(commands: "workers 3; status --json")
        #expect(other.status == 0)
        _ = RawClient.status(port: server.port, "/hello.txt")
        _ = RawClient.status(port: server.port, "/marker-404")
        #expect(follower.waitFor(in: \.stdout) { $0.contains("GET /marker-404 HTTP/1.1\" 404") } != nil)
        #expect(!follower.stdout.contains("/hello.txt"))
        let descriptors = FaultProc.descriptors(server.process.pid)

        follower.signal(SIGKILL)
        _ = follower.waitForExit()
        #expect(RawClient.status(port: server.port, "/hello.txt") == 200)
        #expect(try server.attach(commands: "status").status == 0)
        // The killed session's socket and mailbox are released.
        #expect(eventually(within: 10) { (FaultProc.descriptors(server.process.pid) ?? 99) < (descriptors ?? 0) })
    }
}
