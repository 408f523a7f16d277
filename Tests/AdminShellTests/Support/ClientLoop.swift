import Foundation
import HTTPServer
import Synchronization

/// Threads that GET one path over and over while a test changes the server, counting every answer that was
/// not the expected status (or no answer at all). Bounded: it stops after `limit` requests per thread.
final class ClientLoop: Sendable {
    /// Enough requests to overlap every change a test makes, few enough to finish quickly if `stop` is missed.
    static let limit = 20_000

    private let running = Atomic<Bool>(true)
    private let succeeded = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let finished = DispatchGroup()
    private let failures = Lock<[String]>([])

    init(port: UInt16, path: String, expecting status: Int = 200, threads: Int = 2) {
        for _ in 0..<threads {
            finished.enter()
            Thread.detachNewThread { [self] in
                var sent = 0
                while running.load(ordering: .relaxed), sent < Self.limit {
                    sent += 1
                    let answer = RawClient.status(port: port, path)
                    if answer == status {
                        succeeded.add(1, ordering: .relaxed)
                    } else {
                        failed.add(1, ordering: .relaxed)
                        failures.withLock { $0.append(answer.map(String.init) ?? "no answer") }
                    }
                }
                finished.leave()
            }
        }
    }

    /// Waits until at least `count` more requests have succeeded (up to `seconds`); false on timeout.
    @discardableResult
    func waitForSuccesses(_ count: Int, seconds: Double = 10) -> Bool {
        let target = succeeded.load(ordering: .relaxed) + count
        return eventually(within: seconds) { succeeded.load(ordering: .relaxed) >= target }
    }

    /// Stops the threads and returns (succeeded, failed, what the failures were).
    func stop() -> (succeeded: Int, failed: Int, failures: [String]) {
        running.store(false, ordering: .relaxed)
        finished.wait()
        return (succeeded.load(ordering: .relaxed), failed.load(ordering: .relaxed), failures.withLock { $0 })
    }
}
