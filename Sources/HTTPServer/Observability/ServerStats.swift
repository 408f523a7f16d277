import Synchronization

/// Server-wide counters. Requests are counted by each worker in counters of its own (`WorkerRequests`), summed
/// when read: a shared atomic read-modify-write per request cost locked instructions and a cache line bouncing
/// between the workers' cores.
public final class ServerStats: Sendable {
    /// One worker's requests, counted by that worker alone: a load and a store each (no locked instruction).
    /// Atomic only so that a reader on another thread may load them.
    final class WorkerRequests: Sendable {
        private let started = Atomic<Int>(0)
        private let finished = Atomic<Int>(0)

        /// A request head arrived. Called on the owning worker's thread only.
        func requestStarted() {
            started.store(started.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        }

        /// A request was answered. Called on the owning worker's thread only.
        func requestFinished() {
            finished.store(finished.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        }

        /// Finished first: a request counted there was counted as started before, so the difference does not
        /// go below zero for requests that start and end on this worker.
        fileprivate var counts: (started: Int, finished: Int) {
            let finished = finished.load(ordering: .relaxed)
            return (started.load(ordering: .relaxed), finished)
        }
    }

    private struct Workers {
        var live: [WorkerRequests] = []
        /// What retired workers counted.
        var started = 0
        var finished = 0
    }

    private let workers = Lock(Workers())
    /// Requests whose client left mid-body; counted by whichever thread closes the connection, rarely.
    private let abandoned = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    /// When the server started, as Unix seconds.
    public let startedAt: Int

    init(startedAt: Int) {
        self.startedAt = startedAt
    }

    /// Responses sent since start.
    public var requestsServed: Int { requestCounts.finished }
    /// Requests between their head and their response.
    public var requestsInFlight: Int {
        let counts = requestCounts
        return max(0, counts.started - counts.finished - abandoned.load(ordering: .relaxed))
    }
    /// Connections accepted since start.
    public var connectionsAccepted: Int { accepted.load(ordering: .relaxed) }
    /// Connections answered 503 at accept because the server was full.
    public var connectionsRefused: Int { refused.load(ordering: .relaxed) }

    /// Counters for a new worker, which counts its requests through them until it gives them back with `retire`.
    func register() -> WorkerRequests {
        let requests = WorkerRequests()
        workers.withLock { $0.live.append(requests) }
        return requests
    }

    /// Keeps what a leaving worker counted.
    func retire(_ requests: WorkerRequests) {
        workers.withLock { workers in
            let counts = requests.counts
            workers.started += counts.started
            workers.finished += counts.finished
            workers.live.removeAll { $0 === requests }
        }
    }

    /// A started request that ends without a response (the client left mid-body).
    func requestAbandoned() { abandoned.wrappingAdd(1, ordering: .relaxed) }
    func connectionAccepted() { accepted.wrappingAdd(1, ordering: .relaxed) }
    func connectionRefused() { refused.wrappingAdd(1, ordering: .relaxed) }

    /// Every worker's counts, the retired ones' included.
    private var requestCounts: (started: Int, finished: Int) {
        workers.withLock { workers in
            workers.live.reduce((workers.started, workers.finished)) { total, requests in
                let counts = requests.counts
                return (total.0 + counts.started, total.1 + counts.finished)
            }
        }
    }
}
