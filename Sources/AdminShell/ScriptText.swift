/// Splits operator text into statements and words. Quotes (`'…'` or `"…"`) keep a block reason's spaces and
/// semicolons together, in `-c` scripts and at the prompt alike.
public enum ScriptText {
    /// The statements of a `-c` script: separated by newlines, and by `;` outside quotes.
    public static func statements(_ text: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
                current.append(character)
            } else if character == ";" || character == "\n" || character == "\r\n" {
                statements.append(current)
                current = ""
            } else {
                if character == "'" || character == "\"" { quote = character }
                current.append(character)
            }
        }
        statements.append(current)
        return statements.filter { !$0.allSatisfy(\.isWhitespace) }
    }

    /// One statement's words: split at blanks outside quotes, with the quotes removed. Nil when a quote is not
    /// closed.
    public static func words(_ line: String) -> [String]? {
        let scanned = scan(line)
        return scanned.quoteOpen ? nil : scanned.words
    }

    /// The words of `line` as `words` reads them (the last one kept even inside an open quote, as Tab completion
    /// needs), the last word as typed (quotes included; nil when the line ends between words), and whether a
    /// quote is still open.
    static func scan(_ line: String) -> (words: [String], lastTyped: String?, quoteOpen: Bool) {
        var words: [String] = []
        var current = ""
        var typed = ""
        var inWord = false
        var quote: Character?
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                typed.append(character)
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                (current, typed, inWord) = ("", "", false)
            } else {
                inWord = true
                typed.append(character)
                if character == "'" || character == "\"" { quote = character } else { current.append(character) }
            }
        }
        guard inWord else { return (words, nil, quote != nil) }
        return (words + [current], typed, quote != nil)
    }
}
