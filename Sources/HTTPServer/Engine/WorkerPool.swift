import Synchronization

/// The worker threads. Each runs `body` (a `Worker` loop) until it is told to retire.
///
/// Growing starts threads at once. Shrinking posts retirements: a worker takes one only when it wakes on the
/// pool's eventfd between events, so a worker never stops in the middle of a request.
final class WorkerPool: Sendable {
    /// Live and busy workers are counted here, where `/metrics` reads them.
    private let gauges: EngineGauges
    private let pendingRetirements = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let target = Lock<Int>(0)
    private let exited = Condition()
    private let wake: WakeEvent

    init(wake: WakeEvent, gauges: EngineGauges) {
        self.gauges = gauges
        self.wake = wake
    }

    /// Threads running now.
    var liveCount: Int { gauges.workersLive }
    /// The size asked for last.
    var targetCount: Int { target.withLock { $0 } }
    /// Workers handling an event right now.
    var busy: Int { gauges.workersBusy }

    /// Sets the number of workers (clamped to `ServerConfiguration.workerRange`); returns the new target.
    @discardableResult
    func resize(to count: Int, makeWorker: () -> Worker) -> Int {
        let wanted = min(max(count, ServerConfiguration.workerRange.lowerBound), ServerConfiguration.workerRange.upperBound)
        target.withLock { current in
            let difference = wanted - current
            if difference > 0 {
                // Cancel retirements not yet taken before starting new threads.
                var toStart = difference
                while toStart > 0 {
                    let pending = pendingRetirements.load(ordering: .relaxed)
                    guard pending > 0 else { break }
                    if pendingRetirements.compareExchange(expected: pending, desired: pending - 1,
                                                          ordering: .relaxed).exchanged { toStart -= 1 }
                }
                for _ in 0..<toStart { start(makeWorker()) }
            } else if difference < 0 {
                pendingRetirements.add(-difference, ordering: .relaxed)
                wake.signal()
            }
            current = wanted
        }
        return wanted
    }

    private func start(_ worker: Worker) {
        gauges.workerStarted()
        let started = spawnThread(name: "httpsh-worker") { [self] in
            worker.run()
            gauges.workerExited()
            exited.signal()
        }
        if !started { gauges.workerExited() }
    }

    /// Called by a worker that woke on the pool's eventfd: true when it should exit now.
    func shouldRetire() -> Bool {
        if stopping.load(ordering: .relaxed) {
            wake.signal()
            return true
        }
        while true {
            let pending = pendingRetirements.load(ordering: .relaxed)
            guard pending > 0 else {
                wake.drain()
                // A retirement posted between the load and the drain would be lost; signal again if so.
                if pendingRetirements.load(ordering: .relaxed) > 0 || stopping.load(ordering: .relaxed) {
                    wake.signal()
                }
                return false
            }
            if pendingRetirements.compareExchange(expected: pending, desired: pending - 1,
                                                  ordering: .relaxed).exchanged {
                return true
            }
        }
    }

    func markBusy() { gauges.workerBusy() }
    func markIdle() { gauges.workerIdle() }

    /// Stops every worker and waits for them to exit.
    func stopAll() {
        stopping.store(true, ordering: .relaxed)
        wake.signal()
        _ = exited.wait(timeoutMilliseconds: 5000) { liveCount == 0 ? true : nil }
    }
}
