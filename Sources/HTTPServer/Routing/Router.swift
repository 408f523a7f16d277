/// Maps a method and a path to a handler.
///
/// Patterns are `/`-separated segments: literals, `:name` (one segment) and a final `*name` (the rest of the path,
/// possibly empty). Literal segments win over parameters, which win over a wildcard, whatever the order of
/// registration. A `GET` route also answers `HEAD`. A path that matches with another method answers 405 with
/// `Allow`. Build the router before starting the server; it does not change afterwards.
public struct Router: Sendable {
    /// A registered handler with its body policy.
    public struct Route: Sendable {
        public let method: HTTPMethod
        public let pattern: String
        public let body: BodyPolicy
        public let handler: Handler
        /// The streamed-body sink factory, when the route streams (then `handler` is not used).
        var makeSink: (@Sendable (Request) throws -> any RequestBodySink)? {
            if case .streamed(_, let make) = body { return make }
            return nil
        }
    }

    /// What a lookup found.
    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        /// The path exists, but not for this method; `allowed` lists the methods that are registered.
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    private var root = Node()
    /// The middleware chain, outermost first.
    public private(set) var middleware: [any Middleware] = []
    /// The body limit of routes registered without an explicit policy.
    public var defaultBodyLimit = 1 << 20

    public init() {}

    // MARK: - Registration

    /// Registers `handler` for `method` on `pattern`.
    public mutating func on(_ method: HTTPMethod, _ pattern: String, body: BodyPolicy? = nil,
                            _ handler: @escaping Handler) {
        let route = Route(method: method, pattern: pattern, body: body ?? .buffered(maxBytes: defaultBodyLimit),
                          handler: handler)
        root.insert(route, segments: Self.segments(of: pattern)[...])
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { on(.get, pattern, handler) }
    public mutating func head(_ pattern: String, _ handler: @escaping Handler) { on(.head, pattern, handler) }
    public mutating func post(_ pattern: String, body: BodyPolicy? = nil, _ handler: @escaping Handler) {
        on(.post, pattern, body: body, handler)
    }
    public mutating func put(_ pattern: String, body: BodyPolicy? = nil, _ handler: @escaping Handler) {
        on(.put, pattern, body: body, handler)
    }
    public mutating func patch(_ pattern: String, body: BodyPolicy? = nil, _ handler: @escaping Handler) {
        on(.patch, pattern, body: body, handler)
    }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { on(.delete, pattern, handler) }
    public mutating func options(_ pattern: String, _ handler: @escaping Handler) { on(.options, pattern, handler) }

    /// Registers a route whose body is streamed to a sink instead of buffered; the sink's `finish` answers.
    public mutating func stream(_ method: HTTPMethod, _ pattern: String, maxBytes: Int,
                                _ makeSink: @escaping @Sendable (Request) throws -> any RequestBodySink) {
        on(method, pattern, body: .streamed(maxBytes: maxBytes, makeSink: makeSink)) { _ in
            throw HTTPError(.internalServerError, "streamed route called without a body")
        }
    }

    /// Appends a middleware; the first added is the outermost.
    public mutating func use(_ middleware: any Middleware) {
        self.middleware.append(middleware)
    }

    // MARK: - Lookup

    /// Finds the route for `method` and the raw (percent-encoded) `path`.
    public func match(_ method: HTTPMethod, path rawPath: String) -> Match {
        var parameters: [String: String] = [:]
        guard let routes = root.find(Self.segments(of: rawPath)[...], parameters: &parameters) else {
            return .notFound
        }
        if let route = routes[method] ?? (method == .head ? routes[.get] : nil) {
            return .found(route, parameters: parameters)
        }
        var allowed = Array(routes.keys)
        if allowed.contains(.get), !allowed.contains(.head) { allowed.append(.head) }
        allowed.append(.options)
        return .methodNotAllowed(allowed: Self.ordered(allowed))
    }

    /// The methods a path answers, in a stable order, for `Allow` headers.
    static func ordered(_ methods: [HTTPMethod]) -> [HTTPMethod] {
        let order: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .options]
        return order.filter(methods.contains)
    }

    static func segments(of path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
    }
}

/// One segment level of the routing tree. Child levels for parameters and wildcards sit in one-element arrays,
/// which lets a struct contain itself and keeps the router a plain value.
private struct Node: Sendable {
    var literals: [Substring: Node] = [:]
    var parameterName = ""
    var parameterChild: [Node] = []
    var wildcardName = ""
    var wildcardRoutes: [HTTPMethod: Router.Route] = [:]
    var routes: [HTTPMethod: Router.Route] = [:]

    mutating func insert(_ route: Router.Route, segments: ArraySlice<Substring>) {
        guard let first = segments.first else {
            routes[route.method] = route
            return
        }
        let rest = segments.dropFirst()
        if first.hasPrefix(":") {
            parameterName = String(first.dropFirst())
            if parameterChild.isEmpty { parameterChild = [Node()] }
            parameterChild[0].insert(route, segments: rest)
        } else if first.hasPrefix("*") {
            wildcardName = String(first.dropFirst())
            wildcardRoutes[route.method] = route
        } else {
            literals[first, default: Node()].insert(route, segments: rest)
        }
    }

    /// Depth-first: literal, then parameter, then wildcard, backtracking when a branch leads nowhere.
    func find(_ segments: ArraySlice<Substring>, parameters: inout [String: String]) -> [HTTPMethod: Router.Route]? {
        guard let first = segments.first else {
            if !routes.isEmpty { return routes }
            // `/static/*path` also matches `/static/` and `/static` with an empty capture.
            if !wildcardRoutes.isEmpty {
                parameters[wildcardName] = ""
                return wildcardRoutes
            }
            return nil
        }
        let rest = segments.dropFirst()
        if let literal = literals[first], let found = literal.find(rest, parameters: &parameters) {
            return found
        }
        if let child = parameterChild.first, !first.isEmpty, let value = PercentEncoding.decode(first) {
            var captured = parameters
            captured[parameterName] = value
            if let found = child.find(rest, parameters: &captured) {
                parameters = captured
                return found
            }
        }
        if !wildcardRoutes.isEmpty, let value = PercentEncoding.decode(segments.joined(separator: "/")) {
            parameters[wildcardName] = value
            return wildcardRoutes
        }
        return nil
    }
}
