/// When to block a client automatically: `events` security events within `windowSeconds` block it for
/// `blockSeconds` (fail2ban's findtime/maxretry/bantime, without parsing logs).
public struct AutoblockRule: Sendable, Equatable, CustomStringConvertible {
    public let events: Int
    public let windowSeconds: Int
    public let blockSeconds: Int

    public init(events: Int, windowSeconds: Int, blockSeconds: Int) {
        self.events = events
        self.windowSeconds = windowSeconds
        self.blockSeconds = blockSeconds
    }

    /// `10/60s for 600s`: what `autoblock` reads back, in seconds.
    public var description: String { "\(events)/\(windowSeconds)s for \(blockSeconds)s" }
}

/// Watches the security journal and blocks, for a while, each client that crosses the rule. Off until a rule is
/// set. Blocks land in the blocklist with the reason `autoblock: …` and lift themselves when they expire.
///
/// A client is an IPv4 address, or an IPv6 /64: one subscriber's network, whose every address an attacker can use
/// (counting per address would let them dodge the rule by rotating).
public final class Autoblocker: Sendable {
    /// Clients whose recent events are remembered at once. A flood from many addresses (a botnet, or IPv6
    /// addresses made up per request) could otherwise grow the table without end; past this, clients whose
    /// events left the window are forgotten, then the quietest.
    public static let maxTrackedClients = 10_000

    private struct State {
        var rule: AutoblockRule?
        /// Each tracked client's event times (Unix seconds) inside the window, oldest first, at most `rule.events`.
        var recent: [CIDR: [Int]] = [:]
    }

    private let state = Lock(State())
    private let blocklist: Blocklist

    /// Starts off; call `watch` to hear a journal.
    public init(blocklist: Blocklist, rule: AutoblockRule? = nil) {
        self.blocklist = blocklist
        state.withLock { $0.rule = rule }
    }

    /// Hears every event `journal` records from now on.
    public func watch(_ journal: SecurityJournal) {
        journal.observe { [weak self] event in self?.heard(event) }
    }

    /// The rule in force; nil is off (and forgets what was counted).
    public var rule: AutoblockRule? {
        get { state.withLock { $0.rule } }
        set {
            state.withLock { state in
                state.rule = newValue
                state.recent = [:]
            }
        }
    }

    /// Clients whose recent events are remembered now (bounded by `maxTrackedClients`).
    public var trackedClients: Int { state.withLock { $0.recent.count } }

    /// Counts `event` against its client; blocks the client when it reaches the rule.
    func heard(_ event: SecurityEvent) {
        // A refused request of a client already blocked is the block working, not a new offence.
        guard event.kind != .blocked, let client = Self.client(of: event.client) else { return }
        let crossed: AutoblockRule? = state.withLock { state in
            guard let rule = state.rule else { return nil }
            var times = state.recent[client] ?? []
            times.removeAll { $0 <= event.time - rule.windowSeconds }
            times.append(event.time)
            if times.count > rule.events { times.removeFirst(times.count - rule.events) }
            guard times.count < rule.events else {
                state.recent[client] = nil
                return rule
            }
            state.recent[client] = times
            if state.recent.count > Self.maxTrackedClients { Self.prune(&state.recent, now: event.time, rule) }
            return nil
        }
        guard let rule = crossed else { return }
        blocklist.block(client, reason: "autoblock: \(rule.events) events in \(rule.windowSeconds)s, last \(event.kind.rawValue)",
                        seconds: rule.blockSeconds)
    }

    /// The range counted and blocked for `address`: itself (IPv4), or its /64 (IPv6).
    static func client(of address: IPAddress) -> CIDR? {
        CIDR(address, prefixLength: address.isIPv4 ? 32 : 64)
    }

    /// Forgets clients with no event inside the window, then, if still too many, the half with the oldest events.
    private static func prune(_ recent: inout [CIDR: [Int]], now: Int, _ rule: AutoblockRule) {
        recent = recent.filter { ($0.value.last ?? 0) > now - rule.windowSeconds }
        guard recent.count > maxTrackedClients else { return }
        let newest = recent.sorted { ($0.value.last ?? 0) > ($1.value.last ?? 0) }.prefix(maxTrackedClients / 2)
        recent = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
    }
}
