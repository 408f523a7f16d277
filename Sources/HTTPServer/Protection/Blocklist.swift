import Glibc
import Synchronization

/// Blocked client addresses and ranges, each with a reason and an optional expiry. Checked before each request
/// (a blocked client is answered 403); the empty case costs one atomic load.
public final class Blocklist: Sendable {
    /// One blocked range and why.
    public struct Entry: Sendable, Equatable {
        public let range: CIDR
        public let reason: String
        /// Unix seconds.
        public let since: Int
        /// When the block lifts by itself (Unix seconds), or nil for never.
        public let expires: Int?
        /// Requests refused because of this entry.
        public var hits: Int

        public init(range: CIDR, reason: String, since: Int, expires: Int?, hits: Int = 0) {
            self.range = range
            self.reason = reason
            self.since = since
            self.expires = expires
            self.hits = hits
        }

        func isLive(at now: Int) -> Bool { expires.map { now < $0 } ?? true }
    }

    private let entries = Lock<[Entry]>([])
    private let entryCount = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    public init() {}

    /// Adds a range, for `seconds` when given; false when it is already blocked.
    @discardableResult
    public func block(_ range: CIDR, reason: String, seconds: Int? = nil) -> Bool {
        let now = Int(time(nil))
        return add(Entry(range: range, reason: reason, since: now, expires: seconds.map { now + $0 }))
    }

    /// Adds an entry as it is (a saved blocklist being restored); false when its range is already blocked.
    @discardableResult
    public func add(_ entry: Entry) -> Bool {
        change { entries in
            guard !entries.contains(where: { $0.range == entry.range }) else { return false }
            entries.append(entry)
            return true
        }
    }

    /// Removes a range; false when it was not blocked.
    @discardableResult
    public func unblock(_ range: CIDR) -> Bool {
        change { entries in
            let before = entries.count
            entries.removeAll { $0.range == range }
            return entries.count != before
        }
    }

    /// True when `address` is in a blocked range; counts the hit.
    public func isBlocked(_ address: IPAddress) -> Bool {
        guard !isEmpty else { return false }
        let blocked = change { entries in
            guard let index = entries.firstIndex(where: { $0.range.contains(address) }) else { return false }
            entries[index].hits += 1
            return true
        }
        if blocked { refused.add(1, ordering: .relaxed) }
        return blocked
    }

    /// True when nothing is blocked (one atomic load).
    var isEmpty: Bool { entryCount.load(ordering: .acquiring) == 0 }

    /// The blocked ranges still in force, in the order they were added.
    public var list: [Entry] { change { $0 } }
    /// How many ranges are blocked.
    public var count: Int { list.count }
    /// Connections and requests refused since start.
    public var refusedTotal: Int { refused.load(ordering: .relaxed) }

    /// Runs `body` on the entries under the lock, after dropping the expired ones, and keeps the count in step.
    private func change<T>(_ body: (inout [Entry]) -> T) -> T {
        entries.withLock { entries in
            let now = Int(time(nil))
            if entries.contains(where: { !$0.isLive(at: now) }) { entries.removeAll { !$0.isLive(at: now) } }
            let result = body(&entries)
            entryCount.store(entries.count, ordering: .releasing)
            return result
        }
    }
}
