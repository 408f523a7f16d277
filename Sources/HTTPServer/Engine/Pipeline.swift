/// Turns a parsed request head into a response: decode, count, route, admit, then (after any body) run the
/// middleware chain and the handler. Errors become error pages; a handler that throws becomes a 500 carrying the
/// request id, and the server goes on.
final class Pipeline: Sendable {
    /// What to do after the head.
    enum Start {
        /// Answer now. `bodyUnread` is set when the request had a body we will not read: the connection closes.
        case respond(Response, bodyUnread: Bool)
        /// Read the body with this reader, then call `complete`.
        case readBody(BodyReader)

        /// The status code of an answer given now; read without copying the response out. The code, not the
        /// `HTTPStatus`: a copy of that (its reason's string) was retained and released around the counting.
        var statusCode: Int? {
            if case .respond(let response, _) = self { return response.status.code }
            return nil
        }
    }

    let router: Router
    /// The router's middleware, outermost first.
    private let links: [Link]
    /// `links`, unretained: each request walks these, and a link taken out of `links` was retained and released
    /// around every call to it (an atomic increment and decrement per link per request). `links` keeps them.
    private let chain: [Unmanaged<Link>]
    /// Those of `chain` whose `handle` may do more than call `next`.
    private let wrappers: [Unmanaged<Link>]
    let counters: RequestCounters
    let logger: Logger
    /// Holds the Host names answered, which change live.
    let limits: LiveLimits
    let journal: SecurityJournal
    /// The bound on a chunked body's trailer section: the head's own (`maxHeaderBytes`).
    let maxTrailerBytes: Int

    init(router: Router, counters: RequestCounters, logger: Logger, limits: LiveLimits, journal: SecurityJournal,
         maxTrailerBytes: Int) {
        self.router = router
        links = router.middleware.map(Link.make)
        chain = links.map(Unmanaged.passUnretained)
        wrappers = links.filter(\.wraps).map(Unmanaged.passUnretained)
        self.maxTrailerBytes = maxTrailerBytes
        self.counters = counters
        self.logger = logger
        self.limits = limits
        self.journal = journal
    }

    /// Starts a request: everything up to the point where its body is needed. `counts` is the calling worker's
    /// ring in `counters`. A request answered now is over: its storage goes back to the thread for the next one.
    ///
    /// The head is lent to the request (moved, not copied): when the answer is given now (`.respond`), `head` is
    /// the request's again on return; while a body is read (`.readBody`) it is an empty head, and the request's
    /// is the reader's `request.head`.
    func begin(_ head: inout RequestHead, client: IPAddress, id: RequestID,
               counts: RequestCounters.WorkerRing) -> Start {
        let (routed, start) = route(&head, client: client, id: id)
        // Moved out, so that the request below is the only one holding its storage.
        guard let request = consume routed else { return start }
        guard let code = start.statusCode else { return start }
        countIfServed(request, code, counts)
        request.recycle(returning: &head)
        return start
    }

    /// Counts the path of a request that was served (below 400), before the response goes out. A refused
    /// request's path is a client's choice (escape codes, scanners' guesses), not something the server served.
    private func countIfServed(_ request: Request, _ code: Int, _ counts: RequestCounters.WorkerRing) {
        if code < 400 { counters.record(request.path, through: counts) }
    }

    /// Builds the request (lent `head`, see `begin`) and answers it or says how to read its body. Only a routed
    /// request without a body stays in this function; every other answer is made out of line, so that the code
    /// each request runs is short.
    private func route(_ head: inout RequestHead, client: IPAddress, id: RequestID) -> (Request?, Start) {
        let hasBody = head.framing != .none
        guard limits.allowsHost(head) else { return (nil, misdirected(head, client: client, id: id)) }
        guard let request = Request(lending: &head, client: client, id: id) else {
            return (nil, .respond(error(.badRequest, "the path is not valid percent-encoded UTF-8", head, id),
                                  bodyUnread: hasBody))
        }
        // From here on the head is the request's.
        if Self.mayClimb(request.path), let kind = Self.traversal(request) {
            journal.record(kind, client: client, requestID: id.description, detail: request.rawPath)
        }
        let method = request.method
        let routable = method.isStandard && method != .connect && !Self.isAsterisk(request.rawPath)
        let outcome = routable ? request.findRouteOfNewRequest(in: router) : .notFound
        guard case .found(let route) = outcome else {
            return (request, .respond(unrouted(request, outcome, id), bodyUnread: hasBody))
        }
        if let refusal = admitted(request) {
            return (request, .respond(refusal, bodyUnread: hasBody))
        }
        guard hasBody else {
            // The handler called through the route, not taken out of it: taken, it was retained and released
            // around the chain's idle checks and the call.
            return (request, .respond(run(request, route: route) { try route.handler($0) }, bodyUnread: false))
        }
        return (request, startBody(request, route, client: client, id: id))
    }

