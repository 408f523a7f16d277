/// A request as handlers and middleware see it: the parsed head plus the decoded path, the route's
/// parameters, the body, the client and an id.
public struct Request: Sendable {
    /// The request line and headers as parsed.
    public let head: RequestHead
    /// The path, percent-decoded once (`/docs/a b.txt`).
    public let path: String
    /// Values captured by the route pattern (`:id`, `*rest`), percent-decoded: `parameters["id"]`.
    public internal(set) var parameters: RouteParameters = [:]
    /// The body, for routes that buffer it; empty otherwise.
    public internal(set) var body: [UInt8] = []
    /// The client's address (after trusted-proxy rewriting, when configured).
    public let client: IPAddress
    /// The request id, echoed as `X-Request-ID`.
    public let id: String

    /// The request method.
    public var method: HTTPMethod { head.method }
    /// The header fields as received.
    public var headers: HTTPHeaders { head.headers }

    /// Builds a request; nil when the path does not percent-decode to valid UTF-8 without NUL.
    public init?(head: RequestHead, client: IPAddress, id: String) {
        guard let path = PercentEncoding.decode(head.rawPath) else { return nil }
        self.head = head
        self.path = path
        self.client = client
        self.id = id
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
    public var prefersJSON: Bool { Self.prefersJSON(accept: headers["Accept"]) }

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
