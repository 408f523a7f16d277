import Glibc
import Synchronization

/// Blocked client addresses and ranges. Checked at accept and before each request; the empty case costs one
/// atomic load.
public final class Blocklist: Sendable {
    /// One blocked range and why.
    public struct Entry: Sendable {
        public let range: CIDR
        public let reason: String
        /// Unix seconds.
        public let since: Int
        /// Connections refused because of this entry.
        public var hits: Int
    }

    private let entries = Lock<[Entry]>([])
    private let entryCount = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    public init() {}

    /// Adds a range; false when it was already blocked.
    @discardableResult
    public func block(_ range: CIDR, reason: String) -> Bool {
        entries.withLock { entries in
            guard !entries.contains(where: { $0.range == range }) else { return false }
            entries.append(Entry(range: range, reason: reason, since: Int(time(nil)), hits: 0))
            entryCount.store(entries.count, ordering: .releasing)
            return true
        }
    }

    /// Removes a range; false when it was not blocked.
    @discardableResult
    public func unblock(_ range: CIDR) -> Bool {
        entries.withLock { entries in
            let before = entries.count
            entries.removeAll { $0.range == range }
            entryCount.store(entries.count, ordering: .releasing)
            return entries.count != before
        }
    }

    /// True when `address` is in a blocked range; counts the hit.
    public func isBlocked(_ address: IPAddress) -> Bool {
        guard entryCount.load(ordering: .acquiring) > 0 else { return false }
        let blocked = entries.withLock { entries in
            guard let index = entries.firstIndex(where: { $0.range.contains(address) }) else { return false }
            entries[index].hits += 1
            return true
        }
        if blocked { refused.add(1, ordering: .relaxed) }
        return blocked
    }

    /// The blocked ranges, in the order they were added.
    public var list: [Entry] { entries.withLock { $0 } }
    /// How many ranges are blocked.
    public var count: Int { entryCount.load(ordering: .relaxed) }
    /// Connections and requests refused since start.
    public var refusedTotal: Int { refused.load(ordering: .relaxed) }
}
