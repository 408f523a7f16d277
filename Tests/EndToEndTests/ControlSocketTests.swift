import Foundation
import Glibc
import HTTPServer
import Testing

/// The control socket itself: who may connect, what happens to a stale or live socket file, many sessions at
/// once, and bad input, which gets an error reply or a close and changes nothing else.
@Suite struct ControlSocketTests {
    @Test func greetingAndOneReplyPerRequest() throws {
        let server = try ControlledServer()
        let connection = try RawControlConnection(path: server.socketPath)
        let greeting = try #require(connection.readLine())
        #expect(greeting.hasPrefix("httpsh-control 1 \(server.process.pid) http://127.0.0.1:\(server.port)/"))
        connection.send("run workers 3\nrun bogus\ncomplete blocked\n")
        #expect(connection.readFrame()?.kind == "ok")
        let failed = try #require(connection.readFrame())
        #expect(failed.kind == "error")
        #expect(failed.text == "error: unknown command 'bogus'; type 'help' for the list\n")
        let words = try #require(connection.readFrame())
        #expect(words.kind == "ok" && words.text.isEmpty)
    }

    @Test func peerWithAnotherUID_IsRefusedWithOneLine() throws {
        let server = try ControlledServer()
        // Open the file and folder modes, so only the SO_PEERCRED check stands in the way.
        chmod(server.site.path, 0o755)
        chmod(server.socketPath, 0o666)
        let binary = try HTTPSHProcess.binaryPath()
        let refused = try HTTPSHProcess(["attach", "--control", server.socketPath, "-c", "workers 7"],
                                        environment: [:], launcher: ["/usr/bin/setpriv", "--reuid=65534",
                                                                     "--regid=65534", "--clear-groups", binary])
        let exit = try #require(refused.waitForExit())
        #expect(exit.status == 1)
        #expect(refused.stderr.contains("permission denied: only uid \(geteuid()) and root may control this httpsh"))
        #expect(try server.statusField("workers") as? Int == 2)
    }

    @Test func staleSocketFile_IsReplaced() throws {
        let site = try ScratchSite()
        let path = site.path + "/control.sock"
        // A socket file nobody listens on: what a killed server leaves behind.
        let stale = try UnixSocket.listen(path: path, backlog: 1)
        stale.close()
        let server = try ControlledServer(site: site)
        #expect(try server.attach(commands: "status").status == 0)
    }

