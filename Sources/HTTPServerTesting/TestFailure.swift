/// Why a test's own setup or helper failed (not what the test checks): one error type for every test target.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
