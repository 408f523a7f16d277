/// The text of `help` and `help COMMAND`.
enum HelpText {
    /// The syntax column of the command list; a longer syntax gets a line of its own, so the list stays readable
    /// in an 80-column terminal.
    static let syntaxColumn = 30

    static func render(_ topic: String?) -> String {
        if let topic, let info = CommandInfo.named(topic) {
            return "\(info.syntax)\n  \(info.summary)\n  example: \(info.example)"
        }
        var lines = ["Commands:"]
        for info in CommandInfo.all {
            let syntax = info.argumentSyntax.isEmpty ? info.name : info.name + " " + info.argumentSyntax
            if syntax.count < syntaxColumn {
                lines.append("  " + syntax + String(repeating: " ", count: syntaxColumn - syntax.count) + info.summary)
            } else {
                lines.append("  " + syntax)
                lines.append("  " + String(repeating: " ", count: syntaxColumn) + info.summary)
            }
        }
        lines.append("'help COMMAND' shows an example; --json makes a reply one JSON object.")
        lines.append("Keys: Tab completes, Up/Down history, Ctrl-C clears the line, Ctrl-D shuts down.")
        return lines.joined(separator: "\n")
    }
}
