import Synchronization

/// The engine's limits that `config set` changes while the server runs: timeouts, keep-alive and connection
/// caps, the upload limit, the Host names answered, the shutdown grace. Each is read where it is enforced (a
/// relaxed atomic load, or one uncontended lock for the host list), so a change applies from the next request
/// or the next housekeeping sweep, and no request in flight sees a half-made change.
public final class LiveLimits: Sendable {
    private let idle: Atomic<Int>
    private let header: Atomic<Int>
    private let body: Atomic<Int>
    private let requests: Atomic<Int>
    private let connections: Atomic<Int>
    private let connectionsPerClient: Atomic<Int>
    private let grace: Atomic<Int>
    private let hostPolicy: Lock<HostPolicy>
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
        hostPolicy = Lock(HostPolicy(names: configuration.allowedHosts, bindHost: configuration.host))
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

    /// Whether `head` names a host answered (others get 421); asked under the lock, so the policy is not copied.
    func allowsHost(_ head: RequestHead) -> Bool { hostPolicy.withLock { $0.allows(head) } }

    /// Answer only `names` (nil: the default for `bindHost`).
    public func allowHosts(_ names: [String]?, bindHost: String) {
        let policy = HostPolicy(names: names, bindHost: bindHost)
        hostPolicy.withLock { $0 = policy }
    }
}
