/// ETag and Last-Modified validators for a file, and the conditional-request checks that use them
/// (RFC 9110 §8.8 and §13).
public struct Validators: Sendable, Equatable {
    /// A strong entity tag built from size and modification time, like nginx's.
    public let etag: String
    /// Modification time, Unix seconds.
    public let modified: Int

    public init(size: Int, modifiedSeconds: Int, modifiedNanoseconds: Int = 0) {
        etag = "\"\(String(modifiedSeconds, radix: 16))\(String(modifiedNanoseconds / 1000, radix: 16))-\(String(size, radix: 16))\""
        modified = modifiedSeconds
    }

    /// True when the client's cached copy is current: `If-None-Match` matches (weak comparison), or, without
    /// `If-None-Match`, `If-Modified-Since` is not older than the file.
    public func notModified(_ headers: HTTPHeaders) -> Bool {
        if let match = headers["If-None-Match"] {
            return Self.list(match).contains { $0 == "*" || Self.weakEqual($0, etag) }
        }
        if let since = headers["If-Modified-Since"], let date = HTTPDate.parse(since) {
            return modified <= date
        }
        return false
    }

    /// True when a `Range` may be honoured: no `If-Range`, or it names this exact representation
    /// (a strong ETag match or the same Last-Modified date).
    public func rangeAllowed(_ headers: HTTPHeaders) -> Bool {
        guard let condition = headers["If-Range"] else { return true }
        if condition.hasPrefix("\"") { return condition == etag }
        if condition.hasPrefix("W/") { return false }
        return HTTPDate.parse(condition) == modified
    }

    private static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }
    }

    private static func weakEqual(_ a: String, _ b: String) -> Bool {
        func opaque(_ tag: String) -> Substring { tag.hasPrefix("W/") ? tag.dropFirst(2) : Substring(tag) }
        return opaque(a) == opaque(b)
    }
}
