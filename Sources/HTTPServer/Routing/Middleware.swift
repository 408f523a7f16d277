/// One link in the ordered chain every routed request passes through; register with `Router.use`, the first
/// added being the outermost.
///
/// `admit` runs as soon as the head is parsed and routed, before any body is read, so a blocked or rate-limited
/// client cannot make the server read a large upload first; the first middleware that answers wins.
/// `handle` wraps the handler: it may answer without calling `next`, or change the response `next` returns.
/// An error thrown inside `next` passes up through `handle` (catch an `HTTPError` to add headers to it and
/// rethrow); after the chain an `HTTPError` becomes its error page and any other error a logged 500.
///
/// Requests the router refuses (404, 405) and those the engine answers itself (parse errors, 408, 503) never
/// reach middleware, except that `OPTIONS` on a known path without an `OPTIONS` route passes `admit` (so CORS
/// can answer preflights) before its automatic 204. The access log and metrics are kept by the engine, so they
/// cover every response.
///
/// ```swift
/// /// Answers 401 under `/admin/` unless the request carries the token.
/// struct RequireToken: Middleware {
///     let token: String
///     func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
///         guard request.path.hasPrefix("/admin/") else { return try next(request) }
///         guard request.headers["Authorization"] == "Bearer \(token)" else {
///             throw HTTPError(HTTPStatus(401, "Unauthorized"), "a bearer token is required",
///                             headers: ["WWW-Authenticate": "Bearer"])
///         }
///         return try next(request)
///     }
/// }
/// ```
public protocol Middleware: Sendable {
    /// Answer now to refuse the request before its body is read; nil lets it through.
    func admit(_ request: Request) -> Response?
    /// Produces the response, usually by calling `next`.
    func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response
}

extension Middleware {
    /// Lets every request through.
    public func admit(_ request: Request) -> Response? { nil }
    /// Calls the rest of the chain unchanged.
    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        try next(request)
    }
}

/// A middleware of this module that can tell when it has nothing to do, so that the pipeline, which runs the
/// chain on every request, passes it by without a call or a closure (CORS while it is off, protection while
/// nothing is blocked or limited).
protocol IdleAwareMiddleware: Middleware {
    /// False when `handle` is the protocol's default, which only calls `next`.
    var wrapsHandler: Bool { get }
    /// True when, right now, `admit` would let any request through and `handle` would only call `next`.
    var isIdle: Bool { get }
}
