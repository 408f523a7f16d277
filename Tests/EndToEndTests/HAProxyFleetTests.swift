import Foundation
import Glibc
import Synchronization
import Testing

/// Three httpsh behind a real HAProxy (installed by `make test`), on one uploads folder, administered through the
/// fleet shell, with the README's configuration: a rolling restart (drain, shut down, start again, one backend at a
/// time) under load fails no request and stores every upload exactly once, and `--trust-proxy` lets a block reach
/// the client behind the proxy.
@Suite(.serialized) struct HAProxyFleetTests {
    @Test func rollingRestartThroughTheFleetShell_failsNoRequest_storesEveryUploadOnce() throws {
        let fleet = try ProxiedFleet()
        let fresh = ClientLoad(port: fleet.frontPort, connections: .newPerRequest)
        let kept = ClientLoad(port: fleet.frontPort, threads: 2)
        // Uploads whose bodies take 200 ms each: some are always in flight on some backend.
        let uploads = UploadClients()
        let front = fleet.frontPort
        uploads.start(clients: 3, pause: 50_000, port: { front }, filename: { "upload-\($0).txt" })
        usleep(300_000)

        for backend in fleet.backends {
            let drained = try fleet.shell("@\(backend.name) drain on")
            #expect(drained.status == 0, "\(drained.stdout) \(drained.stderr)")
            // HAProxy checks /readyz every 100 ms and takes a backend out after two failures.
            usleep(800_000)
            let stopped = try fleet.shell("@\(backend.name) shutdown")
            #expect(stopped.status == 0, "\(stopped.stdout) \(stopped.stderr)")
            #expect(backend.waitForExit()?.status == 0, "\(backend.name): \(backend.stderr)")
            try backend.start()
            #expect(fleet.waitUntilInRotation(backend), "\(backend.name) never came back into rotation")
        }

        #expect(fresh.stop() && kept.stop(), "a client thread hung")
        uploads.stop()
        let posted = uploads.outcome
        let failures = fresh.failures(expecting: 200) + kept.failures(expecting: 200)
        let served = fresh.answered(status: 200) + kept.answered(status: 200)
        #expect(failures.isEmpty, "\(failures.count) of \(served) GETs failed: \(failures.prefix(5))")
        #expect(posted.failures.isEmpty, "\(posted.failures.count) uploads failed: \(posted.failures.prefix(5))")
        #expect(posted.stored.count >= 5, "too few uploads went through: \(posted.stored.count)")
        // Every answered upload is in the shared folder, whole, and no upload is there twice (a retry by the proxy
        // of a request a backend had stored would show as a second copy).
        var copies: [Int: Int] = [:]
        for name in fleet.site.uploadEntries() where !name.hasPrefix(".") {
            let bytes = FileManager.default.contents(atPath: fleet.site.uploads + "/" + name).map(Array.init) ?? []
            let id = try #require(FormUpload.id(of: bytes), "\(name) is not a whole upload")
            #expect(firstDifference(bytes, FormUpload.payload(id)) == nil, "\(name) is not upload \(id) whole")
            copies[id, default: 0] += 1
        }
        for (name, id) in posted.stored {
            #expect(copies[id] == 1, "upload \(id) (\(name)) is there \(copies[id] ?? 0) times")
        }
        #expect(copies.count == posted.stored.count, "uploads stored that no client was answered for: \(copies.count)")
        // Every restarted backend serves again through the proxy.
        for backend in fleet.backends {
            let result = try fleet.shell("@\(backend.name) status --json")
            let status = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let instance = (status?["instances"] as? [String: Any])?[backend.name] as? [String: Any]
            #expect(instance?["ready"] as? Bool == true, "\(result.stdout)")
        }
    }

    @Test func blockThroughTheFleetShell_reachesTheClientBehindTheProxy() throws {
        let fleet = try ProxiedFleet()
        #expect(RawClient.status(port: fleet.frontPort, "/hello.txt", source: "127.0.0.7") == 200)

        let blocked = try fleet.shell("block 127.0.0.7 behind the proxy")
        #expect(blocked.status == 0, "\(blocked.stdout) \(blocked.stderr)")

        // Round robin: each of the next requests reaches another backend; each of them refuses this client.
        for _ in fleet.backends {
            #expect(RawClient.status(port: fleet.frontPort, "/hello.txt", source: "127.0.0.7") == 403)
            #expect(RawClient.status(port: fleet.frontPort, "/hello.txt", source: "127.0.0.8") == 200)
        }
    }
}

