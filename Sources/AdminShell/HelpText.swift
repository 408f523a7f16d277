/// The text of `help` and `help COMMAND`, fitted to the terminal's width: summaries wrap at spaces, never inside a
/// word, and a syntax too long for its column gets a line of its own.
enum HelpText {
    /// The syntax column of the command list, in a terminal wide enough for it.
    static let syntaxColumn = 30
    /// Narrower than this, summaries go under their syntax instead of beside it.
    static let sideBySideWidth = syntaxColumn + 30

    static func render(_ topic: String?, width: Int = 80) -> String {
        let width = max(width, 20)
        if let topic, let info = CommandInfo.named(topic) {
            return ([info.syntax] + wrap(info.summary, indent: 2, width: width)
                + wrap("example: " + info.example, indent: 2, width: width)).joined(separator: "\n")
        }
        var lines = ["Commands:"]
        let column = width >= sideBySideWidth ? syntaxColumn : 4
        for info in CommandInfo.all {
            let syntax = "  " + (info.argumentSyntax.isEmpty ? info.name : info.name + " " + info.argumentSyntax)
            var summary = wrap(info.summary, indent: column, width: width)
            if syntax.count < column, let first = summary.first {
                summary[0] = syntax + first.dropFirst(syntax.count)
            } else {
                lines.append(syntax)
            }
            lines += summary
        }
        lines += wrap("'help COMMAND' shows an example; --json makes a reply one JSON object.", indent: 0, width: width)
        lines += wrap("Keys: Tab completes, Up/Down history, Ctrl-C clears the line, Ctrl-D shuts down.", indent: 0,
                      width: width)
        return lines.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` columns, each indented by `indent`, broken at spaces (a single word
    /// longer than a line stands alone).
    static func wrap(_ text: String, indent: Int, width: Int) -> [String] {
        let margin = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = margin
        for word in text.split(separator: " ") {
            if line.count > indent, line.count + 1 + word.count > width {
                lines.append(line)
                line = margin
            }
            line += (line.count > indent ? " " : "") + word
        }
        lines.append(line)
        return lines
    }
}
