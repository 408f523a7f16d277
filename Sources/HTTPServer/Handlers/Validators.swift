/// ETag and Last-Modified validators for a file, and the conditional-request checks that use them
/// (RFC 9110 §8.8 and §13).
public struct Validators: Sendable, Equatable {
    /// A strong entity tag built from size and modification time, like nginx's.
    public let etag: String
    /// Modification time, Unix seconds.
    public let modified: Int

    /// `coding` marks a precompressed variant's tag (`"…-1f4.br"`), so it never equals the original's or another
    /// variant's: caches and `If-None-Match` must not mix representations (RFC 9110 §8.8.3).
    public init(size: Int, modifiedSeconds: Int, modifiedNanoseconds: Int = 0, coding: ContentCoding? = nil) {
        // `"<seconds hex><microseconds hex>-<size hex>"`, written as bytes: this runs for every file response.
        var tag: [UInt8] = [UInt8(ascii: "\"")]
        tag.reserveCapacity(40)
        Self.appendHex(modifiedSeconds, to: &tag)
        Self.appendHex(modifiedNanoseconds / 1000, to: &tag)
        tag.append(UInt8(ascii: "-"))
        Self.appendHex(size, to: &tag)
        if let coding { tag.append(contentsOf: coding.suffix.utf8) }
        tag.append(UInt8(ascii: "\""))
        etag = String(decoding: tag, as: UTF8.self)
        modified = modifiedSeconds
    }

    /// Appends `value` in lowercase hexadecimal, as `String(value, radix: 16)` spells it.
    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        guard value > 0 else {
            out.append(contentsOf: String(value, radix: 16).utf8)
            return
        }
        var shift = (Int.bitWidth - value.leadingZeroBitCount - 1) / 4 * 4
        while shift >= 0 {
            let digit = UInt8(truncatingIfNeeded: (value >> shift) & 0xf)
            out.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
            shift -= 4
        }
    }

    /// True when the client's cached copy is current: `If-None-Match` matches (weak comparison), or, without
    /// `If-None-Match`, `If-Modified-Since` is not older than the file.
    public func notModified(_ headers: HTTPHeaders) -> Bool {
        if let match = headers[.ifNoneMatch] {
            return Self.list(match).contains { $0 == "*" || Self.weakEqual($0, etag) }
        }
        if let since = headers[.ifModifiedSince], let date = HTTPDate.parse(since) {
            return modified <= date
        }
        return false
    }

    /// True when a `Range` may be honoured: no `If-Range`, or it names this exact representation
    /// (a strong ETag match or the same Last-Modified date).
    public func rangeAllowed(_ headers: HTTPHeaders) -> Bool {
        guard let condition = headers[.ifRange] else { return true }
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
