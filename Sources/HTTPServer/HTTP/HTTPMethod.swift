/// A request method token. The ones httpsh knows have names; any other valid token is `.other` (→ 501).
public enum HTTPMethod: Sendable, Hashable, CustomStringConvertible {
    case get, head, post, put, patch, delete, options, trace, connect
    case other(String)

    /// Maps a token's bytes to a method without building a `String` for the common ones.
    init(token: UnsafeRawBufferPointer) {
        switch token.count {
        case 3 where token.equals("GET"): self = .get
        case 3 where token.equals("PUT"): self = .put
        case 4 where token.equals("HEAD"): self = .head
        case 4 where token.equals("POST"): self = .post
        case 5 where token.equals("PATCH"): self = .patch
        case 5 where token.equals("TRACE"): self = .trace
        case 6 where token.equals("DELETE"): self = .delete
        case 7 where token.equals("OPTIONS"): self = .options
        case 7 where token.equals("CONNECT"): self = .connect
        default: self = .other(String(decoding: token, as: UTF8.self))
        }
    }

    /// Parses a method name as written in code or a shell (`"GET"`).
    public init(_ name: String) {
        self = Array(name.utf8).withUnsafeBytes { HTTPMethod(token: $0) }
    }

    /// The methods with a meaning in RFC 9110; a route answers 405 for these and 501 for the rest.
    public var isStandard: Bool {
        if case .other = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .patch: "PATCH"
        case .delete: "DELETE"
        case .options: "OPTIONS"
        case .trace: "TRACE"
        case .connect: "CONNECT"
        case .other(let name): name
        }
    }
}
