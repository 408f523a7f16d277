/// Checks, as the bytes arrive, that they form exactly one JSON text (RFC 8259): grammar, string escapes and
/// UTF-8. It builds nothing and holds only the nesting stack, so a 64 MiB document costs what a small one does,
/// and the body never has to be read back from the disk.
struct JSONValidator {
    /// Deeper nesting is refused: no real document needs it, and it bounds the stack.
    static let maxDepth = 512

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// Where and why the text stopped being JSON.
    struct Failure: Error, Equatable, CustomStringConvertible {
        let reason: String
        /// Bytes before the offending one (the body's length for a premature end).
        let offset: Int

        var description: String { "\(reason) at byte \(offset)" }
    }

    private enum State {
        /// A value must come; `orClose` right after `[`, where `]` may come instead.
        case value(orClose: Bool)
        /// An object key must come; `orClose` right after `{`, where `}` may come instead.
        case key(orClose: Bool)
        case colon
        /// A value ended: `,`, a closing bracket, or (at the top level) only whitespace.
        case afterValue
        case string(isKey: Bool)
        case escape(isKey: Bool)
        case unicodeEscape(isKey: Bool, remaining: Int)
        /// Inside a multi-byte UTF-8 sequence: `remaining` continuation bytes, the next within `low...high`.
        case utf8(isKey: Bool, remaining: Int, low: UInt8, high: UInt8)
        case literal(Literal, matched: Int)
        case number(NumberPart)
    }

    private enum Literal {
        case `true`, `false`, null

        var bytes: StaticString {
            switch self {
            case .true: "true"
            case .false: "false"
            case .null: "null"
            }
        }
    }

    /// Where in `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` the number is.
    private enum NumberPart {
        case minus, zero, integer, point, fraction, exponentMark, exponentSign, exponent

        /// True where the number may end.
        var isComplete: Bool {
            switch self {
            case .zero, .integer, .fraction, .exponent: true
            default: false
            }
        }
    }

    private var state = State.value(orClose: false)
    /// The open containers: `{` or `[`.
    private var stack: [UInt8] = []
    private var offset = 0

