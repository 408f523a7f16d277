import Foundation
import Glibc
import Synchronization
import Testing

/// An upgrade without downtime on one host: a second httpsh starts on the same port with `--reuse-port`, the
/// first is shut down through its control socket, drains and exits, and clients never see a request fail.
@Suite struct ReusePortUpgradeTests {
    @Test func newServerStarts_oldDrainsAndExits_noRequestFails() throws {
        let site = try FaultSite()
        let old = try ControlledServer(extra: ["--reuse-port"], site: site, socketName: "old.sock")
        let load = UpgradeLoad(port: old.port)
        load.start(freshConnectionClients: 8, keepAliveClients: 2)
        usleep(300_000)

        let new = try ControlledServer(extra: ["--reuse-port", "--port", "\(old.port)"], site: site,
                                       socketName: "new.sock")
        usleep(300_000)
        let shutdown = try old.attach(commands: "shutdown")
        let exit = old.waitForExit()
        let servedWhileBoth = load.succeeded
        usleep(500_000)
        let outcome = load.stop()

        #expect(shutdown.status == 0, "\(shutdown.stdout) \(shutdown.stderr)")
        #expect(exit.map { $0.status == 0 && !$0.signalled } == true, "old server: \(old.process.stderr)")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.count) failed of \(outcome.succeeded): \(outcome.failures.prefix(5))")
        #expect(outcome.succeeded > servedWhileBoth, "nothing served after the old server left")
        #expect(old.process.stderr.contains("steered to the server at place"), "stderr: \(old.process.stderr)")
        let newServed = try new.statusField("requests_served") as? Int
        #expect((newServed ?? 0) > 0, "the new server served nothing")
    }

    @Test func withoutAnInstanceName_theControlSocketIsNamedByPid() throws {
        let site = try FaultSite()
        let process = try HTTPSHProcess(site.flags + ["--reuse-port"], environment: ["XDG_RUNTIME_DIR": site.path])
        defer { process.signal(SIGKILL) }
        let port = try #require(process.announcedPort(in: \.stderr), "stderr: \(process.stderr)")

        let names = try FileManager.default.contentsOfDirectory(atPath: site.path + "/httpsh")
        #expect(names == ["\(port)-\(process.pid).sock"])
    }
}

/// Client threads fetching `/hello.txt` until stopped: some on a new connection per request, some over
/// keep-alive. A keep-alive request that fails on a reused connection is retried once on a new one, as RFC 9112
/// §9.3.1 lets a client do for an idempotent request when the server closed an idle connection; only a failure on
/// a new connection counts.
private final class UpgradeLoad: Sendable {
    private let port: UInt16
    private let running = Atomic(true)
    private let successes = Atomic(0)
    private let failed = Mutex<[String]>([])
    private let finished = DispatchGroup()

    init(port: UInt16) {
        self.port = port
    }

    var succeeded: Int { successes.load(ordering: .relaxed) }

    func start(freshConnectionClients: Int, keepAliveClients: Int) {
        for index in 0..<(freshConnectionClients + keepAliveClients) {
            let keepAlive = index >= freshConnectionClients
            finished.enter()
            Thread {
                self.run(keepAlive: keepAlive)
                self.finished.leave()
            }.start()
        }
    }

    func stop() -> (succeeded: Int, failures: [String]) {
        running.store(false, ordering: .relaxed)
        finished.wait()
        return (succeeded, failed.withLock { $0 })
    }

    private func run(keepAlive: Bool) {
        var connection: FaultSocket?
        var reused = false
        while running.load(ordering: .relaxed) {
            do {
                if connection == nil {
                    connection = try FaultSocket(port: port)
                    reused = false
                }
                guard let socket = connection else { continue }
                try socket.send("GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + (keepAlive ? "\r\n" : "Connection: close\r\n\r\n"))
                let response = try socket.readResponse()
                guard response.status == 200 else { throw FaultSocket.Failure(description: "status \(response.status)") }
                successes.add(1, ordering: .relaxed)
                reused = true
                if !keepAlive { connection = nil }
            } catch {
                connection = nil
                if !reused { failed.withLock { $0.append("\(error)") } }
                reused = false
            }
        }
    }
}
