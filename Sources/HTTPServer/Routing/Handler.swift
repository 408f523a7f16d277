/// A route's handler: runs on a worker thread; a thrown error becomes a 500 carrying the request id.
public typealias Handler = @Sendable (Request) throws -> Response

/// Receives a request body as it arrives, for routes that must not hold it in memory (uploads).
/// The engine calls `write` for each piece, then `finish` once the body is complete (at once for a request
/// without a body), or `abort` if the client goes away or the body is refused.
public protocol RequestBodySink: AnyObject {
    /// Takes the next piece of the body: a view of the engine's read buffer, valid only during the call (copy
    /// what must be kept). Throwing answers the error's response (see `HTTPError`) and closes.
    func write(_ bytes: Span<UInt8>) throws
    /// Called after the last byte; returns the response.
    func finish() throws -> Response
    /// Called when the body will never complete; clean up whatever was written.
    func abort()
}

/// How a route receives its request body.
public enum BodyPolicy: Sendable {
    /// Read the whole body into `Request.body`, refusing (413) one larger than `maxBytes`.
    case buffered(maxBytes: Int)
    /// Stream the body into the sink the factory makes, refusing (413) one larger than `maxBytes`.
    case streamed(maxBytes: Int, makeSink: @Sendable (Request) throws -> any RequestBodySink)
    /// As `streamed`, with a limit the operator can change live.
    case streamedWithin(BodyLimit, makeSink: @Sendable (Request) throws -> any RequestBodySink)

    var maxBytes: Int {
        switch self {
        case .buffered(let limit), .streamed(let limit, _): limit
        case .streamedWithin(let limit, _): limit.value
        }
    }
}