    /// 421 for a host this server does not answer for, recorded.
    @inline(never)
    private func misdirected(_ head: RequestHead, client: IPAddress, id: RequestID) -> Start {
        journal.record(.hostMismatch, client: client, requestID: id.description, detail: head.headers[.host] ?? "")
        return .respond(error(.misdirectedRequest, "this server does not answer for that host", head, id),
                        bodyUnread: head.framing != .none)
    }

    /// True for the asterisk form (`OPTIONS *`), told by its length before any compare.
    private static func isAsterisk(_ rawPath: String) -> Bool {
        rawPath.utf8.count == 1 && rawPath == "*"
    }

    /// The answer to a request no route takes: 501 for a method the server does not support, 204 with `Allow`
    /// for `OPTIONS *`, else by the router's `outcome`: 404, or 405 with `Allow` (204 for `OPTIONS`).
    @inline(never)
    private func unrouted(_ request: Request, _ outcome: Router.Outcome, _ id: RequestID) -> Response {
        let method = request.method
        guard method.isStandard, method != .connect else {
            return error(.notImplemented, "method \(method) is not supported", request, id)
        }
        if Self.isAsterisk(request.rawPath) {
            var response = Response(status: .noContent)
            response.headers.add("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
            return response
        }
        guard case .methodNotAllowed(let allowed) = outcome else {
            return error(.notFound, "nothing at \(request.path)", request, id)
        }
        let allow = allowed.map(\.description).joined(separator: ", ")
        if method == .options {
            var response = Response(status: .noContent)
            response.headers.add("Allow", allow)
            return admitted(request) ?? response
        }
        return error(.methodNotAllowed, "\(method) is not allowed here; allowed: \(allow)", request, id,
                     headers: ["Allow": allow])
    }

    /// How to read the body of a routed request that has one: refused when its announced length is over the
    /// route's limit, into the route's sink when it streams, else into a buffer.
    @inline(never)
    private func startBody(_ request: Request, _ route: Router.Route, client: IPAddress, id: RequestID) -> Start {
        let method = request.method
        if case .length(let length) = request.head.framing, length > route.body.maxBytes {
            journal.record(.oversizedBody, client: client, requestID: id.description,
                           detail: "\(method) \(request.rawPath): \(length) bytes over \(route.body.maxBytes)")
            let response = error(.contentTooLarge, "request body of \(length) bytes is over the limit of \(route.body.maxBytes)",
                                 request, id)
            return .respond(response, bodyUnread: true)
        }
        if let makeSink = route.makeSink {
            do {
                let sink = try makeSink(request)
                return .readBody(BodyReader(request: request, route: route, destination: .sink(sink),
                                            maxTrailerBytes: maxTrailerBytes))
            } catch {
                let refusal = response(for: error, request)
                if (400..<500).contains(refusal.status.code) {
                    journal.record(.malformedUpload, client: client, requestID: id.description,
                                   detail: "\(refusal.status.code) \(request.headers[.contentType] ?? "no Content-Type")")
                }
                return .respond(refusal, bodyUnread: true)
            }
        }
        return .readBody(BodyReader(request: request, route: route, destination: .buffer([]),
                                    maxTrailerBytes: maxTrailerBytes))
    }

    /// Finishes a request whose body has been read. `counts` is the calling worker's ring in `counters`.
    func complete(_ reader: BodyReader, counts: RequestCounters.WorkerRing) -> Response {
        var request = reader.request
        let response: Response
        switch reader.destination {
        case .buffer(let bytes):
            request.body = bytes
            response = run(request, route: reader.route, final: reader.route.handler)
        case .sink(let sink):
            response = run(request, route: reader.route) { _ in try sink.finish() }
            if (400..<500).contains(response.status.code) {
                journal.record(.malformedUpload, client: request.client, requestID: request.id,
                               detail: "\(response.status.code) at the end of the body")
            }
        }
        countIfServed(request, response.status.code, counts)
        return response
    }

    /// Records why a body could not be read: broken chunking, too large (its trailers too), or (for an upload)
    /// content that is not what it claims.
    func bodyFailed(_ reader: BodyReader, _ response: Response) {
        let request = reader.request
        let kind: SecurityEvent.Kind
        if reader.framingBroken {
            kind = .badChunk
        } else if response.status == .contentTooLarge {
            kind = .oversizedBody
        } else if response.status == .headerFieldsTooLarge {
            kind = .oversizedHead
        } else if reader.route.makeSink != nil, (400..<500).contains(response.status.code) {
            kind = .malformedUpload
        } else {
            return
        }
        journal.record(kind, client: request.client, requestID: request.id,
                       detail: "\(request.method) \(request.head.rawPath): \(response.status.code) after \(reader.received) bytes")
    }

    /// Records a head the parser refused, by the shape of the refusal.
    func headFailed(_ status: HTTPStatus, _ reason: String, client: IPAddress, id: RequestID) {
        journal.record(Self.kind(ofParserFailure: status, reason), client: client, requestID: id.description, detail: reason)
    }

    /// Smuggling shapes are told apart by the parser's reasons (tested against real requests in
    /// `SecurityEventTests`); sizes by status.
    static func kind(ofParserFailure status: HTTPStatus, _ reason: String) -> SecurityEvent.Kind {
        if status == .uriTooLong || status == .headerFieldsTooLarge { return .oversizedHead }
        if reason.contains("Transfer-Encoding") || reason.contains("Content-Length") || reason.contains("transfer coding") {
            return .smuggling
        }
        return .malformedRequest
    }

    /// False when `path` has no two dots in a row, so no `..` segment: every request is checked, and only a path
    /// that may climb is looked at further (`traversal`). Eight bytes at a time, seven apart (so that each pair of
    /// neighbours is in one word), the last eight overlapping the ones before: the bytes that are dots are found
    /// exactly (`(x & 0x7f…) + 0x7f…` sets the high bit of each byte of `x` but zero ones), then each is paired
    /// with the next. Inlined into `route`: called, it had the request's path copied around it (a retain and a
    /// release) and its bytes' closure made a function of its own, 70 instructions against about 25.
    @inline(__always)
    static func mayClimb(_ path: String) -> Bool {
        path.withBorrowedUTF8 { bytes in
            guard let base = bytes.baseAddress else { return false }
            guard bytes.count >= 8 else {
                return bytes.indices.dropFirst().contains { bytes[$0] == .dot && bytes[$0 - 1] == .dot }
            }
            let lows: UInt64 = 0x7f7f_7f7f_7f7f_7f7f
            let dots: UInt64 = 0x2e2e_2e2e_2e2e_2e2e
            let last = bytes.count - 8
            var index = 0
            while true {
                let word = UnsafeRawPointer(base + min(index, last)).loadUnaligned(as: UInt64.self) ^ dots
                let isDot = ~(((word & lows) &+ lows) | word | lows)
                if isDot & isDot >> 8 != 0 { return true }
                if index >= last { return false }
                index += 7
            }
        }
    }

    /// `.traversal` for a `..` segment in the decoded path (or a backslash one, for Windows-minded scanners),
    /// `.encodedDot` when the raw target spelled a dot or slash in percent-encoding to hide it; nil otherwise.
    static func traversal(_ request: Request) -> SecurityEvent.Kind? {
        let climbs = request.path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).contains("..")
        guard climbs else { return nil }
        let raw = request.head.rawPath.lowercased()
        return raw.contains("%2e") || raw.contains("%2f") || raw.contains("%5c") ? .encodedDot : .traversal
    }

