import Glibc
import Synchronization

/// Requests per decoded path, counted before the response is sent, for `counters` and directory listings.
///
/// Counts live in shards picked by the calling thread, so workers counting the same hot path do not queue on one
/// lock (with more workers than cores, a worker preempted while holding a shared lock made the others spin).
/// Which paths are kept at all is decided once, under one lock, the first time a shard sees a path: the cap of
/// `maximumPaths` distinct paths holds for the whole server, exactly as with a single table.
public final class RequestCounters: Sendable {
    /// Distinct paths kept; beyond it new paths count under `otherKey`, so a scanner cannot grow memory forever.
    public static let maximumPaths = 10_000
    /// The key that collects paths past `maximumPaths`.
    public static let otherKey = "(other paths)"
    /// 16 shards: comfortably above the worker count of a small machine; two threads that land on one shard
    /// only share its lock.
    static let shardBits = 4
    static let shardCount = 1 << shardBits

    private final class Shard: Sendable {
        /// Path (or `otherKey`) to count, for the requests this shard's threads counted.
        let counts = Mutex<[String: Int]>([:])
    }

    private let shards = (0..<RequestCounters.shardCount).map { _ in Shard() }
    /// Every path that has its own count, server-wide. Taken only for a path new to the calling thread's shard.
    private let kept = Mutex<Set<String>>([])

    public init() {}

    /// Adds one request for `path`.
    public func record(_ path: String) {
        let shard = shards[Self.shardIndex()]
        let counted = shard.counts.withLock { counts in
            guard let index = counts.index(forKey: path) else { return false }
            counts.values[index] += 1
            return true
        }
        if counted { return }
        // First time this shard sees the path: admit it under the cap, holding `kept` so `reset` cannot interleave.
        kept.withLock { kept in
            let key = kept.contains(path) || kept.count < Self.maximumPaths ? path : Self.otherKey
            if key == path { kept.insert(path) }
            shard.counts.withLock { $0[key, default: 0] += 1 }
        }
    }

    /// The count for one path.
    public func count(for path: String) -> Int {
        shards.reduce(0) { total, shard in total + shard.counts.withLock { $0[path] ?? 0 } }
    }

    /// Every path with its count, most requested first (ties by path).
    public func snapshot() -> [(path: String, count: Int)] {
        var merged: [String: Int] = [:]
        for shard in shards {
            shard.counts.withLock { merged.merge($0, uniquingKeysWith: +) }
        }
        return merged.map { (path: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.path < $1.path }
    }

    /// Forgets every count.
    public func reset() {
        kept.withLock { kept in
            kept.removeAll()
            for shard in shards { shard.counts.withLock { $0.removeAll() } }
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
