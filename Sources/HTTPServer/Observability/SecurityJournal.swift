import Glibc

/// One request (or connection) that looked hostile: who, what, when, and which request id the access log has.
public struct SecurityEvent: Sendable, Equatable {
    /// What the client did. The raw values are the names `events`, its JSON and `/metrics` use.
    public enum Kind: String, Sendable, CaseIterable {
        /// A `..` segment in the path.
        case traversal
        /// A `..` spelled with percent-encoded dots or slashes (`%2e%2e`, `..%2f`), the shape that evades filters.
        case encodedDot = "encoded_dot"
        /// Framing that desynchronises proxies: `Content-Length` with `Transfer-Encoding`, differing lengths,
        /// an unknown transfer coding.
        case smuggling
        /// A chunked body whose chunk sizes or lines are broken.
        case badChunk = "bad_chunk"
        /// A request line or header section over the parser's limits (414, 431).
        case oversizedHead = "oversized_head"
        /// A body over the route's limit (413).
        case oversizedBody = "oversized_body"
        /// A `Host` this server does not answer for (421).
        case hostMismatch = "host_mismatch"
        /// Refused by the rate limiter (429).
        case rateLimited = "rate_limited"
        /// A request or connection from a blocked range.
        case blocked
        /// An upload whose body is not what it claims (invalid JSON or multipart, unsupported type).
        case malformedUpload = "malformed_upload"
        /// A request head that does not parse (400 from the parser, other than the shapes above).
        case malformedRequest = "malformed_request"
        /// A request head not complete within the header timeout (408, slowloris).
        case headerTimeout = "header_timeout"
    }

    /// Unix seconds.
    public let time: Int
    public let client: IPAddress
    public let kind: Kind
    /// The `X-Request-ID` of the answer, so the access log line can be found.
    public let requestID: String
    /// What was seen (the path, the parser's reason), cut to `SecurityJournal.maxDetailBytes`, as the client sent
    /// it: escape it before printing.
    public let detail: String
}

/// A bounded in-memory journal of security events, newest last, with totals by kind since start.
///
/// Hostile traffic comes in floods, so the journal keeps the last `capacity` events in a ring and cuts each detail:
/// its memory stays under a few megabytes whatever arrives. Recording takes one short lock; requests that are
/// not hostile never touch it. Observers (autoblock) hear each event after the lock is released.
public final class SecurityJournal: Sendable {
    /// Enough for an hour of a determined scanner at a few events a second, about 3 MB when full.
    public static let defaultCapacity = 10_000
    /// A path or reason longer than this is cut: enough to recognise an attack, not enough to store one.
    public static let maxDetailBytes = 200

    private struct Ring {
        var events: [SecurityEvent] = []
        /// Where the next event goes once the ring is full (the oldest one).
        var next = 0
        var totals = [Int](repeating: 0, count: SecurityEvent.Kind.allCases.count)
    }

    public let capacity: Int
    private let ring = Lock(Ring())
    private let observers = Lock<[@Sendable (SecurityEvent) -> Void]>([])

    public init(capacity: Int = SecurityJournal.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Records an event now.
    public func record(_ kind: SecurityEvent.Kind, client: IPAddress, requestID: String, detail: String) {
        let event = SecurityEvent(time: Int(Glibc.time(nil)), client: client, kind: kind, requestID: requestID,
                                  detail: Self.cut(detail))
        ring.withLock { ring in
            if ring.events.count < capacity {
                ring.events.append(event)
            } else {
                ring.events[ring.next] = event
                ring.next = (ring.next + 1) % capacity
            }
            if let index = SecurityEvent.Kind.allCases.firstIndex(of: kind) { ring.totals[index] += 1 }
        }
        for observer in observers.withLock({ $0 }) { observer(event) }
    }

    /// Calls `observer` with every event recorded from now on, on the recording thread.
    public func observe(_ observer: @escaping @Sendable (SecurityEvent) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// The newest `limit` events (all when nil) whose client `matches` (a CIDR's `contains`), oldest first.
    public func recent(_ limit: Int? = nil, matching matches: (IPAddress) -> Bool = { _ in true }) -> [SecurityEvent] {
        let ordered = ring.withLock { ring in Array(ring.events[ring.next...] + ring.events[..<ring.next]) }
        let matching = ordered.filter { matches($0.client) }
        return Array(matching.suffix(limit ?? matching.count))
    }

    /// Events by kind since start (not only those still in the ring), every kind present.
    public func totals() -> [(kind: SecurityEvent.Kind, count: Int)] {
        let counts = ring.withLock { $0.totals }
        return zip(SecurityEvent.Kind.allCases, counts).map { ($0, $1) }
    }

    /// One client's share of the journal.
    public struct ClientSummary: Sendable, Equatable {
        public let client: IPAddress
        public let events: Int
        /// Unix seconds of its newest event.
        public let last: Int
        /// Its kinds, most frequent first.
        public let kinds: [SecurityEvent.Kind]
    }

    /// The `limit` clients with the most events in the journal, most first.
    public func topClients(_ limit: Int) -> [ClientSummary] {
        var byClient: [IPAddress: (events: Int, last: Int, kinds: [SecurityEvent.Kind: Int])] = [:]
        for event in recent() {
            var entry = byClient[event.client] ?? (0, 0, [:])
            entry.events += 1
            entry.last = max(entry.last, event.time)
            entry.kinds[event.kind, default: 0] += 1
            byClient[event.client] = entry
        }
        return byClient
            .map { client, entry in
                ClientSummary(client: client, events: entry.events, last: entry.last,
                              kinds: entry.kinds.sorted { ($1.value, $0.key.rawValue) < ($0.value, $1.key.rawValue) }
                                  .map(\.key))
            }
            .sorted { ($1.events, $1.last) < ($0.events, $0.last) }
            .prefix(limit)
            .map { $0 }
    }

    /// Events held now (at most `capacity`).
    public var count: Int { ring.withLock { $0.events.count } }

    /// `text` cut to at most `maxDetailBytes` of UTF-8 on a character boundary, with `…` when cut.
    static func cut(_ text: String) -> String {
        guard text.utf8.count > maxDetailBytes else { return text }
        var kept = ""
        var bytes = 0
        for character in text {
            bytes += character.utf8.count
            if bytes > maxDetailBytes - 3 { break }
            kept.append(character)
        }
        return kept + "…"
    }
}
