
/// Requests per decoded path, counted before the response is sent, for `counters` and directory listings.
/// Bounded in entries and in bytes: paths are cut to `PathKey.maximumBytes`, and past `maximumPaths` distinct
/// paths new ones count under `otherKey`, so a scanner cannot grow memory forever.
public final class RequestCounters: Sendable {
    /// Distinct paths kept (at most ~5 MiB of keys): more files than a listing-sized site has.
    public static let maximumPaths = 10_000
    /// The key that collects paths past `maximumPaths`.
    public static let otherKey = "(other paths)"

    private let counts = Lock(BoundedCounts<String>(limit: RequestCounters.maximumPaths))

    public init() {}

    /// Adds one request for `path`.
    public func record(_ path: String) {
        let key = PathKey.bounded(path)
        counts.withLock { $0.add(key) }
    }

    /// The count for one path.
    public func count(for path: String) -> Int {
        counts.withLock { Self.count(for: path, in: $0) }
    }

    /// The counts for several paths under one lock (a listing's rows).
    public func counts(for paths: [String]) -> [Int] {
        counts.withLock { counts in paths.map { Self.count(for: $0, in: counts) } }
    }

    /// Every path with its count (paths past the cap as `otherKey`), most requested first (ties by path).
    public func snapshot() -> [(path: String, count: Int)] {
        counts.withLock { counts in
            counts.counts.map { (path: $0.key, count: $0.value) }
                + (counts.overflow > 0 ? [(path: Self.otherKey, count: counts.overflow)] : [])
        }
        .sorted { $0.count != $1.count ? $0.count > $1.count : $0.path < $1.path }
    }

    /// Forgets every count.
    public func reset() {
        counts.withLock { $0 = BoundedCounts(limit: Self.maximumPaths) }
    }

    /// Distinct paths kept and the bytes of their keys (bounded by `maximumPaths` × `PathKey.maximumBytes`).
    var footprint: (paths: Int, bytes: Int) {
        counts.withLock { ($0.counts.count, $0.counts.keys.reduce(0) { $0 + $1.utf8.count }) }
    }

    private static func count(for path: String, in counts: BoundedCounts<String>) -> Int {
        path == otherKey ? counts.overflow : counts.count(for: PathKey.bounded(path))
    }
}
