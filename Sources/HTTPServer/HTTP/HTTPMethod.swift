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

    /// The named methods, in the order of `number`.
    static let named: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect]
    /// `number` of every `.other` method.
    static let otherNumber = 9

    /// The method's place in `named` (`otherNumber` for `.other`): one small integer to compare or index with,
    /// where `==` has to look for a `String` in both methods (routing and metrics ask on every request).
    var number: Int {
        switch self {
        case .get: 0
        case .head: 1
        case .post: 2
        case .put: 3
        case .patch: 4
        case .delete: 5
        case .options: 6
        case .trace: 7
        case .connect: 8
        case .other: Self.otherNumber
        }
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
