/// The parsed request line and header section of one request (RFC 9112 §2–§6).
public struct RequestHead: Sendable {
    /// The protocol version on the request line.
    public enum Version: Sendable, Equatable, CustomStringConvertible {
        case http10, http11
        public var description: String { self == .http10 ? "HTTP/1.0" : "HTTP/1.1" }
    }

    /// How the body is delimited (RFC 9112 §6.3).
    public enum Framing: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    public var method: HTTPMethod
    /// The request target exactly as sent (origin-, absolute- or asterisk-form).
    public var target: String
    /// The path part of the target, still percent-encoded; always starts with `/` (or is `*`).
    public var rawPath: String
    /// The query after `?`, still percent-encoded, or nil.
    public var query: String?
    public var version: Version
    public var headers: HTTPHeaders
    public var framing: Framing
    /// Whether the client allows the connection to stay open after this exchange.
    public var keepAlive: Bool

    /// An absolute-form target (RFC 9112 §3.2.2) split after its `http://` or `https://`, the scheme matched
    /// without regard to case (RFC 9110 §4.2.3: `HTTP://` is the same scheme); nil for any other form. The
    /// authority runs to the first `/` or `?` of `rest`.
    static func afterScheme(ofAbsoluteTarget target: Substring) -> Substring? {
        guard target.utf8.first != .slash, let colon = target.utf8.firstIndex(of: .colon) else { return nil }
        let scheme = target[..<colon]
        guard scheme.equalsIgnoringASCIICase("http") || scheme.equalsIgnoringASCIICase("https"),
              target[colon...].utf8.starts(with: "://".utf8) else { return nil }
        return target[colon...].dropFirst(3)
    }
}
