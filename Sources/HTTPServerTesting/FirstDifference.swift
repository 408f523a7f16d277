/// Where `actual` first differs from `expected`, said in a line for a test's message; nil when they hold the same
/// bytes.
///
/// For bodies of more than a few kilobytes, write `#expect(firstDifference(body, expected) == nil)`, not
/// `#expect(body == expected)`: when two collections differ, Swift Testing computes their difference for its
/// message, and for megabytes that takes minutes (a 3 MiB body once held a test run for over ten).
public func firstDifference(_ actual: some Collection<UInt8>, _ expected: some Collection<UInt8>) -> String? {
    var offset = 0
    var actualBytes = actual.makeIterator()
    var expectedBytes = expected.makeIterator()
    while true {
        switch (actualBytes.next(), expectedBytes.next()) {
        case (nil, nil):
            return nil
        case let (got?, wanted?) where got == wanted:
            offset += 1
        case let (got, wanted):
            return "\(actual.count) bytes against \(expected.count) expected; first difference at byte \(offset): "
                + "\(got.map { String($0) } ?? "end") where \(wanted.map { String($0) } ?? "end") was expected"
        }
    }
}