/// One httpsh of the fleet, restartable on its port with its control socket.
private final class Backend: @unchecked Sendable {
    let name: String
    let socketPath: String
    private let site: ScratchSite
    private(set) var port: UInt16 = 0
    private var process: HTTPSHProcess?

    init(name: String, site: ScratchSite) throws {
        self.name = name
        self.site = site
        socketPath = site.path + "/\(name).sock"
        try start()
    }

    deinit {
        process?.signal(SIGKILL)
    }

    var stderr: String { process?.stderr ?? "" }

    /// Starts (again): the first time on a port the kernel picks, then on the same one.
    func start() throws {
        let started = try HTTPSHProcess(site.flags + ["--port", "\(port)", "--control", socketPath,
                                                      "--trust-proxy", "127.0.0.1", "--shutdown-grace", "5"])
        guard let announced = started.announcedPort(in: \.stderr) else {
            throw HTTPSHProcess.Failure(description: "\(name) did not start: \(started.stderr)")
        }
        process = started
        port = announced
    }

    func waitForExit() -> HTTPSHProcess.Exit? {
        process?.waitForExit(seconds: 20)
    }
}

/// Three backends on one site and uploads folder, and HAProxy in front of them with the README's settings.
private final class ProxiedFleet {
    let site: ScratchSite
    let backends: [Backend]
    let frontPort: UInt16
    private let proxy: HTTPSHProcess

    init() throws {
        let site = try ScratchSite()
        self.site = site
        backends = try ["web1", "web2", "web3"].map { try Backend(name: $0, site: site) }
        let installed = ["/usr/sbin/haproxy", "/usr/bin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let haproxy = try #require(installed,
                                   "haproxy is not installed (make test installs it)")
        frontPort = try LoopbackPort.free()
        let configuration = site.path + "/haproxy.cfg"
        try Self.configuration(front: frontPort, backends: backends)
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        proxy = try HTTPSHProcess([], launcher: [haproxy, "-db", "-f", configuration])
        for backend in backends {
            guard waitUntilInRotation(backend) else {
                throw HTTPSHProcess.Failure(description: "HAProxy never sent to \(backend.name): \(proxy.stderr)")
            }
        }
    }

    deinit {
        proxy.signal(SIGKILL)
    }

    /// Runs `httpsh attach` with every backend's control socket and `commands`.
    func shell(_ commands: String) throws -> AttachResult {
        let client = try HTTPSHProcess(["attach"] + backends.flatMap { ["--control", $0.socketPath] } + ["-c", commands])
        client.closeInput()
        guard let exit = client.waitForExit(seconds: 30) else {
            throw HTTPSHProcess.Failure(description: "attach did not finish: \(client.stdout)")
        }
        return AttachResult(status: exit.status, stdout: client.stdout, stderr: client.stderr)
    }

    /// Waits until HAProxy sends clients' requests to `backend` (its counter for `/hello.txt` moves; health
    /// checks of `/readyz` do not count).
    func waitUntilInRotation(_ backend: Backend) -> Bool {
        eventually(within: 15) {
            for _ in 0..<backends.count { _ = RawClient.status(port: frontPort, "/hello.txt") }
            let counted = try? shell("@\(backend.name) counters --json")
            let object = counted.flatMap { try? JSONSerialization.jsonObject(with: Data($0.stdout.utf8)) } as? [String: Any]
            let instance = (object?["instances"] as? [String: Any])?[backend.name] as? [String: Any]
            let rows = instance?["rows"] as? [[String: Any]] ?? []
            return rows.contains { $0["path"] as? String == "/hello.txt" }
        }
    }

    /// The README's haproxy.cfg, on loopback ports, with fast checks for a test.
    static func configuration(front: UInt16, backends: [Backend]) -> String {
        """
        defaults
            mode http
            timeout connect 2s
            timeout client 30s
            timeout server 30s
            option forwardfor
            retries 3
            option redispatch
            retry-on conn-failure empty-response

        frontend web
            bind 127.0.0.1:\(front)
            default_backend httpsh

        backend httpsh
            balance roundrobin
            option httpchk GET /readyz
            http-check expect status 200
            default-server check inter 100ms fall 2 rise 1

        """ + backends.map { "    server \($0.name) 127.0.0.1:\($0.port)\n" }.joined()
    }
}
