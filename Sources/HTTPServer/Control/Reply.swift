/// What a command answers: success or failure, and content the shell renders as text or JSON.
///
/// Every value carries two faces, both chosen where the data is made: the text a person reads (`1h 2m 3s`,
/// `1.8 ms`) and a typed JSON value under a stable key (`"uptime_seconds": 3723`, `"p99_ms": 1.8`). JSON keys
/// are never derived from the display labels, so rewording a label does not break a script.
public struct Reply: Sendable, Equatable {
    /// The shape of the answer.
    public enum Content: Sendable, Equatable {
        /// One line of text.
        case message(String)
        /// `Key: value` lines, in order.
        case fields([Field])
        /// An aligned table.
        case table(columns: [Column], rows: [[Cell]])
    }

    /// A typed JSON value. Names (paths, upload names, reasons) are always `.string`, whatever they look like.
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case number(Double)
        case boolean(Bool)
        case null
    }

    /// One `Label: text` line, and its JSON member `key: value`.
    public struct Field: Sendable, Equatable {
        public let label: String
        public let key: String
        public let value: Value
        public let text: String

        public init(_ label: String, key: String, _ value: Value, text: String) {
            self.label = label
            self.key = key
            self.value = value
            self.text = text
        }

        public init(_ label: String, key: String, _ text: String) {
            self.init(label, key: key, .string(text), text: text)
        }

        public init(_ label: String, key: String, _ number: Int) {
            self.init(label, key: key, .integer(number), text: String(number))
        }

        public init(_ label: String, key: String, _ flag: Bool, text: String) {
            self.init(label, key: key, .boolean(flag), text: text)
        }
    }

    /// A table column: its heading and the JSON key of its cells.
    public struct Column: Sendable, Equatable {
        public let label: String
        public let key: String

        public init(_ label: String, key: String) {
            self.label = label
            self.key = key
        }
    }

    /// One table cell: the text shown and the typed JSON value.
    public struct Cell: Sendable, Equatable {
        public let value: Value
        public let text: String

        public init(_ value: Value, text: String) {
            self.value = value
            self.text = text
        }

        /// A name or other text: always a JSON string.
        public static func string(_ text: String) -> Cell { Cell(.string(text), text: text) }
        public static func integer(_ number: Int) -> Cell { Cell(.integer(number), text: String(number)) }
    }

    public let ok: Bool
    public let content: Content

    public init(ok: Bool, content: Content) {
        self.ok = ok
        self.content = content
    }

    public static func done(_ message: String) -> Reply { Reply(ok: true, content: .message(message)) }
    public static func failed(_ message: String) -> Reply { Reply(ok: false, content: .message(message)) }
    public static func fields(_ fields: [Field]) -> Reply { Reply(ok: true, content: .fields(fields)) }
    public static func table(_ columns: [Column], _ rows: [[Cell]]) -> Reply {
        Reply(ok: true, content: .table(columns: columns, rows: rows))
    }

    /// The text of the field under `key`, for tests and completions.
    public func field(_ key: String) -> Field? {
        guard case .fields(let fields) = content else { return nil }
        return fields.first { $0.key == key }
    }

    /// The table's rows as text (empty when the reply is no table).
    public var rowTexts: [[String]] {
        guard case .table(_, let rows) = content else { return [] }
        return rows.map { $0.map(\.text) }
    }
}
