/// Maps a method and a path to a handler.
///
/// Patterns are `/`-separated segments, written decoded: literals (`/café`), `:name` (one segment) and a final
/// `*name` (the rest of the path, possibly empty). Literal segments win over parameters, which win over a
/// wildcard, whatever the order of registration; when the best match has no route for the method, the next best
/// that has one answers (`GET /users/new` and `DELETE /users/:id` coexist). A `GET` route also answers `HEAD`.
/// A path that matches only with other methods answers 405 with `Allow`. Build the router before starting the
/// server; it does not change afterwards.
///
/// ```swift
/// var router = Router()
/// router.get("/users/:id") { request in .text("user \(request.parameters["id"] ?? "")\n") }
/// router.get("/static/*path", files.handle)
/// ```
public struct Router: Sendable {
    /// A registered handler with its body policy; a class, so handing the found route to the request's
    /// pipeline copies one reference.
    public final class Route: Sendable {
        /// The method it answers (a `GET` route also answers `HEAD`).
        public let method: HTTPMethod
        /// `method.number`: what a lookup compares first.
        let methodNumber: Int
        /// The pattern as registered (`/users/:id`).
        public let pattern: String
        /// How the request body is received.
        public let body: BodyPolicy
        /// What answers the request.
        public let handler: Handler
        /// The names of the pattern's `:name` and `*name` segments, in order.
        let parameterNames: [String]

        init(method: HTTPMethod, pattern: String, body: BodyPolicy, handler: @escaping Handler,
             parameterNames: [String]) {
            self.method = method
            methodNumber = method.number
            self.pattern = pattern
            self.body = body
            self.handler = handler
            self.parameterNames = parameterNames
        }

        /// The streamed-body sink factory, when the route streams (then `handler` answers only a request without a
        /// body).
        var makeSink: (@Sendable (Request) throws -> any RequestBodySink)? {
            if case .streamed(_, let make) = body { return make }
            if case .streamedWithin(_, let make) = body { return make }
            return nil
        }
    }

    /// What a lookup found.
    public enum Match: Sendable {
        /// The route that answers, with the decoded values of its `:name` and `*name` segments.
        case found(Route, parameters: RouteParameters)
        /// The path exists, but not for this method; `allowed` lists the methods that are registered.
        case methodNotAllowed(allowed: [HTTPMethod])
        /// No pattern matches the path.
        case notFound
    }

    private var root = Node()
    /// The middleware chain, outermost first.
    public private(set) var middleware: [any Middleware] = []
    /// The body limit of routes registered without an explicit policy: 1 MiB holds any form or JSON request;
    /// larger bodies (uploads) should stream with a limit of their own.
    public var defaultBodyLimit = 1 << 20

    /// An empty router: every path is a 404 until routes are added.
    public init() {}

    // MARK: - Registration

    /// Registers `handler` for `method` on `pattern`; a later registration of the same method and pattern
    /// replaces the earlier one.
    public mutating func on(_ method: HTTPMethod, _ pattern: String, body: BodyPolicy? = nil,
                            _ handler: @escaping Handler) {
        let segments = Self.segments(of: pattern)
        let names = segments.filter { $0.hasPrefix(":") || $0.hasPrefix("*") }.map { String($0.dropFirst()) }
        let route = Route(method: method, pattern: pattern, body: body ?? .buffered(maxBytes: defaultBodyLimit),
                          handler: handler, parameterNames: names)
        root.insert(route, segments: segments[...])
    }

    /// Registers a `GET` route, which also answers `HEAD`.
    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { on(.get, pattern, handler) }
    /// Registers a `HEAD` route, taking precedence over the `GET` route of the same pattern for `HEAD`.
    public mutating func head(_ pattern: String, _ handler: @escaping Handler) { on(.head, pattern, handler) }
    /// Registers a `POST` route; its body is buffered up to `defaultBodyLimit` unless `body` says otherwise.
    public mutating func post(_ pattern: String, body: BodyPolicy? = nil, _ handler: @escaping Handler) {
        on(.post, pattern, body: body, handler)
    }
    /// Registers a `PUT` route.
    public mutating func put(_ pattern: String, body: BodyPolicy? = nil, _ handler: @escaping Handler) {
        on(.put, pattern, body: body, handler)
    }
    /// Registers a `PATCH` route.
    public mutating func patch(_ pattern: String, body: BodyPolicy? = nil, _ handler: @escaping Handler) {
        on(.patch, pattern, body: body, handler)
    }
    /// Registers a `DELETE` route.
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { on(.delete, pattern, handler) }
    /// Registers an `OPTIONS` route. Without one, `OPTIONS` on a known path answers 204 with `Allow`.
    public mutating func options(_ pattern: String, _ handler: @escaping Handler) { on(.options, pattern, handler) }

