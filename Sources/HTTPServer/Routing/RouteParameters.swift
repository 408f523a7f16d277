/// The values a route's `:name` and `*name` segments captured, percent-decoded, looked up by name:
/// `request.parameters["id"]`. A list in pattern order rather than a dictionary: a route captures a handful of
/// values, and building a dictionary for every request cost more than finding the route. A name used twice in
/// one pattern answers with its last value.
public struct RouteParameters: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral,
                               CustomStringConvertible {
    /// The captured names, in pattern order: the route's own array, shared rather than copied per request.
    private let names: [String]
    private let values: [String]

    /// Pairs `names` with `values`, which the router captured in the same order.
    init(names: [String], values: [String]) {
        self.names = names
        self.values = values
    }

    /// No parameters, for a route without any.
    static let none = RouteParameters(names: [], values: [])

    /// Parameters written out, for tests and for handlers called directly (`["id": "42"]`).
    public init(dictionaryLiteral elements: (String, String)...) {
        names = elements.map(\.0)
        values = elements.map(\.1)
    }

    /// The value captured under `name`, or nil when the route has no such parameter.
    public subscript(name: String) -> String? {
        var index = values.count
        while index > 0 {
            index -= 1
            if names[index] == name { return values[index] }
        }
        return nil
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { values.count }
    public subscript(position: Int) -> (name: String, value: String) { (names[position], values[position]) }

    /// Equal when every name has the same value, whatever the order, as dictionaries compare.
    public static func == (lhs: RouteParameters, rhs: RouteParameters) -> Bool {
        lhs.dictionary == rhs.dictionary
    }

    public var description: String { dictionary.description }

    /// The last value of each name.
    private var dictionary: [String: String] {
        Dictionary(zip(names, values), uniquingKeysWith: { _, last in last })
    }
}
