import Glibc

/// A failed system call on a socket, with errno mapped in one place.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    /// The call that failed, e.g. "bind".
    public let call: String
    /// The errno value.
    public let code: Int32

    /// Captures the current `errno` for `call`.
    public init(_ call: String, code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    public var description: String {
        "\(call): \(String(cString: strerror(code)))"
    }
}
