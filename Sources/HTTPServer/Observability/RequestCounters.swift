import Glibc
import Synchronization

/// Requests per decoded path, counted before the response is sent, for `counters` and directory listings.
///
/// Each kept path has one atomic counter. The table of counters sits behind one lock, which a request takes only
/// the first time its thread meets the path: each thread keeps its own cache of path to counter (in a shard picked
/// by the thread), so workers counting the same hot path never queue on a shared lock. (With more workers than
/// cores, a worker preempted while holding a shared lock left the others spinning.) Reads go to the table.
public final class RequestCounters: Sendable {
    /// Distinct paths kept; beyond it new paths count under `otherKey`, so a scanner cannot grow memory forever.
    public static let maximumPaths = 10_000
    /// The key that collects paths past `maximumPaths`.
    public static let otherKey = "(other paths)"
    /// 16 cache shards: comfortably above the worker count of a small machine; two threads that land on one
    /// shard only share its lock.
    static let shardBits = 4
    static let shardCount = 1 << shardBits

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Path (or `otherKey`) to its counter: the truth, for reads and for admitting new paths under the cap.
    private let table = Mutex<[String: Counter]>([:])
    /// Per-thread caches of `table`'s kept paths, so the hot path takes an uncontended lock.
    private let caches = (0..<RequestCounters.shardCount).map { _ in Cache() }

    private final class Cache: Sendable {
        let counters = Mutex<[String: Counter]>([:])
    }

    public init() {}

    /// Adds one request for `path`.
    public func record(_ path: String) {
        let cache = caches[Self.shardIndex()]
        if let counter = cache.counters.withLock({ $0[path] }) {
            counter.value.wrappingAdd(1, ordering: .relaxed)
            return
        }
        // First time this thread's shard meets the path: find or admit it under the cap, holding the table so
        // `reset` cannot interleave, and remember it in the shard (paths past the cap are not cached, so a
        // scanner cannot grow the caches either).
        table.withLock { table in
            let kept = table.count - (table[Self.otherKey] == nil ? 0 : 1)
            let key = table[path] != nil || kept < Self.maximumPaths ? path : Self.otherKey
            let counter = table[key] ?? Counter()
            table[key] = counter
            counter.value.wrappingAdd(1, ordering: .relaxed)
            if key == path { cache.counters.withLock { $0[path] = counter } }
        }
    }

    /// The count for one path.
    public func count(for path: String) -> Int {
        table.withLock { $0[path] }?.value.load(ordering: .relaxed) ?? 0
    }

    /// Every path with its count, most requested first (ties by path).
    public func snapshot() -> [(path: String, count: Int)] {
        table.withLock { $0.map { (path: $0.key, count: $0.value.value.load(ordering: .relaxed)) } }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.path < $1.path }
    }

    /// Forgets every count.
    public func reset() {
        table.withLock { table in
            table.removeAll()
            for cache in caches { cache.counters.withLock { $0.removeAll() } }
        }
    }

    /// The calling thread's shard: the top bits of its pthread id multiplied by a large odd constant, so thread
    /// addresses a stack size apart spread over the shards.
    private static func shardIndex() -> Int {
        let id = UInt64(pthread_self())
        let mixed = (id ^ (id >> 29)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> (64 - shardBits))
    }
}
