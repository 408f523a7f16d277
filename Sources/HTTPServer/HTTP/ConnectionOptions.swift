/// The options of a request's `Connection` field that decide whether the connection persists (RFC 9112 §9.3):
/// `close` and `keep-alive`, read in one pass over the field's values.
struct ConnectionOptions: OptionSet, Sendable {
    let rawValue: UInt8

    static let close = ConnectionOptions(rawValue: 1)
    static let keepAlive = ConnectionOptions(rawValue: 2)

    init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// The options a comma-separated list names, ASCII case-insensitively, ignoring spaces and tabs around its
    /// elements and any other option.
    init(list: UnsafeRawBufferPointer) {
        var options: ConnectionOptions = []
        var start = 0
        while start < list.count {
            var end = start
            while end < list.count, list[end] != UInt8(ascii: ",") { end += 1 }
            var lower = start, upper = end
            while lower < upper, list[lower] == .space || list[lower] == .tab { lower += 1 }
            while upper > lower, list[upper - 1] == .space || list[upper - 1] == .tab { upper -= 1 }
            let element = UnsafeRawBufferPointer(rebasing: list[lower..<upper])
            if asciiCaseInsensitiveEqual(element, Self.bytes("close")) {
                options.insert(.close)
            } else if asciiCaseInsensitiveEqual(element, Self.bytes("keep-alive")) {
                options.insert(.keepAlive)
            }
            start = end + 1
        }
        self = options
    }

    /// A literal's bytes, with no global to initialize.
    @inline(__always)
    private static func bytes(_ literal: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
    }
}
