import Synchronization

/// Server-wide counters updated with atomics on the hot path.
public final class ServerStats: Sendable {
    private let served = Atomic<Int>(0)
    private let inFlight = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    /// When the server started, as Unix seconds.
    public let startedAt: Int

    init(startedAt: Int) {
        self.startedAt = startedAt
    }

    /// Responses sent since start.
    public var requestsServed: Int { served.load(ordering: .relaxed) }
    /// Requests between their head and their response.
    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
    /// Connections accepted since start.
    public var connectionsAccepted: Int { accepted.load(ordering: .relaxed) }
    /// Connections answered 503 at accept because the server was full.
    public var connectionsRefused: Int { refused.load(ordering: .relaxed) }

    func requestStarted() { inFlight.add(1, ordering: .relaxed) }
    func requestFinished() {
        inFlight.subtract(1, ordering: .relaxed)
        served.add(1, ordering: .relaxed)
    }
    /// A started request that ends without a response (the client left mid-body).
    func requestAbandoned() { inFlight.subtract(1, ordering: .relaxed) }
    func connectionAccepted() { accepted.add(1, ordering: .relaxed) }
    func connectionRefused() { refused.add(1, ordering: .relaxed) }
}
