
/// Requests per decoded path, counted before the response is sent, for `counters` and directory listings.
public final class RequestCounters: Sendable {
    /// Distinct paths kept; beyond it new paths count under `otherKey`, so a scanner cannot grow memory forever.
    public static let maximumPaths = 10_000
    /// The key that collects paths past `maximumPaths`.
    public static let otherKey = "(other paths)"

    private let counts = Lock<[String: Int]>([:])

    public init() {}

    /// Adds one request for `path`.
    public func record(_ path: String) {
        counts.withLock { counts in
            if counts[path] != nil || counts.count < Self.maximumPaths {
                counts[path, default: 0] += 1
            } else {
                counts[Self.otherKey, default: 0] += 1
            }
        }
    }

    /// The count for one path.
    public func count(for path: String) -> Int {
        counts.withLock { $0[path] ?? 0 }
    }

    /// The counts for several paths under one lock (a listing's rows).
    public func counts(for paths: [String]) -> [Int] {
        counts.withLock { counts in paths.map { counts[$0] ?? 0 } }
    }

    /// Every path with its count, most requested first (ties by path).
    public func snapshot() -> [(path: String, count: Int)] {
        counts.withLock { $0.map { (path: $0.key, count: $0.value) } }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.path < $1.path }
    }

    /// Forgets every count.
    public func reset() {
        counts.withLock { $0.removeAll() }
    }
}
