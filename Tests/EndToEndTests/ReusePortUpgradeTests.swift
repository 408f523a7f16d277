import Foundation
import Glibc
import Synchronization
import Testing

/// An upgrade without downtime on one host: a second httpsh starts on the same port with `--reuse-port`, the
/// first is shut down through its control socket, drains and exits, and clients never see a request fail.
@Suite struct ReusePortUpgradeTests {
    @Test func newServerStarts_oldDrainsAndExits_noRequestFails() throws {
        let site = try ScratchSite()
        let old = try ControlledServer(extra: ["--reuse-port"], site: site, socketName: "old.sock")
        let fresh = ClientLoad(port: old.port, threads: 8, connections: .newPerRequest)
        let kept = ClientLoad(port: old.port, threads: 2)
        usleep(300_000)

        let new = try ControlledServer(extra: ["--reuse-port", "--port", "\(old.port)"], site: site,
                                       socketName: "new.sock")
        usleep(300_000)
        let shutdown = try old.attach(commands: "shutdown")
        let exit = old.waitForExit()
        let servedWhileBoth = fresh.answered(status: 200) + kept.answered(status: 200)
        usleep(500_000)
        #expect(fresh.stop() && kept.stop(), "a client thread hung")
        let failures = fresh.failures(expecting: 200) + kept.failures(expecting: 200)
        let served = fresh.answered(status: 200) + kept.answered(status: 200)

        #expect(shutdown.status == 0, "\(shutdown.stdout) \(shutdown.stderr)")
        #expect(exit.map { $0.status == 0 && !$0.signalled } == true, "old server: \(old.process.stderr)")
        #expect(failures.isEmpty, "\(failures.count) failed of \(served): \(failures.prefix(5))")
        #expect(served > servedWhileBoth, "nothing served after the old server left")
        #expect(old.process.stderr.contains("steered to the server at place"), "stderr: \(old.process.stderr)")
        let newServed = try new.statusField("requests_served") as? Int
        #expect((newServed ?? 0) > 0, "the new server served nothing")
    }

    @Test func withoutAnInstanceName_theControlSocketIsNamedByPid() throws {
        let site = try ScratchSite()
        let process = try HTTPSHProcess(site.flags + ["--reuse-port"], environment: ["XDG_RUNTIME_DIR": site.path])
        defer { process.signal(SIGKILL) }
        let port = try #require(process.announcedPort(in: \.stderr), "stderr: \(process.stderr)")

        let names = try FileManager.default.contentsOfDirectory(atPath: site.path + "/httpsh")
        #expect(names == ["\(port)-\(process.pid).sock"])
    }
}
