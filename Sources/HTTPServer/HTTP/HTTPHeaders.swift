/// Header fields in the order received, duplicates kept; names compare case-insensitively (RFC 9110 §5.1).
///
/// The fields the server reads itself (`KnownField`) are indexed as they are added: a lookup of one of those
/// names, however it is spelled, costs no string compare per field.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The fields as (name, value) pairs, in order.
    public private(set) var fields: [(name: String, value: String)] = []
    /// Where the known fields are in `fields`; kept in step by every mutation.
    private var known = KnownFieldIndex()

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
        append(name, value, known: KnownField(name))
    }

    /// Appends a field whose name the caller has already classified (the parser, from the name's bytes).
    mutating func append(_ name: String, _ value: String, known field: KnownField?) {
        if let field { known.record(field, at: fields.count) }
        fields.append((name, value))
    }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        let before = fields.count
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
        if fields.count != before { known = KnownFieldIndex(fields) }
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        if let field = KnownField(name) { return self[field] }
        return fields.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// The first value of `field`, or nil.
    subscript(field: KnownField) -> String? {
        switch known.lookup(field) {
        case .absent: return nil
        case .once(let position): return fields[position].value
        case .scan: return fields.first { $0.name.equalsIgnoringASCIICase(field.name) }?.value
        }
    }

    /// How many fields are named `name`.
    public func count(of name: String) -> Int {
        if let field = KnownField(name) { return count(of: field) }
        return fields.count { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// How many fields are `field`.
    func count(of field: KnownField) -> Int {
        switch known.lookup(field) {
        case .absent: return 0
        case .once: return 1
        case .scan: return fields.count { $0.name.equalsIgnoringASCIICase(field.name) }
        }
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        if let field = KnownField(name) { return values(field) }
        return fields.compactMap { $0.name.equalsIgnoringASCIICase(name) ? $0.value : nil }
    }

    /// Every value of `field`, in order.
    func values(_ field: KnownField) -> [String] {
        switch known.lookup(field) {
        case .absent: return []
        case .once(let position): return [fields[position].value]
        case .scan: return fields.compactMap { $0.name.equalsIgnoringASCIICase(field.name) ? $0.value : nil }
        }
    }

    /// True when a field named `name` exists.
    public func contains(_ name: String) -> Bool {
        if let field = KnownField(name) { return contains(field) }
        return fields.contains { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// True when `field` exists.
    func contains(_ field: KnownField) -> Bool {
        known.lookup(field) != .absent
    }

    /// True when any comma-separated element of any `name` field equals `token`, ignoring case
    /// (for `Connection: keep-alive, Upgrade`).
    public func hasToken(_ token: String, in name: String) -> Bool {
        if let field = KnownField(name) { return hasToken(token, in: field) }
        return fields.contains { $0.name.equalsIgnoringASCIICase(name) && Self.list($0.value, contains: token) }
    }

    /// True when any comma-separated element of any `field` equals `token`, ignoring case.
    func hasToken(_ token: String, in field: KnownField) -> Bool {
        switch known.lookup(field) {
        case .absent: return false
        case .once(let position): return Self.list(fields[position].value, contains: token)
        case .scan:
            return fields.contains { $0.name.equalsIgnoringASCIICase(field.name) && Self.list($0.value, contains: token) }
        }
    }

    /// `list(_:contains:)` on the strings' UTF-8 storage, without splitting or trimming into new strings.
    private static func list(_ list: String, contains token: String) -> Bool {
        var list = list, token = token  // copies of the references, not of the bytes
        return list.withUTF8 { list in
            token.withUTF8 { Self.list(UnsafeRawBufferPointer(list), contains: UnsafeRawBufferPointer($0)) }
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
