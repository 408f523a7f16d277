/// One HTTP response as a `RawClient` read it off the wire.
public struct RawResponse: Sendable {
    /// The status code (`200`).
    public let status: Int
    /// The reason phrase (`OK`).
    public let reason: String
    /// The header fields in order, duplicates kept, names as sent.
    public let headers: [(name: String, value: String)]
    /// The body bytes (empty for HEAD, 1xx, 204 and 304).
    public let body: [UInt8]

    /// The first value of a header, matching the name case-insensitively.
    public subscript(name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of a header, in order.
    public func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The body decoded as UTF-8.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// True when the server said it will close the connection after this response.
    public var closesConnection: Bool { self["Connection"]?.lowercased() == "close" }
}
