import Synchronization

/// One client connection and where it is in its exchange.
///
/// Ownership rule: at most one worker holds a connection at a time (its `ConnectionSlots` slot says which), and
/// only that worker reads or changes its buffers and closes it. Other threads (the housekeeper, a `block`
/// command, a shutdown) only read `phase`/`since`, set `timedOut`, and `shutdown(2)` the socket under the
/// registry's lock, which wakes the owner (an epoll edge) to finish the job. The owner's fields therefore skip
/// Swift's runtime exclusivity check (`@exclusivity(unchecked)`), which cost about 80 instructions per request.
final class Connection: @unchecked Sendable {
    /// Where a connection is, as other threads (housekeeper, drain, `connections`) see it: `park` publishes the
    /// owner's `exchange` as one of these, and `active` while a worker holds it.
    enum Phase: UInt8 {
        /// Waiting for the next request of a keep-alive connection.
        case idle
        /// Part of a request head has arrived.
        case readingHead
        /// Reading a request body.
        case readingBody
        /// A worker holds it.
        case active
        /// Waiting for the client to drain a response.
        case writing
        /// Closing: the last response is out, the client's remaining input is being discarded.
        case lingering
    }

    /// A number for `connections` and `kill`: unlike the descriptor, never reused while the server runs.
    let id: Int
    /// When it was accepted (monotonic ms).
    let openedAt: Int64
    /// What `connections` shows: the owner updates these twice per request, another thread reads them. Only the
    /// owner writes, so a count goes up by a load and a store, with no lock and no lock-prefixed instruction.
    /// Responses sent.
    let requestsAnswered = Atomic<Int>(0)
    /// Bytes of responses sent (heads and bodies).
    let bytesOut = Atomic<Int>(0)
    /// The request under way, as its client sent it (method and path).
    let currentRequest = CurrentRequest()
    let socket: Socket
    let peer: SocketAddress
    /// The peer's address.
    let client: IPAddress
    /// The client the per-client connection cap counts this connection under (an IPv4 address or an IPv6
    /// network); nil for a trusted proxy, which speaks for many clients.
    let cappedAs: IPAddress?
    /// The current request's client: the peer, or the address a trusted proxy forwarded for.
    @exclusivity(unchecked) var requestClient: IPAddress

    /// Where the exchange is, as its owning worker sees it: one value with what that phase needs, instead of
    /// flags that had to agree with each other (as Hummingbird's `HTTPServerConnectionState` and NIO's HTTP
    /// pipeline handler keep it). `park` publishes it to other threads as a `Phase`.
    enum Exchange {
        /// Between requests (or before the first): the next byte starts a head.
        case idle
        /// Part of a head has arrived: `since` its first byte (monotonic ms), for the 408 deadline; the parser
        /// already looked at `scanned` bytes of it.
        case readingHead(since: Int64, scanned: Int)
        /// The current request's body is arriving.
        case readingBody(BodyReader)
        /// A response waits for the socket to take the rest.
        case writing(Outbound)
        /// Closing: the last response is out and the client's input is discarded until it closes; `since` (ms)
        /// for the linger limit.
        case lingering(since: Int64)

        /// Whether it is `idle`: asked before setting `idle`, since replacing a value destroys the old one through
        /// the enum's value witness (a call into the runtime) even when it holds nothing.
        var isIdle: Bool {
            if case .idle = self { return true }
            return false
        }

        /// Whether the current request's body is arriving.
        var isReadingBody: Bool {
            if case .readingBody = self { return true }
            return false
        }

        /// How far into the buffered input the parser already looked for the end of a head.
        var scanned: Int {
            if case .readingHead(_, let scanned) = self { return scanned }
            return 0
        }
    }

    /// The owner's view of the exchange.
    @exclusivity(unchecked) var exchange = Exchange.idle
    /// Bytes received but not yet consumed (a partial head, pipelined requests).
    @exclusivity(unchecked) var inbound: [UInt8] = []
    @exclusivity(unchecked) var requestsServed = 0
    /// Set when the last response refused or cut short the request: close by lingering, not at once.
    @exclusivity(unchecked) var lingerOnClose = false
    /// Set when the current request said it is the client's last (`Connection: close`, or HTTP/1.0 without
    /// keep-alive), and cleared when its answer has to wait for the socket. RFC 9112 §9.6 has such a client send
    /// nothing more, so closing right after answering it needs no look for input.
    @exclusivity(unchecked) var clientIsDone = false
    /// When the current request's head was parsed (monotonic µs), for the access log's duration.
    @exclusivity(unchecked) var requestStarted: Int64 = 0

    private let phaseValue = Atomic<UInt8>(Phase.idle.rawValue)
    /// When the current phase started (or last made progress), in monotonic milliseconds.
    let since = Atomic<Int64>(0)
    /// Set by the housekeeper before it shuts the socket down for a slow head, so the owner answers 408.
    let timedOut = Atomic<Bool>(false)

    /// A connection just accepted from `peer` (whose address is `client`), idle.
    init(socket: Socket, peer: SocketAddress, client: IPAddress, id: Int, cappedAs: IPAddress?) {
        self.id = id
        self.cappedAs = cappedAs
        openedAt = MonotonicClock.milliseconds()
        self.socket = socket
        self.peer = peer
        self.client = client
        requestClient = client
        since.store(openedAt, ordering: .relaxed)
    }

    var phase: Phase {
        Phase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .active
    }

    /// Records a new phase whose clock started at `since` (a slow head keeps its first byte's time).
    func enter(_ phase: Phase, since start: Int64) {
        since.store(start, ordering: .relaxed)
        phaseValue.store(phase.rawValue, ordering: .releasing)
    }

    /// Counts an answered request (owner only) and withdraws its line from `currentRequest`.
    func answered(bytes: Int) {
        requestsAnswered.store(requestsAnswered.load(ordering: .relaxed) + 1, ordering: .relaxed)
        bytesOut.store(bytesOut.load(ordering: .relaxed) + bytes, ordering: .relaxed)
        currentRequest.clear()
    }

    /// Marks the connection as held by a worker, keeping the clock of the phase it was in.
    func activate() {
        phaseValue.store(Phase.active.rawValue, ordering: .releasing)
    }

    /// The epoll token: its slot in the registry's `ConnectionSlots`, given before the socket is registered.
    @exclusivity(unchecked) var token: UInt64 = 0
    /// Whether the registry counts this connection under its client (`cappedAs`); read and written only under
    /// the registry's lock.
    @exclusivity(unchecked) var isCountedAsClient = false
    /// Set by the owner when it closes the connection: it then no longer parks it.
    @exclusivity(unchecked) var isClosed = false
    /// Whether the socket is in epoll: from the first time it waits (`Engine.park`), never before.
    @exclusivity(unchecked) var isRegistered = false
    /// Whether epoll also reports room to write: asked for the first time a response waits for the socket, and
    /// kept (an edge comes only when a full socket drains, so it costs nothing otherwise).
    @exclusivity(unchecked) var watchesOutput = false
}