    /// The error response for a thrown error: `HTTPError` keeps its status; anything else is a logged 500.
    func response(for error: any Error, _ request: Request) -> Response {
        if let error = error as? HTTPError {
            return ErrorPage.response(error.status, reason: error.reason, json: request.prefersJSON,
                                      requestID: request.id, headers: error.headers)
        }
        logger.error("request \(request.id) \(request.method) \(request.path) failed: \(error)")
        return ErrorPage.response(.internalServerError, reason: "the server failed to answer this request",
                                  json: request.prefersJSON, requestID: request.id)
    }

    /// An error page for a head that may not have become a `Request`.
    func error(_ status: HTTPStatus, _ reason: String, _ head: RequestHead?, _ id: RequestID,
               headers: HTTPHeaders = HTTPHeaders()) -> Response {
        let json = head.map { Request.prefersJSON(accept: $0.headers[.accept]) } ?? false
        return ErrorPage.response(status, reason: reason, json: json, requestID: id.description, headers: headers)
    }

    /// An error page for a request (which holds its head).
    private func error(_ status: HTTPStatus, _ reason: String, _ request: Request, _ id: RequestID,
                       headers: HTTPHeaders = HTTPHeaders()) -> Response {
        ErrorPage.response(status, reason: reason, json: request.prefersJSON, requestID: id.description, headers: headers)
    }

