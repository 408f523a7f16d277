import HTTPServer

/// Tab completion for the shell language: command names first, then the words each command accepts. Words that
/// only the running server knows (blocked ranges, upload names) are fetched when Tab is pressed.
struct Completer {
    /// Words that come from the running server.
    enum Source {
        /// The ranges `blocked` lists, for `unblock`.
        case blockedRanges
        /// The files `uploads` lists, for `uploads show`.
        case uploadNames
    }

    /// What Tab does with the text before the cursor.
    enum Outcome: Equatable {
        /// Add this text at the cursor (the rest of the one match and a space, or what all matches share).
        case insert(String)
        /// Replace the last `count` characters (the word being completed) with this text: a match that needs
        /// quotes (an upload name with a space) is written quoted from its start.
        case replace(count: Int, with: String)
        /// Several matches that share nothing more: show them.
        case list([String])
        /// Nothing matches.
        case none
    }

    let serverWords: (Source) -> [String]
    /// The `@LABEL` words a fleet shell takes before a command (`@web1 status`); none for one server.
    var addresses: [String] = []

    /// Completes the last word of `textBeforeCursor` (an empty word after a space). Words are read as the parser
    /// reads them (quotes group), and a match with blanks or quotes in it is completed quoted.
    func complete(_ textBeforeCursor: String) -> Outcome {
        var (words, typed, _) = ScriptText.scan(textBeforeCursor)
        let partial = typed.map { _ in words.removeLast() } ?? ""
        // `@web1 sta` completes as `sta` does.
        if words.first?.hasPrefix("@") == true { words.removeFirst() }
        let firstWords = partial.hasPrefix("@") ? addresses : CommandInfo.all.map(\.name)
        let candidates = words.isEmpty ? firstWords : candidates(after: words)
        var matches: [String] = []
        for candidate in candidates where candidate.hasPrefix(partial) && !matches.contains(candidate) {
            matches.append(candidate)
        }
        guard let first = matches.first else { return .none }
        let shared = matches.dropFirst().reduce(first) { shared, match in
            String(zip(shared, match).prefix { $0 == $1 }.map(\.0))
        }
        guard matches.count == 1 || shared.count > partial.count else { return .list(matches) }
        let typedQuote = typed?.first.flatMap { $0 == "'" || $0 == "\"" ? $0 : nil }
        if typedQuote != nil || Self.needsQuotes(shared), let quote = Self.quote(for: first, typed: typedQuote) {
            let closing = matches.count == 1 ? "\(quote) " : ""
            return .replace(count: typed?.unicodeScalars.count ?? 0, with: "\(quote)\(shared)\(closing)")
        }
        return .insert(String(shared.dropFirst(partial.count)) + (matches.count == 1 ? " " : ""))
    }

    /// Whether `word` must be quoted to stay one word.
    private static func needsQuotes(_ word: String) -> Bool {
        word.contains { $0 == " " || $0 == "\t" || $0 == "'" || $0 == "\"" || $0 == ";" }
    }

    /// The quote mark that can hold `word`: the one already typed, else `'`, else `"`; nil when none can.
    private static func quote(for word: String, typed: Character?) -> Character? {
        [typed, "'", "\""].compactMap { $0 }.first { !word.contains($0) }
    }

    /// The words that may come next after `words` (the command name and its finished arguments).
    func candidates(after words: [String]) -> [String] {
        let name = CommandParser.canonicalName(words[0])
        let arguments = words.dropFirst().filter { $0 != "--json" }
        let json = words.contains("--json") ? [] : ["--json"]
        switch name {
        case "help":
            return arguments.isEmpty ? CommandInfo.all.map(\.name) : []
        case "status", "stats", "blocked":
            return arguments.isEmpty ? json : []
        case "ratelimit":
            if arguments.isEmpty { return ["off"] }
            return arguments.count == 1 && arguments[0] != "off" ? ["burst"] : []
        case "dirlisting", "precompressed":
            return arguments.isEmpty ? ["on", "off"] : []
        case "cors":
            return arguments.isEmpty ? ["off", "*"] : []
        case "loglevel":
            return arguments.isEmpty ? LogLevel.allCases.map(\.description) : []
        case "counters":
            if arguments.isEmpty { return ["top", "reset"] + json }
            if arguments.first == "reset" || arguments.last == "top" { return [] }
            return (arguments.contains("top") ? [] : ["top"]) + json
        case "uploads":
            if arguments.isEmpty { return ["show"] + json }
            return arguments == ["show"] ? serverWords(.uploadNames) : []
        case "unblock":
            return arguments.isEmpty ? serverWords(.blockedRanges) : []
        case "events":
            if arguments.isEmpty { return ["top", "client"] + json }
            return arguments.last == "client" || arguments.first == "top" ? [] : ["client"] + json
        case "autoblock":
            if arguments.isEmpty { return ["off"] }
            return arguments.count == 1 && arguments[0] != "off" ? ["for"] : []
        case "log":
            if arguments.isEmpty { return ["reopen", "follow"] }
            guard arguments.first == "follow" else { return [] }
            let filters = arguments.dropFirst()
            if filters.count % 2 == 1 { return filters.last == "status" ? ["4xx", "5xx"] : [] }
            return ["status", "path", "client"].filter { !filters.contains($0) }
        case "shutdown":
            return arguments.isEmpty ? ["--grace", "now"] : []
        default:
            return []
        }
    }

    /// `words` in columns that fit `width`, filled row by row, as lines.
    static func columns(_ words: [String], width: Int) -> [String] {
        let cell = (words.map(\.count).max() ?? 0) + 2
        let perLine = max(1, width / cell)
        return stride(from: 0, to: words.count, by: perLine).map { start in
            let line = words[start..<min(start + perLine, words.count)]
            return line.map { $0 + String(repeating: " ", count: cell - $0.count) }.joined()
                .trimmingTrailingSpaces()
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
