/// Requests per decoded path, counted before the response is sent, for `counters` and directory listings.
/// Bounded in entries and in bytes: paths are cut to `PathKey.maximumBytes`, and past `maximumPaths` distinct
/// paths new ones count under `otherKey`, so a scanner cannot grow memory forever.
///
/// A worker counts through a ring of its own (`register`), with no lock per request; every reader folds the
/// rings into the one server-wide count first, so a count is exact the moment `record` returns (a listing
/// rendered right after a request shows it) and the cap stays server-wide. Any other thread counts under the lock.
/// Which new paths take the cap's last places follows the order the rings are folded in, which may differ from
/// the order of the requests by up to a ring's worth per worker.
public final class RequestCounters: Sendable {
    /// Distinct paths kept (at most ~5 MiB of keys): more files than a listing-sized site has.
    public static let maximumPaths = 10_000
    /// The key that collects paths past `maximumPaths`.
    public static let otherKey = "(other paths)"

    /// A worker's requests not folded into the counts yet: its cut paths.
    typealias WorkerRing = HandoffRing<String>

    private struct State {
        var counts = BoundedCounts<String>(limit: RequestCounters.maximumPaths)
        /// The rings of the workers that have not retired.
        var rings: [WorkerRing] = []

        /// Moves every ring's paths into `counts`: what a reader reads next includes every request recorded
        /// before it took the lock.
        mutating func fold() {
            for ring in rings { fold(ring) }
        }

        mutating func fold(_ ring: WorkerRing) {
            ring.drain { counts.add($0) }
        }
    }

    private let state = Lock(State())

    public init() {}

    /// Adds one request for `path`, from any thread.
    public func record(_ path: String) {
        let key = PathKey.bounded(path)
        state.withLock { $0.counts.add(key) }
    }

    /// A ring for one worker to count through (`record(_:through:)`) until it gives it back with `retire`.
    func register() -> WorkerRing {
        let ring = WorkerRing()
        state.withLock { $0.rings.append(ring) }
        return ring
    }

    /// Adds one request for `path` without the shared lock (but once per `WorkerRing.capacity` requests, to fold
    /// a full ring). `ring` is the calling worker's own, from `register`: a ring has one producer.
    func record(_ path: String, through ring: WorkerRing) {
        ring.push(PathKey.bounded(path)) { state.withLock { $0.fold(ring) } }
    }

    /// Folds a retiring worker's last requests in and forgets its ring.
    func retire(_ ring: WorkerRing) {
        state.withLock { state in
            state.fold(ring)
            state.rings.removeAll { $0 === ring }
        }
    }

    /// The count for one path.
    public func count(for path: String) -> Int {
        folded { Self.count(for: path, in: $0) }
    }

    /// The counts for several paths under one lock (a listing's rows).
    public func counts(for paths: [String]) -> [Int] {
        folded { counts in paths.map { Self.count(for: $0, in: counts) } }
    }

    /// Every path with its count (paths past the cap as `otherKey`), most requested first (ties by path).
    public func snapshot() -> [(path: String, count: Int)] {
        folded { counts in
            counts.counts.map { (path: $0.key, count: $0.value) }
                + (counts.overflow > 0 ? [(path: Self.otherKey, count: counts.overflow)] : [])
        }
        .sorted { $0.count != $1.count ? $0.count > $1.count : $0.path < $1.path }
    }

    /// Forgets every count, those still in the workers' rings too.
    public func reset() {
        state.withLock { state in
            state.fold()
            state.counts = BoundedCounts(limit: Self.maximumPaths)
        }
    }

    /// Distinct paths kept and the bytes of their keys (bounded by `maximumPaths` × `PathKey.maximumBytes`).
    var footprint: (paths: Int, bytes: Int) {
        folded { ($0.counts.count, $0.counts.keys.reduce(0) { $0 + $1.utf8.count }) }
    }

    /// Workers registered and not retired: the rings every read folds.
    var workersCounting: Int {
        state.withLock { $0.rings.count }
    }

    /// Runs `body` on the counts under the lock, every worker's ring folded in first.
    private func folded<Result>(_ body: (BoundedCounts<String>) -> Result) -> Result {
        state.withLock { state in
            state.fold()
            return body(state.counts)
        }
    }

    private static func count(for path: String, in counts: BoundedCounts<String>) -> Int {
        path == otherKey ? counts.overflow : counts.count(for: PathKey.bounded(path))
    }
}
