import Foundation
import Glibc
import Synchronization
import Testing

/// Several httpsh processes on one uploads folder, as behind a load balancer with a shared volume: concurrent
/// uploads of the same name through every server while servers restart (gracefully and with `kill -9`) lose no
/// file, never leave an incomplete file under a final name, and never give two uploads one name.
@Suite struct SharedUploadsTests {
    @Test func twoThenFiveServers_concurrentUploadsAndRestarts_loseAndCollideNothing() throws {
        let site = try ScratchSite()
        let fleet = Fleet(site: site)
        defer { fleet.stopAll() }
        let uploads = UploadClients()

        for size in [2, 5] {
            try fleet.grow(to: size)
            uploads.start(clients: 4, uploadsEach: 12, port: { fleet.anyPort() }, filename: { _ in "same.txt" })
            // Restart every server once while the clients upload; the last one is killed, not drained.
            for index in 0..<size {
                usleep(100_000)
                try fleet.restart(index, kill: index == size - 1)
            }
            uploads.wait()
        }

        let outcome = uploads.outcome
        #expect(outcome.stored.count > 20, "too few uploads went through: \(outcome)")
        let names = outcome.stored.map(\.name)
        #expect(Set(names).count == names.count, "two uploads answered with one name: \(names.sorted())")
        // Every answered upload is there, whole, under its name.
        for upload in outcome.stored {
            guard let bytes = FileManager.default.contents(atPath: site.uploads + "/" + upload.name).map(Array.init) else {
                Issue.record("\(upload.name) (upload \(upload.id)) missing")
                continue
            }
            #expect(firstDifference(bytes, FormUpload.payload(upload.id)) == nil, "\(upload.name) (upload \(upload.id)) wrong")
        }
        // Every final name holds one whole upload, each at most once (a server killed after linking but before
        // answering may leave an unanswered, complete one).
        let finals = site.uploadEntries().filter { !$0.hasPrefix(".") }
        var seen = Set<Int>()
        for name in finals {
            let bytes = FileManager.default.contents(atPath: site.uploads + "/" + name).map(Array.init) ?? []
            let id = FormUpload.id(of: bytes)
            #expect(id.map { FormUpload.payload($0) == bytes && seen.insert($0).inserted } == true,
                    "\(name) is not one whole upload, or a second copy of one")
        }
        #expect(finals.count >= outcome.stored.count)
    }

    @Test func uploadsCommand_onAnyServer_showsEveryServersUploads() throws {
        let site = try ScratchSite()
        let first = try ControlledServer(site: site, socketName: "first.sock")
        let second = try ControlledServer(site: site, socketName: "second.sock")

        let viaFirst = try FormUpload.post(port: first.port, filename: "first.txt", FormUpload.payload(1))
        let viaSecond = try FormUpload.post(port: second.port, filename: "second.txt", FormUpload.payload(2))

        for server in [first, second] {
            let result = try server.attach(commands: "uploads --json")
            let listed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let names = (listed?["rows"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            #expect(Set(names) == [viaFirst, viaSecond], "\(server.socketPath): \(result.stdout)")
        }
    }

    @Test(.enabled(if: geteuid() == 0, "mounting a file system without hard links (mqueue) needs root"))
    func uploadsFolderWithoutHardLinks_refusesToStartWithAClearError() throws {
        let site = try ScratchSite()
        let mount = site.path + "/nolinks"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        try #require(Glibc.mount("none", mount, "mqueue", 0, nil) == 0, "mount mqueue: errno \(errno)")
        defer { umount2(mount, Int32(MNT_DETACH)) }

        let process = try HTTPSHProcess(["--port", "0", "-d", site.root, "--uploads", mount, "--no-shell"])
        let exit = try #require(process.waitForExit())

        #expect(exit.status == 1 && !exit.signalled)
        #expect(process.stderr.contains("does not support hard links"), "stderr: \(process.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: mount)) ?? ["?"]).isEmpty)
    }
}

/// The servers of one test, all on the site's folders, each on its own port.
private final class Fleet: Sendable {
    private let flags: [String]
    private let members = Mutex<[(process: HTTPSHProcess, port: UInt16)]>([])

    init(site: ScratchSite) {
        flags = site.flags
    }

    /// A port of a running server, chosen at random.
    func anyPort() -> UInt16? {
        members.withLock { $0.randomElement()?.port }
    }

    func grow(to count: Int) throws {
        while members.withLock({ $0.count }) < count {
            let started = try start()
            members.withLock { $0.append(started) }
        }
    }

    /// Stops server `index` (SIGTERM and a graceful drain, or SIGKILL) and starts a new one in its place.
    func restart(_ index: Int, kill: Bool) throws {
        let old = members.withLock { $0[index].process }
        old.signal(kill ? SIGKILL : SIGTERM)
        let exit = old.waitForExit(seconds: 20)
        #expect(exit.map { kill || ($0.status == 0 && !$0.signalled) } == true, "stderr: \(old.stderr)")
        let started = try start()
        members.withLock { $0[index] = started }
    }

    func stopAll() {
        for member in members.withLock({ $0 }) { member.process.signal(SIGKILL) }
    }

    private func start() throws -> (process: HTTPSHProcess, port: UInt16) {
        let process = try HTTPSHProcess(flags)
        guard let port = process.announcedPort(in: \.stderr) else {
            throw HTTPSHProcess.Failure(description: "no port announced: \(process.stderr)")
        }
        return (process, port)
    }
}
