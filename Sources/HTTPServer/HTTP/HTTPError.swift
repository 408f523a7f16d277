/// An error a handler throws to answer with a specific status and a short reason shown to the client.
///
/// ```swift
/// throw HTTPError(.notFound, "no user \(id)")
/// ```
public struct HTTPError: Error, Sendable {
    /// The response status.
    public let status: HTTPStatus
    /// Shown to the client in the error page; never put internals here.
    public let reason: String
    /// Added to the error response (`Allow`, `Retry-After`, CORS fields).
    public var headers: HTTPHeaders

    /// An error answering `status` with `reason`.
    public init(_ status: HTTPStatus, _ reason: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }
}