    /// Registers a route whose body is streamed to a sink instead of buffered; the sink's `finish` answers.
    public mutating func stream(_ method: HTTPMethod, _ pattern: String, maxBytes: Int,
                                _ makeSink: @escaping @Sendable (Request) throws -> any RequestBodySink) {
        // A request without a body (none announced, or `Content-Length: 0`) never reaches a body reader: it gets
        // a sink that receives no bytes and answers with its `finish`, like any empty body.
        on(method, pattern, body: .streamed(maxBytes: maxBytes, makeSink: makeSink)) { request in
            try makeSink(request).finish()
        }
    }

    /// Puts `middleware` outermost, before every one added so far: the server's protection must refuse a
    /// blocked client before any application middleware answers it.
    mutating func useFirst(_ middleware: any Middleware) {
        self.middleware.insert(middleware, at: 0)
    }

    /// Appends a middleware; the first added is the outermost (its `admit` runs first, its `handle` wraps
    /// all the others).
    public mutating func use(_ middleware: any Middleware) {
        self.middleware.append(middleware)
    }

    // MARK: - Lookup

    /// What `find` found: a `Match` whose parameters are left in the caller's `Captures`.
    enum Outcome {
        case found(Route)
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    /// Finds the route for `method` and the raw (percent-encoded) `path`. The path is walked on its bytes, a
    /// segment at a time; parameters are percent-decoded after the path is split, so `%2F` inside a segment is a
    /// `/` in the value, not a separator.
    public func match(_ method: HTTPMethod, path rawPath: String) -> Match {
        var captures = Captures()
        switch find(method, path: rawPath, captures: &captures) {
        case .found(let route):
            return .found(route, parameters: RouteParameters(names: route.parameterNames, rawPath: rawPath,
                                                             captures: captures))
        case .methodNotAllowed(let allowed):
            return .methodNotAllowed(allowed: allowed)
        case .notFound:
            return .notFound
        }
    }

    /// `match` without making the parameters: where the found route's values lie in `path` go into `captures`
    /// (empty before, and after anything but `.found`), for the request to make its parameters of when asked.
    /// `isPlain` says whether the path has no `%` and no NUL, when the caller knows (nil: the path is scanned).
    func find(_ method: HTTPMethod, path rawPath: String, isPlain: Bool? = nil, captures: inout Captures) -> Outcome {
        rawPath.withBorrowedUTF8 { path in
            let first = Self.firstSegment(of: path)
            let lookup = Lookup(method: method, isPlain: isPlain ?? !PercentEncoding.hasEscapeOrNUL(path))
            if let route = root.find(path, from: first, lookup, captures: &captures) {
                return .found(route)
            }
            return unmatched(path, from: first)
        }
    }

    /// A path no route for the method matches: 405 with the methods that are registered, or 404. Out of line,
    /// so that the code of a found route stays short.
    @inline(never)
    private func unmatched(_ path: UnsafeBufferPointer<UInt8>, from first: Int?) -> Outcome {
        var registered: [HTTPMethod] = []
        root.collectMethods(path, from: first, into: &registered)
        guard !registered.isEmpty else { return .notFound }
        if registered.contains(.get) { registered.append(.head) }
        // The pipeline answers OPTIONS itself on any path that exists.
        registered.append(.options)
        return .methodNotAllowed(allowed: Self.ordered(registered))
    }

    /// The methods a path answers, in a stable order, for `Allow` headers.
    static func ordered(_ methods: [HTTPMethod]) -> [HTTPMethod] {
        let order: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .options]
        return order.filter(methods.contains)
    }

