import Glibc
import Synchronization

/// Token buckets per client, sharded so workers rarely contend. Off until a limit is set.
/// Idle buckets are evicted, so many distinct addresses cost bounded memory.
///
/// A client is an IPv4 address, or an IPv6 network of `ipv6PrefixLength` bits: one subscriber gets a /64 (or
/// more), and counting per address would give whoever holds one 2^64 buckets to rotate through.
public final class RateLimiter: Sendable {
    /// One subscriber's network, as ISPs assign them (RFC 6177): a /64 at least.
    public static let defaultIPv6PrefixLength = 64
    /// The prefix lengths accepted: from a provider's allocation (/32) down to single addresses (/128).
    public static let ipv6PrefixRange = 32...128

    /// Buckets per shard before the idle ones are swept: bounds memory at about 16 × 4096 entries.
    static let shardCapacity = 4096
    private static let shardCount = 16

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private struct Shard {
        var buckets: [IPAddress: Bucket] = [:]
    }

    /// A lock-protected shard.
    private final class LockedShard: Sendable {
        let state = Lock(Shard())
    }

    /// The decision for one request.
    public enum Decision: Equatable {
        /// Allowed; `remaining` requests are left in the burst.
        case allowed(remaining: Int)
        /// Refused; the client may retry after this many seconds.
        case limited(retryAfter: Int)
    }

    private let current = Lock<RateLimit?>(nil)
    private let enabled = Atomic<Bool>(false)
    private let shards = (0..<RateLimiter.shardCount).map { _ in LockedShard() }
    private let limitedCount = Atomic<Int>(0)
    private let prefixLength: Atomic<Int>

    public init(limit: RateLimit? = nil, ipv6PrefixLength: Int = RateLimiter.defaultIPv6PrefixLength) {
        prefixLength = Atomic(ipv6PrefixLength)
        set(limit)
    }

    /// How many leading bits of an IPv6 address name one client (the rate limit's and the per-client connection
    /// cap's); changing it forgets every bucket, whose keys it changes.
    public var ipv6PrefixLength: Int {
        get { prefixLength.load(ordering: .relaxed) }
        set {
            prefixLength.store(newValue, ordering: .relaxed)
            self.set(limit)
        }
    }

    /// The client `address` counts as: itself (IPv4), or its network of `ipv6PrefixLength` bits (IPv6).
    public func client(of address: IPAddress) -> IPAddress {
        address.isIPv4 ? address : address.masked(to: ipv6PrefixLength)
    }

    /// The limit in force, or nil when off.
    public var limit: RateLimit? { current.withLock { $0 } }

    /// True while a limit is set (one atomic load).
    var isEnabled: Bool { enabled.load(ordering: .relaxed) }

    /// Requests refused since start.
    public var limitedTotal: Int { limitedCount.load(ordering: .relaxed) }

    /// Changes the limit (nil turns it off) and forgets every bucket.
    public func set(_ limit: RateLimit?) {
        current.withLock { $0 = limit }
        for shard in shards { shard.state.withLock { $0.buckets.removeAll() } }
        enabled.store(limit != nil, ordering: .relaxed)
    }

    /// Takes one token for the client `address` belongs to, at time `now` (seconds, monotonic).
    public func check(_ address: IPAddress, now: Double = RateLimiter.now()) -> Decision {
        guard isEnabled, let limit = limit else { return .allowed(remaining: Int.max) }
        let client = self.client(of: address)
        let shard = shards[abs(client.hashValue % shards.count)]
        let decision = shard.state.withLock { shard -> Decision in
            if shard.buckets.count >= Self.shardCapacity { Self.evictIdle(&shard, limit: limit, now: now) }
            var bucket = shard.buckets[client] ?? Bucket(tokens: Double(limit.burst), updated: now)
            bucket.tokens = min(Double(limit.burst), bucket.tokens + (now - bucket.updated) * limit.refillPerSecond)
            bucket.updated = now
            defer { shard.buckets[client] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return .allowed(remaining: Int(bucket.tokens))
            }
            let wait = (1 - bucket.tokens) / limit.refillPerSecond
            return .limited(retryAfter: max(1, Int(wait.rounded(.up))))
        }
        if case .limited = decision { limitedCount.add(1, ordering: .relaxed) }
        return decision
    }

    /// Drops buckets that have refilled completely (they behave exactly like a new one); if none have,
    /// drops the oldest half, which only makes the limit more lenient for those clients.
    private static func evictIdle(_ shard: inout Shard, limit: RateLimit, now: Double) {
        let full = Double(limit.burst) / limit.refillPerSecond
        shard.buckets = shard.buckets.filter { now - $0.value.updated < full }
        if shard.buckets.count >= shardCapacity {
            let sorted = shard.buckets.sorted { $0.value.updated > $1.value.updated }
            shard.buckets = Dictionary(uniqueKeysWithValues: sorted.prefix(shardCapacity / 2).map { ($0.key, $0.value) })
        }
    }

    /// Seconds on the monotonic clock.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
