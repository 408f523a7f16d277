import Synchronization

/// The worker threads: as many as asked for, plus spares while every one of them is stuck.
///
/// One worker per CPU serves best: more threads than CPUs only take turns by the scheduler's time slice, and a
/// request waits while another worker holds its CPU. But a worker can be stuck in one event for long: in an
/// upload's disk sync, or in an embedder's handler that waits on something. So that one stuck worker does not
/// stall the server, the pool starts a spare when every worker is stuck: at once when a worker announces a
/// blocking call (`BlockingCall`), or at the housekeeper's next check when every worker is still in the batch of
/// events it was in at the previous check. A spare is an ordinary worker; once the pool has more workers than
/// asked for and another one is free, a worker leaves between two batches. (Go's runtime hands the processor of
/// a thread blocked in a system call to another thread the same way.)
///
/// No worker ever stops in the middle of a request: a worker leaves only between batches of events.
final class WorkerPool: Sendable {
    /// How often a worker checks whether it may leave, while the pool has more workers than asked for.
    static let surplusCheckMilliseconds: Int32 = 100

    private struct Members {
        var target = 0
        var workers: [Worker] = []
        /// Of the workers beyond `target`, those started as spares. The others are leaving after a shrink.
        var spares = 0
        var stopping = false
    }

    /// Live and busy workers are counted here, where `/metrics` reads them.
    private let gauges: EngineGauges
    private let members = Lock(Members())
    /// More workers than asked for: each one waits with a timeout, to check whether it may leave.
    private let surplus = Atomic<Bool>(false)
    private let exited = Condition()
    private let wake: WakeEvent

    init(wake: WakeEvent, gauges: EngineGauges) {
        self.gauges = gauges
        self.wake = wake
    }

    /// Threads running now (spares included).
    var liveCount: Int { gauges.workersLive }
    /// The size asked for last.
    var targetCount: Int { members.withLock { $0.target } }
    /// Workers handling an event right now.
    var busy: Int { gauges.workersBusy }
    /// The pool has more workers than asked for (a spare, or a shrink under way).
    var hasSurplus: Bool { surplus.load(ordering: .relaxed) }
    /// Workers beyond the size asked for that were started because every worker was stuck; not those a shrink
    /// left beyond it, which leave as soon as another worker is free.
    var spareCount: Int { members.withLock { $0.spares } }

    /// Sets the number of workers (clamped to `ServerConfiguration.workerRange`); returns the new target, or nil
    /// once `stopAll` began: a worker started then would only leave at once, so none starts.
    /// Growing starts threads at once; shrinking wakes the workers, and the surplus leave between batches.
    @discardableResult
    func resize(to count: Int, makeWorker: () -> Worker) -> Int? {
        let wanted = min(max(count, ServerConfiguration.workerRange.lowerBound), ServerConfiguration.workerRange.upperBound)
        let shrinking = members.withLock { state -> Bool? in
            guard !state.stopping else { return nil }
            state.target = wanted
            for _ in state.workers.count..<max(wanted, state.workers.count) { start(makeWorker(), in: &state) }
            return updateSurplus(&state)
        }
        guard let shrinking else { return nil }
        // After the target is set: a worker that drained the wake-up before saw the new target.
        if shrinking { wake.signal() }
        return wanted
    }

    /// Called by a worker that woke on the pool's eventfd: true when it should leave now (it is then no longer
    /// counted). While there are more workers than asked for, the eventfd stays signalled so that every
    /// worker hears of it.
    func shouldLeave(_ worker: Worker) -> Bool {
        members.withLock { state in
            if state.stopping {
                wake.signal()
                remove(worker, from: &state)
                return true
            }
            if state.workers.count > state.target, anotherIsFree(than: worker, in: state) {
                remove(worker, from: &state)
                return true
            }
            // Nothing to do, or only stuck workers besides this one: this one stays, and checks again by its
            // surplus timeout.
            wake.drain()
            return false
        }
    }

    /// Called by a worker between batches while the pool has a surplus: true when it should leave now.
    func mayLeave(_ worker: Worker) -> Bool {
        members.withLock { state in
            guard state.workers.count > state.target, anotherIsFree(than: worker, in: state) else { return false }
            remove(worker, from: &state)
            return true
        }
    }

    /// `worker` is about to wait in a blocking call: when every other worker is stuck too, a spare starts now.
    func willBlock(_ worker: Worker, makeWorker: () -> Worker) {
        members.withLock { state in
            worker.isBlocked.store(true, ordering: .relaxed)
            if !state.stopping, !anotherIsFree(than: worker, in: state) { startSpare(makeWorker, in: &state) }
        }
    }

    /// The housekeeper's periodic check: a worker still in the batch it was in at the previous check is stuck;
    /// when every worker is stuck, a spare starts.
    func startSpareIfAllStuck(makeWorker: () -> Worker) {
        members.withLock { state in
            let anyFree = state.workers.contains(where: \.isFree)
            for worker in state.workers { worker.progressAtLastCheck = worker.progress.load(ordering: .relaxed) }
            if !anyFree, !state.workers.isEmpty, !state.stopping { startSpare(makeWorker, in: &state) }
        }
    }

    /// Whether a worker other than `worker` is free (`Worker.isFree`).
    private func anotherIsFree(than worker: Worker, in state: Members) -> Bool {
        state.workers.contains { $0 !== worker && $0.isFree }
    }

    private func startSpare(_ makeWorker: () -> Worker, in state: inout Members) {
        guard state.workers.count < ServerConfiguration.workerRange.upperBound else { return }
        start(makeWorker(), in: &state)
        state.spares += 1
        _ = updateSurplus(&state)
    }

    private func start(_ worker: Worker, in state: inout Members) {
        gauges.workerStarted()
        let started = spawnThread(name: "httpsh-worker") { [self] in
            worker.run()
            gauges.workerExited()
            exited.signal()
        }
        if started {
            state.workers.append(worker)
        } else {
            worker.retire()
            gauges.workerExited()
        }
    }

    private func remove(_ worker: Worker, from state: inout Members) {
        state.workers.removeAll { $0 === worker }
        _ = updateSurplus(&state)
    }

    /// Records whether there are more workers than asked for; returns it. Spares count only while beyond the
    /// target: a spare the target grew to take in is an ordinary worker, and as workers leave, those a shrink
    /// left over are counted out first.
    private func updateSurplus(_ state: inout Members) -> Bool {
        state.spares = min(state.spares, max(0, state.workers.count - state.target))
        let more = state.workers.count > state.target
        surplus.store(more, ordering: .relaxed)
        return more
    }

    func markBusy() { gauges.workerBusy() }
    func markIdle() { gauges.workerIdle() }

    /// Stops every worker and waits for them to exit.
    func stopAll() {
        members.withLock { $0.stopping = true }
        wake.signal()
        _ = exited.wait(timeoutMilliseconds: 5000) { liveCount == 0 ? true : nil }
    }
}
