import Synchronization

/// The sessions running `log follow`: each gets the access-log lines its filter matches in a mailbox of its own.
/// Workers only offer lines (a lock held to append, never a write to a terminal or socket); with nobody following,
/// an offer costs one atomic load.
public final class LogFollowers: Sendable {
    /// Lines one follower may have waiting: about a second of a busy server; beyond it lines are dropped and
    /// counted for that follower alone.
    public static let mailboxCapacity = 2_000

    /// One session's subscription: read `mailbox`, then `stop` it.
    public final class Subscription: Sendable {
        public let filter: LogFilter
        public let mailbox: LineMailbox

        init(filter: LogFilter, mailbox: LineMailbox) {
            self.filter = filter
            self.mailbox = mailbox
        }
    }

    private let subscriptions = Lock<[Subscription]>([])
    private let count = Atomic<Int>(0)

    public init() {}

    /// Starts following; nil when no wake pipe can be made (out of descriptors).
    public func follow(_ filter: LogFilter) -> Subscription? {
        guard let mailbox = LineMailbox(capacity: Self.mailboxCapacity) else { return nil }
        let subscription = Subscription(filter: filter, mailbox: mailbox)
        subscriptions.withLock { $0.append(subscription) }
        count.add(1, ordering: .relaxed)
        return subscription
    }

    /// Stops following.
    public func stop(_ subscription: Subscription) {
        let removed = subscriptions.withLock { list in
            let before = list.count
            list.removeAll { $0 === subscription }
            return before - list.count
        }
        count.subtract(removed, ordering: .relaxed)
    }

    /// True while at least one session follows.
    var isActive: Bool { count.load(ordering: .relaxed) > 0 }

    /// Hands `line()` to every follower whose filter matches; the line is made only when one does.
    func offer(status: Int, target: String?, client: IPAddress, line: () -> String) {
        let matching = subscriptions.withLock { list in
            list.filter { $0.filter.matches(status: status, target: target, client: client) }
        }
        guard !matching.isEmpty else { return }
        let text = line()
        for subscription in matching { subscription.mailbox.write(text) }
    }
}
