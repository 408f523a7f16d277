/// Header fields in the order received, duplicates kept; names compare case-insensitively (RFC 9110 §5.1).
///
/// The fields the server reads itself (`KnownField`) are indexed as they are added: a lookup of one of those
/// names, however it is spelled, costs no string compare per field. A request's fields stay the bytes they
/// arrived as (`ReceivedFields`) until read: a `String` is made only for a value asked for.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The fields: a request's as parsed, read in place, until the first change makes them a list.
    private enum Fields {
        case list([(name: String, value: String)])
        case received(ReceivedFields)
    }

    private var stored: Fields
    /// Where the known fields are; kept in step by every mutation.
    private var known: KnownFieldIndex

    public init() {
        stored = .list([])
        known = KnownFieldIndex()
    }

    /// A request's fields as parsed, with the index the parser built while reading their names. Each property
    /// set once (no defaults first): the parser's headers are then built in place, not built, copied and destroyed.
    init(received: ReceivedFields, known: KnownFieldIndex) {
        stored = .received(received)
        self.known = known
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (name, value) in elements { add(name, value) }
    }

    /// The fields as (name, value) pairs, in order.
    public var fields: [(name: String, value: String)] {
        switch stored {
        case .list(let list): list
        case .received(let received): (0..<received.count).map { (received.name(at: $0), received.value(at: $0)) }
        }
    }

    /// The number of fields.
    public var count: Int {
        switch stored {
        case .list(let list): list.count
        case .received(let received): received.count
        }
    }

    /// Appends a field, keeping any field of the same name.
    public mutating func add(_ name: String, _ value: String) {
        if let field = KnownField(name) { known.record(field, at: count) }
        var list = takeList()
        list.append((name, value))
        stored = .list(list)
    }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        guard contains(name) else { return }
        var list = takeList()
        list.removeAll { $0.name.equalsIgnoringASCIICase(name) }
        known = KnownFieldIndex(list)
        stored = .list(list)
    }

    /// The fields as a list to change, moved out of `stored` so that appending to it does not copy it.
    private mutating func takeList() -> [(name: String, value: String)] {
        let list = fields
        stored = .list([])
        return list
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        if let field = KnownField(name) { return self[field] }
        return positions.first { isNamed($0, name) }.map(value(at:))
    }

    /// The first value of `field`, or nil. Whether it occurs is tested inline (`KnownFieldIndex.contains`): most
    /// fields asked of a request (`X-Request-ID` on each) are absent, and then cost no call.
    @inline(__always)
    subscript(field: KnownField) -> String? {
        known.contains(field) ? firstValue(of: field) : nil
    }

    /// The first value of `field`, which occurs.
    private func firstValue(of field: KnownField) -> String? {
        switch known.lookup(field) {
        case .absent: return nil
        case .once(let position): return value(at: position)
        case .scan: return positions(scanningFor: field).first.map(value(at:))
        }
    }

    /// How many fields are named `name`.
    public func count(of name: String) -> Int {
        if let field = KnownField(name) { return count(of: field) }
        return positions.count { isNamed($0, name) }
    }

    /// How many fields are `field`.
    func count(of field: KnownField) -> Int {
        switch known.lookup(field) {
        case .absent: return 0
        case .once: return 1
        case .scan: return positions(scanningFor: field).count
        }
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        if let field = KnownField(name) { return values(field) }
        return positions.filter { isNamed($0, name) }.map(value(at:))
    }

    /// Every value of `field`, in order.
    func values(_ field: KnownField) -> [String] {
        switch known.lookup(field) {
        case .absent: return []
        case .once(let position): return [value(at: position)]
        case .scan: return positions(scanningFor: field).map(value(at:))
        }
    }

    /// True when a field named `name` exists.
    public func contains(_ name: String) -> Bool {
        if let field = KnownField(name) { return contains(field) }
        return positions.contains { isNamed($0, name) }
    }

    /// True when `field` exists. Inlined (see `KnownFieldIndex.contains`).
    @inline(__always)
    func contains(_ field: KnownField) -> Bool {
        known.contains(field)
    }

    /// True when any comma-separated element of any `name` field equals `token`, ignoring case
    /// (for `Connection: keep-alive, Upgrade`).
    public func hasToken(_ token: String, in name: String) -> Bool {
        if let field = KnownField(name) { return hasToken(token, in: field) }
        return positions.contains { isNamed($0, name) && value(at: $0, hasToken: token) }
    }

    /// True when any comma-separated element of any `field` equals `token`, ignoring case.
    func hasToken(_ token: String, in field: KnownField) -> Bool {
        switch known.lookup(field) {
        case .absent: return false
        case .once(let position): return value(at: position, hasToken: token)
        case .scan: return positions(scanningFor: field).contains { value(at: $0, hasToken: token) }
        }
    }

    /// The persistence options every `Connection` field lists, in one pass over their values. Without the field
    /// (HTTP/1.1 clients need not send it), told inline, with no call.
    @inline(__always)
    var connectionOptions: ConnectionOptions {
        known.contains(.connection) ? listedConnectionOptions : []
    }

    /// `connectionOptions` of a set with a `Connection` field.
    private var listedConnectionOptions: ConnectionOptions {
        switch known.lookup(.connection) {
        case .absent: return []
        case .once(let position): return withValue(at: position, ConnectionOptions.init(list:))
        case .scan:
            return positions(scanningFor: .connection).reduce(into: []) { options, position in
                options.formUnion(withValue(at: position, ConnectionOptions.init(list:)))
            }
        }
    }

    /// Calls `body` with the bytes of the first value of `field`, or nil: for checks that need no `String`.
    func withValue<Result>(_ field: KnownField, _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
        let position: Int?
        switch known.lookup(field) {
        case .absent: position = nil
        case .once(let found): position = found
        case .scan: position = positions(scanningFor: field).first
        }
        guard let position else { return body(nil) }
        return withValue(at: position, body)
    }

    /// The address of the storage holding the fields: the same for copies of one set, different for any two sets
    /// alive at once (a copy kept alive keeps its address from being reused), new after any change. Every empty
    /// set shares one. Not `fields`' address: a request's fields are a new array each time they are asked for.
    var storageIdentity: UInt {
        switch stored {
        case .list(let list): list.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        case .received(let received): received.storageIdentity
        }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    // MARK: - Fields by position

    private var positions: Range<Int> { 0..<count }

    /// Where `field` is, found by comparing names: for a field the index does not place (`.scan`: repeated, or
    /// far down), rare enough to be kept out of line, so that the lookups of the usual request stay small.
    @inline(never)
    private func positions(scanningFor field: KnownField) -> [Int] {
        positions.filter { isNamed($0, field.name) }
    }

    private func value(at position: Int) -> String {
        switch stored {
        case .list(let list): list[position].value
        case .received(let received): received.value(at: position)
        }
    }

    /// Calls `body` with the bytes of the value at `position`. A request's are found first and `body` called
    /// after, out of the scope of the received fields taken from `stored`: called inside it, `body` (opaque to
    /// the optimizer) kept a copy of them alive around itself, a retain and release per read.
    private func withValue<Result>(at position: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let bytes = receivedValueBytes(at: position) { return body(bytes) }
        var value = value(at: position)  // a copy of the reference, not of the bytes
        return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// The bytes of a request's value at `position`, valid while this set lives; nil for a list's.
    private func receivedValueBytes(at position: Int) -> UnsafeRawBufferPointer? {
        guard case .received(let received) = stored else { return nil }
        return received.valueBytes(at: position)
    }

    /// True when the field at `position` is named `name`, ignoring case.
    private func isNamed(_ position: Int, _ name: String) -> Bool {
        switch stored {
        case .list(let list):
            return list[position].name.equalsIgnoringASCIICase(name)
        case .received(let received):
            var name = name  // a copy of the reference, not of the bytes
            return received.withName(at: position) { received in
                name.withUTF8 { asciiCaseInsensitiveEqual(received, UnsafeRawBufferPointer($0)) }
            }
        }
    }

    /// True when the value at `position`, a comma-separated list, has an element equal to `token`.
    private func value(at position: Int, hasToken token: String) -> Bool {
        var token = token  // a copy of the reference, not of the bytes
        return withValue(at: position) { list in token.withUTF8 { Self.list(list, contains: UnsafeRawBufferPointer($0)) } }
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
