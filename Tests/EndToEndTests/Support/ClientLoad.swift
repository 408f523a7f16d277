import Foundation
import Glibc
import Synchronization

/// Client threads fetching `/hello.txt` until stopped (from `source`, a loopback address): some on a new connection per request, some over
/// keep-alive. A keep-alive request that fails on a reused connection is retried once on a new one, as RFC 9112
/// §9.3.1 lets a client do for an idempotent request when the server closed an idle connection; only a failure on
/// a new connection counts.
final class ClientLoad: Sendable {
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
