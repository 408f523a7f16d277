/// The values a route's `:name` and `*name` segments captured, percent-decoded, looked up by name:
/// `request.parameters["id"]`. A list in pattern order rather than a dictionary: a route captures a handful of
/// values, and building a dictionary for every request cost more than finding the route. Captured values are
/// decoded when asked for: many handlers of a wildcard route (static files) read `request.path` instead, and
/// should not pay for a value they never read. A name used twice in one pattern answers with its last value.
public struct RouteParameters: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral,
                               CustomStringConvertible {
    /// Where the values come from.
    private enum Values: Sendable {
        /// Ranges of the raw path, which the router checked decode.
        case captured(rawPath: String, Captures)
        /// Values written out.
        case given([String])
    }

    /// The captured names, in pattern order: the route's own array, shared rather than copied per request.
    private let names: [String]
    private let values: Values

    /// Pairs `names` with the ranges of `rawPath` the router captured in the same order.
    init(names: [String], rawPath: String, captures: Captures) {
        self.names = names
        values = .captured(rawPath: rawPath, captures)
    }

    /// No parameters, for a route without any.
    static let none: RouteParameters = [:]

    /// Parameters written out, for tests and for handlers called directly (`["id": "42"]`).
    public init(dictionaryLiteral elements: (String, String)...) {
        names = elements.map(\.0)
        values = .given(elements.map(\.1))
    }

    /// The value captured under `name`, or nil when the route has no such parameter.
    public subscript(name: String) -> String? {
        var index = names.count
        while index > 0 {
            index -= 1
            if names[index] == name { return value(at: index) }
        }
        return nil
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { names.count }
    public subscript(position: Int) -> (name: String, value: String) { (names[position], value(at: position)) }

    /// Equal when every name has the same value, whatever the order, as dictionaries compare.
    public static func == (lhs: RouteParameters, rhs: RouteParameters) -> Bool {
        lhs.dictionary == rhs.dictionary
    }

    public var description: String { dictionary.description }

    /// The last value of each name.
    private var dictionary: [String: String] {
        Dictionary(map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    private func value(at index: Int) -> String {
        switch values {
        case .given(let values):
            return values[index]
        case .captured(let rawPath, let captures):
            let bytes = rawPath.utf8
            let range = captures[index]
            let lower = bytes.index(bytes.startIndex, offsetBy: range.lowerBound)
            let upper = bytes.index(lower, offsetBy: range.count)
            let raw = Substring(bytes[lower..<upper])
            // The router matched only ranges that decode.
            return raw.utf8.contains(.percent) ? PercentEncoding.decode(raw) ?? "" : String(raw)
        }
    }
}

/// Where a route's captured values lie in the raw path (UTF-8 offsets) while the router walks it: the first
/// four (`inlineCapacity`) without an allocation, as routes capture few.
struct Captures: Sendable {
    private static let inlineCapacity = 4
    private var inline = InlineArray<4, Range<Int>>(repeating: 0..<0)
    private var overflow: [Range<Int>] = []
    private(set) var count = 0

    /// Inlined: every request to a route with a parameter appends one.
    @inline(__always)
    mutating func append(_ range: Range<Int>) {
        if count < Self.inlineCapacity { inline[count] = range } else { overflow.append(range) }
        count += 1
    }

    mutating func removeLast() {
        count -= 1
        if count >= Self.inlineCapacity { overflow.removeLast() }
    }

    /// Forgets every range; the overflow's array only when it holds some (a release otherwise spent).
    mutating func removeAll() {
        if count > Self.inlineCapacity { overflow = [] }
        count = 0
    }

    subscript(index: Int) -> Range<Int> {
        index < Self.inlineCapacity ? inline[index] : overflow[index - Self.inlineCapacity]
    }
}
