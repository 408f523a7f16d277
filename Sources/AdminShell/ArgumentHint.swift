/// The dimmed hint shown after the cursor, redis-cli style: once a command name is typed, what may follow it
/// (`ratelimit ` → `N/SECONDS [burst B] | off`); after a word that takes a value, that value (`top ` → `N`).
enum ArgumentHint {
    /// The hint for `line` with the cursor at its end, or nil when there is nothing useful to say.
    static func hint(for line: String) -> String? {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        // A fleet's `@web1 workers ` hints as `workers ` does.
        if words.first?.hasPrefix("@") == true { words.removeFirst() }
        guard let first = words.first, !first.hasPrefix("#"), let info = CommandInfo.named(first) else { return nil }
        let endsWord = line.last == " " || line.last == "\t"
        let syntax = info.argumentSyntax
        if words.count == 1 {
            guard !syntax.isEmpty else { return nil }
            return endsWord ? syntax : " " + syntax
        }
        guard endsWord else { return nil }
        let arguments = words.dropFirst().filter { $0 != "--json" }
        switch (info.name, arguments.last) {
        case (_, "top"): return "N"
        case (_, "burst"): return "B"
        case (_, "--grace"): return "SECONDS"
        case ("uploads", "show"): return "NAME"
        case ("ratelimit", let limit?) where arguments.count == 1 && limit != "off": return "[burst B]"
        case ("block", _) where arguments.count == 1: return "[REASON]"
        default: return nil
        }
    }
}
