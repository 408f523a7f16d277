/// What a command answers: success or failure, and content the shell renders as text or JSON.
public struct Reply: Sendable, Equatable {
    /// The shape of the answer.
    public enum Content: Sendable, Equatable {
        /// One line of text.
        case message(String)
        /// `Key: value` lines, in order.
        case fields([Field])
        /// An aligned table.
        case table(columns: [String], rows: [[String]])
    }

    /// One `Key: value` pair; `value` is also the JSON value (`number` makes it a JSON number).
    public struct Field: Sendable, Equatable {
        public let key: String
        public let value: String
        public let isNumber: Bool

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
            isNumber = false
        }

        public init(_ key: String, _ value: Int) {
            self.key = key
            self.value = String(value)
            isNumber = true
        }
    }

    public let ok: Bool
    public let content: Content

    public static func done(_ message: String) -> Reply { Reply(ok: true, content: .message(message)) }
    public static func failed(_ message: String) -> Reply { Reply(ok: false, content: .message(message)) }
    public static func fields(_ fields: [Field]) -> Reply { Reply(ok: true, content: .fields(fields)) }
    public static func table(_ columns: [String], _ rows: [[String]]) -> Reply {
        Reply(ok: true, content: .table(columns: columns, rows: rows))
    }
}