    @Test func liveSocket_IsAOneLineErrorForASecondServer() throws {
        let server = try ControlledServer()
        let second = try HTTPSHProcess(server.site.flags + ["--control", server.socketPath])
        let exit = try #require(second.waitForExit())
        #expect(exit.status == 1)
        #expect(second.stderrLines == ["httpsh: another httpsh is running with control socket \(server.socketPath); "
            + "attach to it, or choose --control PATH or --instance NAME"])
        #expect(try server.attach(commands: "status").status == 0)
    }

    @Test func twentySessionsAtOnce_AreAllAnswered() throws {
        let server = try ControlledServer()
        let connections = try (0..<20).map { _ in try RawControlConnection(path: server.socketPath) }
        for connection in connections { #expect(connection.readLine()?.hasPrefix("httpsh-control 1 ") == true) }
        for connection in connections { connection.send("run status --json\n") }
        for connection in connections { #expect(connection.readFrame()?.kind == "ok") }
    }

    @Test func badInput_GetsAnErrorAndTheSessionGoesOn() throws {
        let server = try ControlledServer()
        let connection = try RawControlConnection(path: server.socketPath)
        _ = connection.readLine()
        connection.send("\u{1B}[2Jgarbage here\n")
        let garbage = try #require(connection.readFrame())
        #expect(garbage.kind == "error")
        #expect(garbage.text.hasPrefix("unknown request '?[2Jgarbage'"))
        connection.socket.send("")
        _ = [UInt8]([0xff, 0xfe, 10]).withUnsafeBytes { send(connection.socket.fd, $0.baseAddress, 3, 0) }
        #expect(connection.readFrame()?.text == "request is not UTF-8 text\n")
        connection.send("stop\n")
        #expect(connection.readFrame()?.kind == "error")
        connection.send("run workers 3\n")
        #expect(connection.readFrame()?.kind == "ok")
    }

    @Test func oneMebibyteLine_GetsAnErrorAndACloseAndNothingElseChanges() throws {
        let server = try ControlledServer()
        let connection = try RawControlConnection(path: server.socketPath)
        _ = connection.readLine()
        connection.send("run workers 5 " + String(repeating: "x", count: 1 << 20) + "\n")
        let reply = try #require(connection.readFrame())
        #expect(reply.kind == "error")
        #expect(reply.text == "request longer than 65536 bytes; closing\n")
        #expect(connection.closedByServer())
        #expect(try server.statusField("workers") as? Int == 2)
    }

    @Test func halfARequest_IsClosedAfterItsDeadlineWhileOthersAreServed() throws {
        let server = try ControlledServer()
        let half = try RawControlConnection(path: server.socketPath)
        _ = half.readLine()
        half.send("run work")
        #expect(try server.attach(commands: "status").status == 0)
        let reply = try #require(half.readFrame(seconds: 20))
        #expect(reply.text == "request not finished within 10 seconds; closing\n")
        #expect(half.closedByServer())
        #expect(try server.statusField("workers") as? Int == 2)
    }

    /// A client that asks and never reads: the server's sends time out and the session is dropped; meanwhile other
    /// sessions and HTTP are answered at once.
    @Test func clientThatNeverReads_IsDroppedWithoutBlockingOthers() throws {
        let server = try ControlledServer()
        let greedy = try RawControlConnection(path: server.socketPath)
        let requests = String(repeating: "run help\n", count: 2_000)
        let socket = greedy.socket
        Thread { socket.send(requests) }.start()
        let started = Date()
        #expect(try server.attach(commands: "status").status == 0)
        #expect(RawClient.status(port: server.port, "/hello.txt") == 200)
        #expect(Date().timeIntervalSince(started) < 5)
        // The stuck session ends after its send timeout: the server closes its end.
        #expect(eventually(within: 30) {
            var entry = pollfd(fd: socket.fd, events: 0, revents: 0)
            return poll(&entry, 1, 0) > 0 && entry.revents & Int16(POLLHUP) != 0
        })
        #expect(try server.attach(commands: "status").status == 0)
    }

    @Test func followStream_DropsAndCountsWhatASlowSessionCannotTake() throws {
        let server = try ControlledServer()
        let slow = try RawControlConnection(path: server.socketPath)
        _ = slow.readLine()
        slow.send("run log follow path /hello\n")
        #expect(eventually(within: 10) {
            _ = RawClient.status(port: server.port, "/hello.txt")
            return slow.readFrame(seconds: 0.2)?.kind == "log"
        })
        // Reading slowly (50 lines a second, which even a server slowed down tenfold by ThreadSanitizer outpaces)
        // while 50 connections make lines, until the server has made more than the session can hold (2,000
        // waiting and the socket's buffer); then at full speed through them to the notice that follows. Never a
        // pause long enough for the session's send timeout.
        let load = ClientLoad(port: server.port, connections: .keepAlive(perThread: 50), timeout: 5)
        defer { load.stop() }
        var dropped = 0
        var read = 0
        let deadline = Date().addingTimeInterval(60)
        while dropped == 0, Date() < deadline {
            // A starved machine can leave the load, and so the lines, silent for seconds: wait on to the deadline.
            guard let frame = slow.readFrame(seconds: 5) else {
                usleep(100_000)
                continue
            }
            if frame.kind == "dropped" { dropped += Int(frame.text.dropLast()) ?? 0 }
            read += 1
            if load.answered() - read < 6_000 { usleep(20_000) }
        }
        #expect(dropped > 0)
        #expect(load.answered() > 0)
        slow.send("stop\n")
        #expect(RawClient.status(port: server.port, "/hello.txt") == 200)
    }
}
