/// Header fields in the order received, duplicates kept; names compare case-insensitively (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The fields as (name, value) pairs, in order.
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    /// Empty, with room for `count` fields (the parser's usual request has fewer than eight).
    init(reservingCapacity count: Int) {
        fields.reserveCapacity(count)
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// The number of fields.
    public var count: Int { fields.count }

    /// Appends a field, keeping any field of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name, value))
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        fields.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// How many fields are named `name`.
    public func count(of name: String) -> Int {
        var count = 0
        for field in fields where field.name.equalsIgnoringASCIICase(name) { count += 1 }
        return count
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        // One pass, and no array at all when nothing matches (the parser asks for absent fields on every request).
        var found: [String] = []
        for field in fields where field.name.equalsIgnoringASCIICase(name) { found.append(field.value) }
        return found
    }

    /// True when a field named `name` exists.
    public func contains(_ name: String) -> Bool {
        fields.contains { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// True when any comma-separated element of any `name` field equals `token`, ignoring case
    /// (for `Connection: keep-alive, Upgrade`).
    public func hasToken(_ token: String, in name: String) -> Bool {
        // On bytes, without splitting or trimming into new strings: the parser asks this of every request.
        var token = token
        return token.withUTF8 { wanted in
            fields.contains { field in
                guard field.name.equalsIgnoringASCIICase(name) else { return false }
                var value = field.value
                return value.withUTF8 { Self.list(UnsafeRawBufferPointer($0), contains: UnsafeRawBufferPointer(wanted)) }
            }
        }
    }

    /// True when a comma-separated `list` has an element equal to `token` (ASCII case-insensitive), ignoring the
    /// spaces and tabs around elements.
    private static func list(_ list: UnsafeRawBufferPointer, contains token: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        while start <= list.count {
            var end = start
            while end < list.count, list[end] != UInt8(ascii: ",") { end += 1 }
            var lower = start, upper = end
            while lower < upper, list[lower] == .space || list[lower] == .tab { lower += 1 }
            while upper > lower, list[upper - 1] == .space || list[upper - 1] == .tab { upper -= 1 }
            if asciiCaseInsensitiveEqual(UnsafeRawBufferPointer(rebasing: list[lower..<upper]), token) { return true }
            start = end + 1
        }
        return false
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

/// ASCII case-insensitive equality of two byte strings.
func asciiCaseInsensitiveEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for index in 0..<a.count {
        let x = a[index], y = b[index]
        if x == y { continue }
        let folded = x | 0x20
        guard folded == y | 0x20, folded >= 0x61, folded <= 0x7a else { return false }
    }
    return true
}

extension String {
    /// `equalsIgnoringASCIICase` for two strings, on their UTF-8 storage (the common case: header names).
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        var a = self, b = other  // copies of the references, not of the bytes
        return a.withUTF8 { x in
            b.withUTF8 { y in asciiCaseInsensitiveEqual(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) }
        }
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality, without allocating. Compares contiguous bytes when both sides have them
    /// (every native string does): header lookups call this for each field of each request.
    func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        if let result = a.withContiguousStorageIfAvailable({ x in
            b.withContiguousStorageIfAvailable { y in
                asciiCaseInsensitiveEqual(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y))
            }
        }), let result {
            return result
        }
        return zip(a, b).allSatisfy { x, y in x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7a) }
    }

    /// The string without leading and trailing characters from `set`.
    func trimmingCharacters(in set: String) -> String {
        let scalars = Set(set.unicodeScalars)
        var slice = Substring(self)
        while let first = slice.unicodeScalars.first, scalars.contains(first) { slice = slice.dropFirst() }
        while let last = slice.unicodeScalars.last, scalars.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
