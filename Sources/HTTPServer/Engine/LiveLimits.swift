import Synchronization

/// The engine's limits that `config set` changes while the server runs: timeouts, keep-alive and connection
/// caps, the upload limit, the Host names answered, the shutdown grace. Each is read where it is enforced (a
/// relaxed atomic load; the host list is published whole, see `allowsHost`), so a change applies from the next
/// request or the next housekeeping sweep, and no request in flight sees a half-made change.
public final class LiveLimits: Sendable {
    private let idle: Atomic<Int>
    private let header: Atomic<Int>
    private let body: Atomic<Int>
    private let requests: Atomic<Int>
    private let connections: Atomic<Int>
    private let connectionsPerClient: Atomic<Int>
    private let grace: Atomic<Int>
    /// The Host policy in force, replaced whole on a change.
    private let hostPolicy: Lock<PublishedHostPolicy>
    /// `hostPolicy`'s stamp, stored after it is replaced: a worker whose copy has this stamp has the policy in force.
    private let hostStamp: Atomic<Int>
    /// Whether the policy in force answers any host (bound to every interface, or `*`), stored after `hostStamp`.
    private let anyHost: Atomic<Bool>
    /// The upload route's body limit.
    public let upload: BodyLimit

    init(_ configuration: ServerConfiguration, maxConnections: Int, maxUploadBytes: Int) {
        idle = Atomic(configuration.idleTimeoutSeconds)
        header = Atomic(configuration.headerTimeoutSeconds)
        body = Atomic(configuration.bodyTimeoutSeconds)
        requests = Atomic(configuration.maxRequestsPerConnection)
        connections = Atomic(maxConnections)
        connectionsPerClient = Atomic(configuration.maxConnectionsPerClient ?? 0)
        grace = Atomic(configuration.shutdownGraceSeconds)
        let hosts = PublishedHostPolicy(HostPolicy(names: configuration.allowedHosts, bindHost: configuration.host))
        hostPolicy = Lock(hosts)
        hostStamp = Atomic(hosts.stamp)
        anyHost = Atomic(hosts.allowsAny)
        upload = BodyLimit(maxUploadBytes)
    }

    public var idleTimeoutSeconds: Int {
        get { idle.load(ordering: .relaxed) }
        set { idle.store(newValue, ordering: .relaxed) }
    }

    public var headerTimeoutSeconds: Int {
        get { header.load(ordering: .relaxed) }
        set { header.store(newValue, ordering: .relaxed) }
    }

    public var bodyTimeoutSeconds: Int {
        get { body.load(ordering: .relaxed) }
        set { body.store(newValue, ordering: .relaxed) }
    }

    public var maxRequestsPerConnection: Int {
        get { requests.load(ordering: .relaxed) }
        set { requests.store(newValue, ordering: .relaxed) }
    }

    public var maxConnections: Int {
        get { connections.load(ordering: .relaxed) }
        set { connections.store(newValue, ordering: .relaxed) }
    }

    /// Open connections one client may hold (see `ServerConfiguration.maxConnectionsPerClient`); nil for no cap.
    public var maxConnectionsPerClient: Int? {
        get {
            let value = connectionsPerClient.load(ordering: .relaxed)
            return value > 0 ? value : nil
        }
        set { connectionsPerClient.store(newValue ?? 0, ordering: .relaxed) }
    }

    public var shutdownGraceSeconds: Int {
        get { grace.load(ordering: .relaxed) }
        set { grace.store(newValue, ordering: .relaxed) }
    }

    /// Whether `head` names a host answered (others get 421). Every request asks, so it takes no lock: any host
    /// is one atomic load; otherwise the calling thread keeps a reference to the policy it last saw, trusted while
    /// its stamp is the one in force (one more load), and fetched again under the lock after a change. With it,
    /// the thread remembers the `Host` it last found allowed.
    func allowsHost(_ head: RequestHead) -> Bool {
        if anyHost.load(ordering: .acquiring) { return true }
        let stamp = hostStamp.load(ordering: .acquiring)
        let answer = policySeen.withObject { seen in seen.published.stamp == stamp ? seen.allows(head) : nil }
        return answer ?? fetchHostPolicy(asking: head)
    }

    /// Makes the policy in force this thread's copy and asks it. Apart, so that the usual path borrows the copy
    /// without reference counting.
    @inline(never)
    private func fetchHostPolicy(asking head: RequestHead) -> Bool {
        let seen = HostPolicySeen(hostPolicy.withLock { $0 })
        policySeen.set(seen)
        return seen.allows(head)
    }

    /// Answer only `names` (nil: the default for `bindHost`), from the next request on.
    public func allowHosts(_ names: [String]?, bindHost: String) {
        let published = PublishedHostPolicy(HostPolicy(names: names, bindHost: bindHost))
        hostPolicy.withLock { current in
            current = published
            // In this order: a worker that sees `anyHost` cleared then sees the new stamp too.
            hostStamp.store(published.stamp, ordering: .releasing)
            anyHost.store(published.allowsAny, ordering: .releasing)
        }
    }

    /// The Host policy each thread fetched last: one key for every server in the process.
    private static let hostPolicySeen = ThreadLocal<HostPolicySeen>()
    /// `hostPolicySeen`, reached without the lazy global's check on every request.
    private let policySeen = LiveLimits.hostPolicySeen
}

/// A Host policy as published, with a stamp no other publication in the process has, so an equal stamp means
/// the same policy (of the same server) even after changes back and forth.
private final class PublishedHostPolicy: Sendable {
    private static let stamps = Atomic<Int>(0)

    let policy: HostPolicy
    let stamp: Int
    let allowsAny: Bool

    init(_ policy: HostPolicy) {
        self.policy = policy
        stamp = Self.stamps.wrappingAdd(1, ordering: .relaxed).newValue
        allowsAny = policy.allowed == nil
    }

}

/// One thread's copy of a published policy, with the `Host` it last found allowed. Only that thread uses it.
private final class HostPolicySeen {
    let published: PublishedHostPolicy
    private let policy: HostPolicy
    /// Unchecked: only this object's thread reaches it, and a checked access cost more than the comparison.
    @exclusivity(unchecked) private var remembered = RememberedHost()

    init(_ published: PublishedHostPolicy) {
        self.published = published
        policy = published.policy
    }

    func allows(_ head: RequestHead) -> Bool {
        policy.allows(head, remembering: &remembered)
    }
}