    /// What a lookup compares routes and segments with, worked out once per request rather than at every level.
    fileprivate struct Lookup {
        let method: HTTPMethod
        /// `method.number`: routes are compared on it, and on `method` itself only for methods outside RFC 9110.
        let number: Int
        /// True when the path has no `%` and no NUL: then no segment needs decoding and every rest decodes, without
        /// a look at each segment's bytes.
        let isPlain: Bool

        init(method: HTTPMethod, isPlain: Bool) {
            self.method = method
            number = method.number
            self.isPlain = isPlain
        }

        /// Whether `route` answers this method.
        func answers(_ route: Route, as number: Int) -> Bool {
            route.methodNumber == number && (number != HTTPMethod.otherNumber || route.method == method)
        }
    }

    /// Where the first segment starts: after the first `/` (what comes before it is no segment); nil when there
    /// is no `/`, so no segment at all.
    private static func firstSegment(of path: UnsafeBufferPointer<UInt8>) -> Int? {
        path.firstIndex(of: .slash).map { $0 + 1 }
    }

    /// The pieces between slashes, empty ones kept, without the piece before the first slash: how patterns are
    /// split when they are registered.
    static func segments(of pattern: String) -> [Substring] {
        pattern.utf8.split(separator: .slash, omittingEmptySubsequences: false).dropFirst().map { Substring($0) }
    }
}

/// One segment level of the routing tree. The parameter level sits in a one-element array, which lets a struct
/// contain itself and keeps the router a plain value. Parameter names live in the routes, so `/users/:id` and
/// `/users/:userID/posts` each see their own name.
private struct Node: Sendable {
    /// A literal segment's decoded bytes and the level below it.
    struct Literal: Sendable {
        let bytes: [UInt8]
        var node: Node
    }

    /// Sorted by `Node.order`, searched by halving: a request's segment is compared in place, with no `String`
    /// built or hashed for it.
    var literals: [Literal] = []
    /// One bit per literal, picked by its length and first byte (`filterBit`): a segment whose bit is clear
    /// matches no literal, and skips the search. Most requests to a site's root mount (`/*path`) name a file
    /// that shares neither with the few literals beside it (`healthz`, `uploads`).
    var literalFilter: UInt64 = 0
    var parameterChild: [Node] = []
    /// Routes by method; a handful at most, so a list.
    var wildcardRoutes: [Router.Route] = []
    var routes: [Router.Route] = []

    mutating func insert(_ route: Router.Route, segments: ArraySlice<Substring>) {
        guard let first = segments.first else {
            Self.add(route, to: &routes)
            return
        }
        let rest = segments.dropFirst()
        if first.hasPrefix(":") {
            if parameterChild.isEmpty { parameterChild = [Node()] }
            parameterChild[0].insert(route, segments: rest)
        } else if first.hasPrefix("*") {
            Self.add(route, to: &wildcardRoutes)
        } else {
            let bytes = Array(first.utf8)
            let (position, found) = bytes.withUnsafeBufferPointer { search($0) }
            if !found {
                literals.insert(Literal(bytes: bytes, node: Node()), at: position)
                literalFilter |= bytes.withUnsafeBufferPointer(Self.filterBit)
            }
            literals[position].node.insert(route, segments: rest)
        }
    }

    /// Depth-first: literal, then parameter, then wildcard, backtracking when a branch has no route for
    /// `method`. `start` is where the next segment begins in `path` (nil after the last one); `captures`
    /// receives where the parameter values lie, in pattern order, each checked to decode.
    func find(_ path: UnsafeBufferPointer<UInt8>, from start: Int?, _ lookup: Router.Lookup,
              captures: inout Captures) -> Router.Route? {
        guard let start else {
            if let route = Self.route(for: lookup, in: routes) { return route }
            // `/static/*path` also matches `/static/` and `/static` with an empty capture.
            if let route = Self.route(for: lookup, in: wildcardRoutes) {
                captures.append(path.endIndex..<path.endIndex)
                return route
            }
            return nil
        }
        let end = path[start...].firstIndex(of: .slash) ?? path.endIndex
        let next = end < path.endIndex ? end + 1 : nil
        let segment = UnsafeBufferPointer(rebasing: path[start..<end])
        let encoded = !lookup.isPlain && segment.contains(.percent)
        // Decoded only when it has escapes: a plain segment is compared as it is.
        let decoded = encoded ? PercentEncoding.decode(String(decoding: segment, as: UTF8.self)) : nil
        if !encoded || decoded != nil {
            let literal = if let decoded { literal(matching: decoded) } else { literal(matching: segment) }
            if let literal,
               let found = literals[literal].node.find(path, from: next, lookup, captures: &captures) {
                return found
            }
            if !parameterChild.isEmpty, !segment.isEmpty {
                captures.append(start..<end)
                if let found = parameterChild[0].find(path, from: next, lookup, captures: &captures) {
                    return found
                }
                captures.removeLast()
            }
        }
        // The rest of the path is the raw path from this segment on: decoded once, without splitting and joining.
        if let route = Self.route(for: lookup, in: wildcardRoutes),
           lookup.isPlain || Self.decodes(UnsafeBufferPointer(rebasing: path[start...])) {
            captures.append(start..<path.endIndex)
            return route
        }
        return nil
    }

