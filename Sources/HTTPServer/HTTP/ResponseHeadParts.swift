/// The parts of response heads that one worker keeps rendered between responses (each worker owns one, so no
/// lock): the status line with `Date` and `Server`, rendered again when the second or the status changes,
/// `Connection: keep-alive` with its `Keep-Alive` up to the count of requests left, and the
/// field lines of header sets it has seen at least twice (a cached file's `HTTPHeaders` is the same value for
/// every response that serves it).
///
/// A header set is known by its field array's storage: the slot holds a copy of the headers, so that storage
/// stays alive (its address cannot be reused for other fields) and shared (whoever changes the fields gets a
/// copy at a new address). A response whose headers a middleware changed is therefore never mistaken for the
/// original, and `Response.headers` stays the whole truth.
struct ResponseHeadParts {
    /// How many header sets are remembered: a few hot files per worker; a miss only costs rendering.
    static let slotCount = 8

    /// What `writeFields(_:into:)` did.
    enum Fields {
        /// It wrote the field lines, rendered before.
        case written
        /// Not rendered yet; `keep`: seen once before, so the caller should hand its rendering to `keep`.
        case unrendered(keep: Bool)
    }

    private struct Slot {
        var identity: UInt = 0
        /// Holds the storage `identity` names.
        var headers = HTTPHeaders()
        var rendered: [UInt8]?
    }

    let server: String
    /// The Unix second `Date` shows (also the clock the worker's metrics use).
    private(set) var second = 0
    private var date: [UInt8] = []
    private var leadStatus: HTTPStatus?
    private var lead: [UInt8] = []
    private var slots = [Slot](repeating: Slot(), count: ResponseHeadParts.slotCount)
    /// `Connection: keep-alive` and `Keep-Alive` up to `max=`, for `keepAliveTimeout` (which changes live).
    private var keepAliveTimeout: Int?
    private var keepAlive: [UInt8] = []

    init(server: String) {
        self.server = server
    }

    /// Moves `Date` to `now` (Unix seconds; the engine passes `time(nil)` once per response).
    mutating func advance(to now: Int) {
        if now != second { renderDate(now) }
    }

    @inline(never)
    private mutating func renderDate(_ now: Int) {
        second = now
        date = Array(HTTPDate.format(now).utf8)
        leadStatus = nil
    }

    /// `HTTP/1.1 <status>`, `Date` and `Server` lines for `status`.
    mutating func lead(for status: HTTPStatus) -> [UInt8] {
        if status != leadStatus { renderLead(status) }
        return lead
    }

    /// Writes what `lead(for:)` returns, copied from where it is kept (no reference to it is taken).
    mutating func writeLead(for status: HTTPStatus, into out: inout ByteWriter) {
        if status != leadStatus { renderLead(status) }
        out.write(lead)
    }

    @inline(never)
    private mutating func renderLead(_ status: HTTPStatus) {
        leadStatus = status
        let size = 64 + status.reason.utf8.count + date.count + server.utf8.count
        lead = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var out = ByteWriter(buffer)
            ResponseSerializer.writeLead(&out, status, date: date, server: server)
            count = out.count
        }
    }

    /// Writes `Connection: keep-alive` and `Keep-Alive` with `timeout`, up to the `max=` that follows.
    mutating func writeKeepAlive(timeout: Int, into out: inout ByteWriter) {
        if timeout != keepAliveTimeout { renderKeepAlive(timeout) }
        out.write(keepAlive)
    }

    @inline(never)
    private mutating func renderKeepAlive(_ timeout: Int) {
        keepAliveTimeout = timeout
        keepAlive = [UInt8](unsafeUninitializedCapacity: 64) { buffer, count in
            var out = ByteWriter(buffer)
            ResponseSerializer.writeKeepAlive(&out, timeout: timeout)
            count = out.count
        }
    }

    /// Writes the field lines of `headers` when they were rendered before; else says whether to keep them.
    mutating func writeFields(_ headers: HTTPHeaders, into out: inout ByteWriter) -> Fields {
        let identity = Self.identity(headers)
        let slot = Self.slot(identity)
        guard slots[slot].identity == identity else {
            remember(headers, identity: identity, in: slot)
            return .unrendered(keep: false)
        }
        guard let rendered = slots[slot].rendered else { return .unrendered(keep: true) }
        out.write(rendered)
        return .written
    }

    @inline(never)
    private mutating func remember(_ headers: HTTPHeaders, identity: UInt, in slot: Int) {
        slots[slot] = Slot(identity: identity, headers: headers)
    }

    /// Keeps the field lines just rendered for `headers` (after `fields` said `keep`).
    mutating func keep(_ rendered: UnsafeMutableBufferPointer<UInt8>, of headers: HTTPHeaders) {
        let identity = Self.identity(headers)
        let slot = Self.slot(identity)
        guard slots[slot].identity == identity else { return }
        slots[slot].rendered = Array(rendered)
    }

    /// The address of the fields' storage (every empty set shares one, and renders the same).
    private static func identity(_ headers: HTTPHeaders) -> UInt {
        headers.storageIdentity
    }

    private static func slot(_ identity: UInt) -> Int {
        // Heap blocks are 16-byte aligned: the bits above those pick the slot.
        Int(truncatingIfNeeded: (identity >> 4) ^ (identity >> 9)) & (slotCount - 1)
    }
}