    /// The first refusal of a middleware that is not idle now, or nil: most requests meet idle middleware only,
    /// and pay for a check of each (the call of one that is not idle is out of line).
    private func admitted(_ request: Request) -> Response? {
        // By index, as `step` walks: a `for` loop over `chain` retained and released it.
        var index = 0
        while index < chain.count {
            let link = chain[index]
            index += 1
            if !link._withUnsafeGuaranteedRef({ $0.isIdle }), let refusal = admit(request, through: link) {
                return refusal
            }
        }
        return nil
    }

    @inline(never)
    private func admit(_ request: Request, through link: Unmanaged<Link>) -> Response? {
        link._withUnsafeGuaranteedRef { $0.middleware.admit(request) }
    }

    /// Runs the middleware chain around `final`, turning thrown errors into responses. Inlined: called apart, the
    /// route's handler passed to it was retained and released around the call.
    @inline(__always)
    private func run(_ request: Request, route: Router.Route, final: (Request) throws -> Response) -> Response {
        do {
            return try step(0, request, final)
        } catch {
            return response(for: error, request)
        }
    }

    /// The response of `wrappers` from `start` on around `final`. A link that is idle now is passed by as its
    /// `handle` would (straight to the next), so a chain with nothing to do costs no closure at all.
    private func step(_ start: Int, _ request: Request, _ final: (Request) throws -> Response) throws -> Response {
        var index = start
        while index < wrappers.count {
            let link = wrappers[index]
            index += 1
            guard link._withUnsafeGuaranteedRef({ $0.isIdle }) else {
                return try wrap(request, through: link, next: index, final)
            }
        }
        return try final(request)
    }

    /// The response of a link that is not idle, around the chain's rest from `next` on: out of line, as most
    /// requests pass every link by.
    @inline(never)
    private func wrap(_ request: Request, through link: Unmanaged<Link>, next: Int,
                      _ final: (Request) throws -> Response) throws -> Response {
        try link._withUnsafeGuaranteedRef { try $0.middleware.handle(request) { try step(next, $0, final) } }
    }

    /// One middleware behind a reference whose constant can be called in place: calling a middleware straight
    /// from the router's array copied (and destroyed) the existential on every call. Only lets (`@unchecked`
    /// because a class with a subclass cannot be checked).
    private class Link: @unchecked Sendable {
        let middleware: any Middleware

        init(_ middleware: any Middleware) { self.middleware = middleware }

        /// The link for `middleware`: one that asks it whether it is idle, when it can tell.
        static func make(_ middleware: any Middleware) -> Link {
            guard let aware = middleware as? any IdleAwareMiddleware else { return Link(middleware) }
            return idleAware(aware)
        }

        /// Opens the existential, which a generic class's initializer does not do by itself.
        private static func idleAware<Wrapped: IdleAwareMiddleware>(_ wrapped: Wrapped) -> Link {
            IdleAwareLink(wrapped)
        }

        /// False when the middleware's `handle` only ever calls `next`.
        var wraps: Bool { true }
        /// True when the middleware would let the request through untouched, in `admit` and in `handle`.
        var isIdle: Bool { false }
    }

    /// A link whose middleware is held as its own type, so asking whether it is idle copies no existential.
    private final class IdleAwareLink<Wrapped: IdleAwareMiddleware>: Link, @unchecked Sendable {
        let wrapped: Wrapped

        init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
            super.init(wrapped)
        }

        override var wraps: Bool { wrapped.wrapsHandler }
        override var isIdle: Bool { wrapped.isIdle }
    }
}
