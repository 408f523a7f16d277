/// JSON string literals written by hand: error bodies, access-log lines, upload replies and the shell's `--json`
/// output share this one escaper, so none of them can emit invalid JSON for a hostile string.
public enum JSONText {
    /// `text` escaped for the inside of a JSON string literal (quotes, backslashes, control characters).
    public static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // Controls, C1 controls and bidi overrides too: JSON lines are read on terminals (TerminalText).
            case let c where TerminalText.isUnsafe(c):
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text` as a complete JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String {
        "\"" + escaped(text) + "\""
    }
}