    /// Every method registered on any pattern that matches the path, for `Allow`.
    func collectMethods(_ path: UnsafeBufferPointer<UInt8>, from start: Int?, into methods: inout [HTTPMethod]) {
        methods += wildcardRoutes.map(\.method)
        guard let start else {
            methods += routes.map(\.method)
            return
        }
        let end = path[start...].firstIndex(of: .slash) ?? path.endIndex
        let next = end < path.endIndex ? end + 1 : nil
        let segment = UnsafeBufferPointer(rebasing: path[start..<end])
        let literal: Int?
        if segment.contains(.percent) {
            guard let decoded = PercentEncoding.decode(String(decoding: segment, as: UTF8.self)) else { return }
            literal = self.literal(matching: decoded)
        } else {
            literal = self.literal(matching: segment)
        }
        if let literal { literals[literal].node.collectMethods(path, from: next, into: &methods) }
        if !parameterChild.isEmpty, !segment.isEmpty {
            parameterChild[0].collectMethods(path, from: next, into: &methods)
        }
    }

    /// The index of the literal segment whose decoded bytes are `key`.
    private func literal(matching key: UnsafeBufferPointer<UInt8>) -> Int? {
        guard literalFilter & Self.filterBit(key) != 0 else { return nil }
        let (position, found) = search(key)
        return found ? position : nil
    }

    /// The bit of `literalFilter` for a segment: equal segments have equal bits.
    private static func filterBit(_ segment: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let first = segment.first.map(Int.init) ?? 0
        return 1 << UInt64((segment.count &+ first &* 8) & 63)
    }

    private func literal(matching decoded: String) -> Int? {
        var decoded = decoded
        return decoded.withUTF8 { literal(matching: $0) }
    }

    /// Where `key` is among the sorted literals, or where it would go.
    private func search(_ key: UnsafeBufferPointer<UInt8>) -> (position: Int, found: Bool) {
        var low = 0
        var high = literals.count
        while low < high {
            let middle = (low + high) / 2
            let order = literals[middle].bytes.withUnsafeBufferPointer { Self.order($0, key) }
            if order == 0 { return (middle, true) }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    /// Shorter first, then byte by byte: a total order in which most mismatches show in the length.
    private static func order(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Int {
        if lhs.count != rhs.count { return lhs.count < rhs.count ? -1 : 1 }
        for index in lhs.indices where lhs[index] != rhs[index] {
            return lhs[index] < rhs[index] ? -1 : 1
        }
        return 0
    }

    /// The route answering the method: its own, or for `HEAD` the `GET` route.
    private static func route(for lookup: Router.Lookup, in routes: [Router.Route]) -> Router.Route? {
        if let route = routes.first(where: { lookup.answers($0, as: lookup.number) }) { return route }
        let head = HTTPMethod.head.number, get = HTTPMethod.get.number
        return lookup.number == head ? routes.first { lookup.answers($0, as: get) } : nil
    }

    /// A later registration of the same method replaces the earlier one.
    private static func add(_ route: Router.Route, to routes: inout [Router.Route]) {
        if let index = routes.firstIndex(where: { $0.method == route.method }) {
            routes[index] = route
        } else {
            routes.append(route)
        }
    }

    /// Whether raw path bytes percent-decode (no broken escape, invalid UTF-8 or NUL); checked without building
    /// a `String` when there is no escape.
    private static func decodes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.contains(.percent) else { return !bytes.contains(0) }
        return PercentEncoding.decode(String(decoding: bytes, as: UTF8.self)) != nil
    }
}
