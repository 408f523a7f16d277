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
    /// A registered handler with its body policy.
    public struct Route: Sendable {
        /// The method it answers (a `GET` route also answers `HEAD`).
        public let method: HTTPMethod
        /// The pattern as registered (`/users/:id`).
        public let pattern: String
        /// How the request body is received.
        public let body: BodyPolicy
        /// What answers the request.
        public let handler: Handler
        /// The names of the pattern's `:name` and `*name` segments, in order.
        let parameterNames: [String]

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
        case found(Route, parameters: [String: String])
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

    /// Finds the route for `method` and the raw (percent-encoded) `path`. Parameters are percent-decoded after
    /// the path is split, so `%2F` inside a segment is a `/` in the value, not a separator.
    public func match(_ method: HTTPMethod, path rawPath: String) -> Match {
        let segments = Self.segments(of: rawPath)[...]
        var values: [String] = []
        let answers: ([HTTPMethod: Route]) -> Route? = { routes in
            routes[method] ?? (method == .head ? routes[.get] : nil)
        }
        if let route = root.find(segments, values: &values, answering: answers) {
            let pairs = zip(route.parameterNames, values)
            return .found(route, parameters: Dictionary(pairs, uniquingKeysWith: { _, last in last }))
        }
        var registered = Set<HTTPMethod>()
        root.collectMethods(segments, into: &registered)
        guard !registered.isEmpty else { return .notFound }
        if registered.contains(.get) { registered.insert(.head) }
        // The pipeline answers OPTIONS itself on any path that exists.
        registered.insert(.options)
        return .methodNotAllowed(allowed: Self.ordered(Array(registered)))
    }

    /// The methods a path answers, in a stable order, for `Allow` headers.
    static func ordered(_ methods: [HTTPMethod]) -> [HTTPMethod] {
        let order: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .options]
        return order.filter(methods.contains)
    }

    /// The pieces between slashes, empty ones kept, without the piece before the first slash. Split on UTF-8
    /// bytes: a `/` is always one byte, and Character-by-Character splitting cost more than the rest of a lookup.
    static func segments(of path: String) -> [Substring] {
        var pieces: [Substring] = []
        let bytes = path.utf8
        var start = bytes.startIndex
        var index = start
        var isFirst = true
        while true {
            let atEnd = index == bytes.endIndex
            if atEnd || bytes[index] == .slash {
                if !isFirst { pieces.append(path[start..<index]) }
                isFirst = false
                if atEnd { return pieces }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
    }
}

/// One segment level of the routing tree. The parameter level sits in a one-element array, which lets a struct
/// contain itself and keeps the router a plain value. Parameter names live in the routes, so `/users/:id` and
/// `/users/:userID/posts` each see their own name.
private struct Node: Sendable {
    var literals: [String: Node] = [:]
    var parameterChild: [Node] = []
    var wildcardRoutes: [HTTPMethod: Router.Route] = [:]
    var routes: [HTTPMethod: Router.Route] = [:]

    mutating func insert(_ route: Router.Route, segments: ArraySlice<Substring>) {
        guard let first = segments.first else {
            routes[route.method] = route
            return
        }
        let rest = segments.dropFirst()
        if first.hasPrefix(":") {
            if parameterChild.isEmpty { parameterChild = [Node()] }
            parameterChild[0].insert(route, segments: rest)
        } else if first.hasPrefix("*") {
            wildcardRoutes[route.method] = route
        } else {
            literals[String(first), default: Node()].insert(route, segments: rest)
        }
    }

    /// Depth-first: literal, then parameter, then wildcard, backtracking when a branch has no route that
    /// `answering` accepts. `values` receives the captured parameter values in pattern order.
    func find(_ segments: ArraySlice<Substring>, values: inout [String],
              answering: ([HTTPMethod: Router.Route]) -> Router.Route?) -> Router.Route? {
        guard let first = segments.first else {
            if let route = answering(routes) { return route }
            // `/static/*path` also matches `/static/` and `/static` with an empty capture.
            if let route = answering(wildcardRoutes) {
                values.append("")
                return route
            }
            return nil
        }
        let rest = segments.dropFirst()
        let decoded = Self.decode(first)
        if let decoded, let literal = literals[decoded], let found = literal.find(rest, values: &values,
                                                                                   answering: answering) {
            return found
        }
        if let child = parameterChild.first, let decoded, !decoded.isEmpty {
            values.append(decoded)
            if let found = child.find(rest, values: &values, answering: answering) { return found }
            values.removeLast()
        }
        // The rest of the path is the raw path from this segment on: decoded once, without splitting and joining.
        if let route = answering(wildcardRoutes), let value = PercentEncoding.decode(first.base[first.startIndex...]) {
            values.append(value)
            return route
        }
        return nil
    }

    /// Every method registered on any pattern that matches the path, for `Allow`.
    func collectMethods(_ segments: ArraySlice<Substring>, into methods: inout Set<HTTPMethod>) {
        methods.formUnion(wildcardRoutes.keys)
        guard let first = segments.first else {
            methods.formUnion(routes.keys)
            return
        }
        let rest = segments.dropFirst()
        guard let decoded = Self.decode(first) else { return }
        literals[decoded]?.collectMethods(rest, into: &methods)
        if let child = parameterChild.first, !decoded.isEmpty {
            child.collectMethods(rest, into: &methods)
        }
    }

    /// A raw segment percent-decoded, skipping the work when it has no `%`; nil when it does not decode.
    private static func decode(_ segment: Substring) -> String? {
        segment.utf8.contains(.percent) ? PercentEncoding.decode(segment) : String(segment)
    }
}
