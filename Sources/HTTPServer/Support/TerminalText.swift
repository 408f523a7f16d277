/// Text made safe to print on an operator's terminal. Anything a client sends (a path, a header, an upload's
/// name or contents) can reach the access log above the prompt, a table cell or `uploads show`; a terminal obeys
/// escape sequences, so one could retitle the window, clear the screen, draw a fake prompt or write the
/// clipboard (OSC 52). This is the one function every operator-facing output goes through.
///
/// Escaped: C0 controls and DEL (`\x1b`), C1 controls (U+0080–U+009F, `\u{9b}`: some terminals read them as
/// CSI/OSC), the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, which reorder what the
/// operator sees), and, from raw bytes, invalid UTF-8 (`\xff`). Everything else, non-ASCII text included, passes.
public enum TerminalText {
    /// What to keep of the layout characters, which are harmless to a terminal but break a one-line field.
    public enum Layout: Sendable {
        /// Escape newlines and tabs too: table cells, log lines.
        case singleLine
        /// Keep `\n` and `\t`: multi-line messages and file contents.
        case multiLine
    }

    /// True when `scalar` must not reach a terminal as it is.
    @inline(__always)
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// `text` with every unsafe scalar written as `\xNN` (controls) or `\u{NNNN}` (bidi controls).
    public static func escaped(_ text: String, layout: Layout = .singleLine) -> String {
        // The common case, plain printable text, is returned as it is without building a copy.
        guard text.unicodeScalars.contains(where: { isUnsafe($0) }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if layout == .multiLine, scalar == "\n" || scalar == "\t" {
                out.unicodeScalars.append(scalar)
            } else if isUnsafe(scalar) {
                out += escape(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Raw bytes as safe text: valid UTF-8 is decoded and escaped as above, and each byte that is not part of a
    /// valid sequence becomes `\xNN` (where `String(decoding:)` would hide it behind U+FFFD). `escapedCount` says
    /// how many scalars or bytes were escaped.
    public static func escaped(bytes: [UInt8], layout: Layout = .multiLine) -> (text: String, escapedCount: Int) {
        var out = ""
        out.reserveCapacity(bytes.count)
        var count = 0
        var index = 0
        while index < bytes.count {
            guard let (scalar, length) = scalar(in: bytes, at: index) else {
                out += hex(bytes[index])
                count += 1
                index += 1
                continue
            }
            index += length
            if layout == .multiLine, scalar == "\n" || scalar == "\t" {
                out.unicodeScalars.append(scalar)
            } else if isUnsafe(scalar) {
                out += escape(scalar)
                count += 1
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return (out, count)
    }

    /// The scalar whose UTF-8 encoding starts at `index`, and its length; nil when the bytes there are not a
    /// valid, shortest-form encoding (RFC 3629).
    private static func scalar(in bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let length: Int
        var value: UInt32
        let smallest: UInt32
        switch lead {
        case 0xC2...0xDF: (length, value, smallest) = (2, UInt32(lead & 0x1F), 0x80)
        case 0xE0...0xEF: (length, value, smallest) = (3, UInt32(lead & 0x0F), 0x800)
        case 0xF0...0xF4: (length, value, smallest) = (4, UInt32(lead & 0x07), 0x10000)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        // `Unicode.Scalar` refuses surrogates and values past U+10FFFF.
        guard value >= smallest, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    /// One unsafe scalar as `\xNN` or `\u{NNNN}`.
    public static func escape(_ scalar: Unicode.Scalar) -> String {
        scalar.value <= 0xFF ? hex(UInt8(scalar.value)) : "\\u{" + String(scalar.value, radix: 16) + "}"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return "\\x" + (digits.count == 1 ? "0" + digits : digits)
    }
}
