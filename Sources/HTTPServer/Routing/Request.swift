/// A request as handlers and middleware see it: the parsed head plus the decoded path, the route's
/// parameters, the body, the client and an id.
///
/// A value with its parts behind one shared reference: every request passes through the pipeline, each
/// middleware and the handler, and copying it is one retain rather than one for each of the head's strings and
/// arrays. Setting `parameters` or `body` copies the parts first when another copy shares them.
public struct Request: Sendable {
    /// The parts of one request. They change only while the storage is uniquely referenced (copy on write, or
    /// reuse by the thread that recycled it), so no other thread ever sees them change, and no two accesses to
    /// one storage overlap: no runtime exclusivity check needed.
    private final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var head: RequestHead
        @exclusivity(unchecked) var path: String
        @exclusivity(unchecked) var client: IPAddress
        @exclusivity(unchecked) var id: RequestID
        /// Where the found route's parameter values lie in `head.rawPath`, and their names: `parameters` is
        /// made of them when asked for (a static file's handler never asks). Kept as parts, not as a
        /// `RouteParameters` (an optional of which was copied and destroyed through the runtime's generic value
        /// witnesses, ~200 instructions a request). The names may be an earlier request's while `captures` is
        /// empty: then there are none.
        @exclusivity(unchecked) var parameterNames: [String] = []
        @exclusivity(unchecked) var captures = Captures()
        /// Parameters set through `parameters`' setter, which stand instead of the route's: boxed, so that
        /// the usual request pays a nil check for them.
        @exclusivity(unchecked) var setParameters: ParametersBox?
        @exclusivity(unchecked) var body: [UInt8] = []

        init(head: consuming RequestHead, path: consuming String, client: IPAddress, id: consuming RequestID) {
            self.head = head
            self.path = path
            self.client = client
            self.id = id
        }

        func copy() -> Storage {
            let copy = Storage(head: head, path: path, client: client, id: id)
            copy.parameterNames = parameterNames
            copy.captures = captures
            copy.setParameters = setParameters
            copy.body = body
            return copy
        }

        /// Holds a new request's parts, as a new storage would. The head is swapped in (`head` gets the empty one
        /// a spare holds): a copy of it costs a retain for each of its strings and its fields, and a destroy of
        /// the one replaced as many releases.
        @inline(__always)
        func reuse(swapping head: inout RequestHead, path: consuming String, client: IPAddress,
                   id: consuming RequestID) {
            swap(&self.head, &head)
            self.path = consume path
            self.client = client
            self.id = consume id
            captures.removeAll()
            if setParameters != nil { setParameters = nil }
            // `body` is empty already: `clear` emptied it before the storage became a spare.
        }

