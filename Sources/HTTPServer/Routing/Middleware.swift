/// One link in the ordered chain every routed request passes through.
///
/// `admit` runs as soon as the head is parsed, before any body is read, so a blocked or rate-limited client
/// cannot make the server read a large upload first. `handle` wraps the handler: it may answer without calling
/// `next`, or change the response `next` returns.
public protocol Middleware: Sendable {
    /// Answer now to refuse the request before its body is read; nil lets it through.
    func admit(_ request: Request) -> Response?
    /// Produces the response, usually by calling `next`.
    func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response
}

extension Middleware {
    public func admit(_ request: Request) -> Response? { nil }
    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        try next(request)
    }
}
