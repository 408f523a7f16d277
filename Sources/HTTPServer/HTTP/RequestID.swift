/// A request's id, echoed as `X-Request-ID`: the client's own when it is short and plain, else one a worker made
/// (16 lowercase hex digits). A made one stays a number until someone asks for its text (`Request.id`, the access
/// log, the security journal): the response head gets its digits written straight into its buffer, so the usual
/// request builds no `String` for it (16 bytes is past the small-string limit, so that `String` would allocate).
struct RequestID: Sendable, CustomStringConvertible {
    private enum Value {
        case made(UInt64)
        case given(String)
    }

    private let value: Value

    /// The id a worker made from `number`.
    init(made number: UInt64) {
        value = .made(number)
    }

    /// An id the client sent (checked by the caller) or an embedder passed.
    init(_ text: String) {
        value = .given(text)
    }

    /// The id as text: a made one as 16 lowercase hex digits.
    var description: String {
        switch value {
        case .given(let text):
            return text
        case .made(let number):
            return String(unsafeUninitializedCapacity: Self.madeLength) { buffer in
                var writer = ByteWriter(buffer)
                writer.write(hex: number)
                return writer.count
            }
        }
    }

    /// The length of `description` in bytes.
    var utf8Count: Int {
        switch value {
        case .given(let text): text.utf8.count
        case .made: Self.madeLength
        }
    }

    /// Writes `description`'s bytes.
    func write(to writer: inout ByteWriter) {
        switch value {
        case .given(let text): writer.write(text)
        case .made(let number): writer.write(hex: number)
        }
    }

    private static let madeLength = 16
}

/// Request ids: a random per-worker prefix and a counter, 16 hex digits, unique without coordination.
struct RequestIDGenerator {
    private let prefix = UInt32.random(in: 0...UInt32.max)
    private var counter: UInt32 = 0

    mutating func next() -> RequestID {
        counter &+= 1
        return RequestID(made: UInt64(prefix) << 32 | UInt64(counter))
    }
}