        /// Lets go of what a finished request must not keep held: its body (which may be large). Its head, with
        /// the header fields whose buffer the parser reuses once nothing holds it, went back to the engine; the
        /// rest is replaced on reuse.
        func clear() {
            if !body.isEmpty { body = [] }
        }
    }

    /// Parameters set on a request: immutable, so a copied request shares them, and setting new ones replaces them.
    private final class ParametersBox: Sendable {
        let parameters: RouteParameters

        init(_ parameters: RouteParameters) { self.parameters = parameters }
    }

    /// A thread's storage of a request that is over, which no one else held: its next request's storage, so a
    /// keep-alive connection's requests cost no malloc and free for it. Held only between requests (so `unique()`
    /// still sees a request's storage as its own); only its own thread touches it.
    private final class Spare {
        @exclusivity(unchecked) var storage: Storage?

        init(_ storage: Storage) { self.storage = storage }
    }

    /// The spares, one per thread that answers requests (the workers).
    private static let spares = ThreadLocal<Spare>()

    private var storage: Storage

    /// The request line and headers as parsed.
    public var head: RequestHead { storage.head }
    /// The path, percent-decoded once (`/docs/a b.txt`).
    public var path: String { storage.path }
    /// Values captured by the route pattern (`:id`, `*rest`), percent-decoded: `parameters["id"]`.
    public internal(set) var parameters: RouteParameters {
        get {
            let storage = storage
            if let set = storage.setParameters { return set.parameters }
            guard storage.captures.count > 0 else { return .none }
            return RouteParameters(names: storage.parameterNames, rawPath: storage.head.rawPath,
                                   captures: storage.captures)
        }
        set { unique().setParameters = ParametersBox(newValue) }
    }
    /// The body, for routes that buffer it; empty otherwise.
    public internal(set) var body: [UInt8] {
        get { storage.body }
        set { unique().body = newValue }
    }
    /// The client's address (after trusted-proxy rewriting, when configured).
    public var client: IPAddress { storage.client }
    /// The request id, echoed as `X-Request-ID`.
    public var id: String { storage.id.description }
    /// The request id as the engine keeps it (a made one is text only when asked for).
    var requestID: RequestID { storage.id }

    /// The request method.
    public var method: HTTPMethod { storage.head.method }
    /// The path part of the target, still percent-encoded (the head's `rawPath`, read without copying the head).
    var rawPath: String { storage.head.rawPath }
    /// The header fields as received.
    public var headers: HTTPHeaders { head.headers }

    /// True when a `field` field was received: read in place, where `headers` is a copy of the set.
    func hasField(_ field: KnownField) -> Bool { storage.head.headers.contains(field) }

    /// Builds a request; nil when the path does not percent-decode to valid UTF-8 without NUL.
    public init?(head: RequestHead, client: IPAddress, id: String) {
        var lent = head
        self.init(lending: &lent, client: client, id: RequestID(id))
    }

    /// The engine's form: the head moves into the request, and `head` holds an empty one (see `empty`) until
    /// `recycle(returning:)` gives it back, so a request's head is neither copied nor destroyed on the way (a
    /// retain and a release of its fields, and a dozen calls for its strings). An id the engine made stays a
    /// number until someone reads `id`. The storage is the thread's spare when it has one. On nil, `head` is
    /// as it was.
    init?(lending head: inout RequestHead, client: IPAddress, id: consuming RequestID) {
        guard let path = PercentEncoding.decode(head.rawPath) else { return nil }
        if let spare = Self.spares.withObject({ $0.storage.take() }) {
            spare.reuse(swapping: &head, path: consume path, client: client, id: consume id)
            storage = spare
        } else {
            var taken = Self.empty
            swap(&taken, &head)
            storage = Storage(head: consume taken, path: consume path, client: client, id: consume id)
        }
    }

    /// What a lent head's place holds: no request (and no header fields to keep a buffer from reuse).
    static var empty: RequestHead {
        RequestHead(method: .get, target: "", rawPath: "", query: nil, version: .http11, headers: HTTPHeaders(),
                    framing: .none, keepAlive: false)
    }

    /// Ends this request and puts its head back into `head` (where `init(lending:)` took it from): when no one
    /// else holds its storage (no handler or middleware kept the request), the head moves back and the storage,
    /// cleared, becomes the thread's spare for its next request; else `head` gets a copy. The pipeline calls
    /// this once the answer is made.
    consuming func recycle(returning head: inout RequestHead) {
        guard isKnownUniquelyReferenced(&storage) else {
            head = storage.head
            return
        }
        swap(&head, &storage.head)
        storage.clear()
        // Moved out of the request and into the spare, not copied: a copy cost a retain and a release.
        var cleared: Storage? = (consume self).storage
        if Self.spares.withObject({ $0.storage = cleared.take() }) == nil, let cleared = cleared.take() {
            Self.spares.set(Spare(cleared))
        }
    }

    /// Finds the route of a request the pipeline has just built, before any middleware or handler sees it, and
    /// keeps where its parameters lie: its storage is its own then (new, or the thread's spare taken for it), so
    /// the router writes the captures in place, and the pipeline can hold the request as a constant (a `var` was
    /// retained and released around each call it was passed to).
    ///
    /// The raw path has no `%` (and no NUL) when it is as long as the decoded one: each escape decodes to one
    /// byte, and a path with a NUL made no request. So the router need not scan it again.
    func findRouteOfNewRequest(in router: Router) -> Router.Outcome {
        let isPlain = storage.path.utf8.count == storage.head.rawPath.utf8.count
        let outcome = Self.find(in: router, &storage.head, isPlain: isPlain, captures: &storage.captures)
        // The names are the route's own array: kept from the request before when that matched the same route
        // (one array's storage is never another's while it is held), which saves a retain and a release.
        if case .found(let route) = outcome, storage.captures.count > 0,
           !Self.shareStorage(storage.parameterNames, route.parameterNames) {
            storage.parameterNames = route.parameterNames
        }
        return outcome
    }

    /// `router.find` for `head`'s method and path, with the head lent in place: `inout` is an exclusive access,
    /// so its method and path are passed as they are, where reading them from the storage copied them around the
    /// call (a retain and a release of the path, and of the method's name).
    private static func find(in router: Router, _ head: inout RequestHead, isPlain: Bool,
                             captures: inout Captures) -> Router.Outcome {
        router.find(head.method, path: head.rawPath, isPlain: isPlain, captures: &captures)
    }

    /// True when two non-empty arrays are one array's storage.
    private static func shareStorage(_ a: [String], _ b: [String]) -> Bool {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
            && !a.isEmpty
    }

    /// The storage, copied first when another request shares it.
    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// The query's `name=value` pairs, decoded (`+` and `%20` as space), in order, duplicates kept; a pair that
    /// does not decode is left out.
    public var queryItems: [(name: String, value: String)] {
        guard let query = head.query, !query.isEmpty else { return [] }
        return query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentEncoding.decode(parts[0], plusAsSpace: true),
                  let value = parts.count > 1 ? PercentEncoding.decode(parts[1], plusAsSpace: true) : ""
            else { return nil }
            return (name, value)
        }
    }

    /// The first query value named `name` (`""` for `?flag` or `?flag=`), or nil when there is none.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// True when the client's `Accept` prefers JSON to HTML (for error pages).
    public var prefersJSON: Bool { Self.prefersJSON(accept: headers[.accept]) }

    /// True when an `Accept` value names JSON before (or without) HTML.
    static func prefersJSON(accept: String?) -> Bool {
        guard let accept else { return false }
        switch (accept.firstRange(of: "application/json"), accept.firstRange(of: "text/html")) {
        case (let json?, let html?): return json.lowerBound < html.lowerBound
        case (.some, nil): return true
        default: return false
        }
    }
}