    /// Validates the next bytes of the text.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        var i = 0
        while i < bytes.count {
            if case .string(let isKey) = state {
                // Most of a document is plain string content: skip it without a state change per byte.
                var j = i
                while j < bytes.count, bytes[j] >= 0x20, bytes[j] < 0x80, bytes[j] != Self.quote, bytes[j] != Self.backslash {
                    j += 1
                }
                offset += j - i
                i = j
                guard i < bytes.count else { return }
                try string(bytes[i], isKey: isKey)
            } else if try !step(bytes[i]) {
                continue  // the byte ended a number and must be read again as what follows it
            }
            i += 1
            offset += 1
        }
    }

    /// Checks that the text is complete.
    mutating func finish() throws(Failure) {
        if case .number(let part) = state, part.isComplete {
            endValue()
        }
        switch state {
        case .afterValue where stack.isEmpty:
            return
        case .value where stack.isEmpty:
            throw Failure(reason: "the body is empty", offset: offset)
        default:
            throw Failure(reason: "the document ends too early", offset: offset)
        }
    }

    /// Handles one byte outside plain string content; false when the byte must be handled again.
    private mutating func step(_ byte: UInt8) throws(Failure) -> Bool {
        switch state {
        case .value(let orClose):
            if byte.isJSONWhitespace { return true }
            if orClose, byte == UInt8(ascii: "]") {
                stack.removeLast()
                endValue()
                return true
            }
            try startValue(byte)
        case .key(let orClose):
            if byte.isJSONWhitespace { return true }
            if byte == Self.quote {
                state = .string(isKey: true)
            } else if orClose, byte == UInt8(ascii: "}") {
                stack.removeLast()
                endValue()
            } else {
                throw unexpected(byte, "expected a string key")
            }
        case .colon:
            if byte.isJSONWhitespace { return true }
            guard byte == UInt8(ascii: ":") else { throw unexpected(byte, "expected ':' after an object key") }
            state = .value(orClose: false)
        case .afterValue:
            try afterValue(byte)
        case .string(let isKey):
            try string(byte, isKey: isKey)
        case .escape(let isKey):
            switch byte {
            case Self.quote, Self.backslash, .slash, UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                 UInt8(ascii: "r"), UInt8(ascii: "t"):
                state = .string(isKey: isKey)
            case UInt8(ascii: "u"):
                state = .unicodeEscape(isKey: isKey, remaining: 4)
            default:
                throw unexpected(byte, "invalid escape in a string")
            }
        case .unicodeEscape(let isKey, let remaining):
            guard byte.isJSONHexDigit else { throw unexpected(byte, "expected four hex digits after \\u") }
            state = remaining == 1 ? .string(isKey: isKey) : .unicodeEscape(isKey: isKey, remaining: remaining - 1)
        case .utf8(let isKey, let remaining, let low, let high):
            guard byte >= low, byte <= high else { throw Failure(reason: "invalid UTF-8 in a string", offset: offset) }
            state = remaining == 1 ? .string(isKey: isKey) : .utf8(isKey: isKey, remaining: remaining - 1, low: 0x80, high: 0xbf)
        case .literal(let literal, let matched):
            let expected = literal.bytes
            guard byte == expected.utf8Start[matched] else { throw unexpected(byte, "invalid literal (true, false or null)") }
            if matched + 1 == expected.utf8CodeUnitCount {
                endValue()
            } else {
                state = .literal(literal, matched: matched + 1)
            }
        case .number(let part):
            return try number(byte, part)
        }
        return true
    }

    private mutating func startValue(_ byte: UInt8) throws(Failure) {
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard stack.count < Self.maxDepth else {
                throw Failure(reason: "nested deeper than \(Self.maxDepth) levels", offset: offset)
            }
            stack.append(byte)
            state = byte == UInt8(ascii: "{") ? .key(orClose: true) : .value(orClose: true)
        case Self.quote: state = .string(isKey: false)
        case UInt8(ascii: "-"): state = .number(.minus)
        case UInt8(ascii: "0"): state = .number(.zero)
        case UInt8(ascii: "1")...UInt8(ascii: "9"): state = .number(.integer)
        case UInt8(ascii: "t"): state = .literal(.true, matched: 1)
        case UInt8(ascii: "f"): state = .literal(.false, matched: 1)
        case UInt8(ascii: "n"): state = .literal(.null, matched: 1)
        default: throw unexpected(byte, "expected a value")
        }
    }

    private mutating func afterValue(_ byte: UInt8) throws(Failure) {
        if byte.isJSONWhitespace { return }
        guard let open = stack.last else { throw unexpected(byte, "unexpected data after the document") }
        let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
        if byte == UInt8(ascii: ",") {
            state = open == UInt8(ascii: "{") ? .key(orClose: false) : .value(orClose: false)
        } else if byte == close {
            stack.removeLast()
            endValue()
        } else {
            throw unexpected(byte, "expected ',' or '\(Character(Unicode.Scalar(close)))'")
        }
    }

    private mutating func string(_ byte: UInt8, isKey: Bool) throws(Failure) {
        switch byte {
        case Self.quote: state = isKey ? .colon : .afterValue
        case Self.backslash: state = .escape(isKey: isKey)
        case 0..<0x20: throw Failure(reason: "unescaped control character in a string", offset: offset)
        case 0x20..<0x80: break
        // RFC 3629's table of well-formed sequences: no overlong forms, no surrogates, nothing past U+10FFFF.
        case 0xc2...0xdf: state = .utf8(isKey: isKey, remaining: 1, low: 0x80, high: 0xbf)
        case 0xe0: state = .utf8(isKey: isKey, remaining: 2, low: 0xa0, high: 0xbf)
        case 0xe1...0xec, 0xee...0xef: state = .utf8(isKey: isKey, remaining: 2, low: 0x80, high: 0xbf)
        case 0xed: state = .utf8(isKey: isKey, remaining: 2, low: 0x80, high: 0x9f)
        case 0xf0: state = .utf8(isKey: isKey, remaining: 3, low: 0x90, high: 0xbf)
        case 0xf1...0xf3: state = .utf8(isKey: isKey, remaining: 3, low: 0x80, high: 0xbf)
        case 0xf4: state = .utf8(isKey: isKey, remaining: 3, low: 0x80, high: 0x8f)
        default: throw Failure(reason: "invalid UTF-8 in a string", offset: offset)
        }
    }

    /// Advances a number; false when `byte` ends it (and must then be read as what follows).
    private mutating func number(_ byte: UInt8, _ part: NumberPart) throws(Failure) -> Bool {
        let next: NumberPart?
        switch (part, byte) {
        case (.minus, UInt8(ascii: "0")): next = .zero
        case (.minus, UInt8(ascii: "1")...UInt8(ascii: "9")): next = .integer
        case (.integer, UInt8(ascii: "0")...UInt8(ascii: "9")): next = .integer
        case (.zero, UInt8(ascii: ".")), (.integer, UInt8(ascii: ".")): next = .point
        case (.point, UInt8(ascii: "0")...UInt8(ascii: "9")), (.fraction, UInt8(ascii: "0")...UInt8(ascii: "9")):
            next = .fraction
        case (.zero, UInt8(ascii: "e")), (.zero, UInt8(ascii: "E")), (.integer, UInt8(ascii: "e")),
             (.integer, UInt8(ascii: "E")), (.fraction, UInt8(ascii: "e")), (.fraction, UInt8(ascii: "E")):
            next = .exponentMark
        case (.exponentMark, UInt8(ascii: "+")), (.exponentMark, UInt8(ascii: "-")): next = .exponentSign
        case (.exponentMark, UInt8(ascii: "0")...UInt8(ascii: "9")), (.exponentSign, UInt8(ascii: "0")...UInt8(ascii: "9")),
             (.exponent, UInt8(ascii: "0")...UInt8(ascii: "9")):
            next = .exponent
        default: next = nil
        }
        if let next {
            state = .number(next)
            return true
        }
        guard part.isComplete, !byte.isDigit else { throw unexpected(byte, "malformed number") }
        endValue()
        return false
    }

    private mutating func endValue() {
        state = .afterValue
    }

    private func unexpected(_ byte: UInt8, _ expectation: String) -> Failure {
        let shown = (0x21..<0x7f).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        return Failure(reason: "\(expectation), found \(shown)", offset: offset)
    }
}

extension UInt8 {
    /// Space, tab, LF and CR: the only whitespace JSON allows (RFC 8259 §2).
    fileprivate var isJSONWhitespace: Bool { self == .space || self == .tab || self == .lf || self == .cr }

    fileprivate var isJSONHexDigit: Bool {
        isDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
