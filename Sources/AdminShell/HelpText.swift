/// The text of `help` and `help COMMAND`.
enum HelpText {
    static func render(_ topic: String?) -> String {
        if let topic, let info = CommandInfo.named(topic) {
            return "\(info.syntax)\n  \(info.summary)\n  example: \(info.example)"
        }
        let width = CommandInfo.all.map(\.syntax.count).max() ?? 0
        let lines = CommandInfo.all.map { info in
            "  " + info.syntax + String(repeating: " ", count: width - info.syntax.count + 2) + info.summary
        }
        return (["Commands:"] + lines + ["Type 'help COMMAND' for an example."]).joined(separator: "\n")
    }
}
