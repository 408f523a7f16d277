import HTTPServer

/// What every server of a fleet answered to one command, and how it is printed (README, "One shell for the
/// fleet"). Everything a server sent is escaped for the terminal (`TerminalText`) before it is printed.
struct FleetReply {
    /// One server's part: its reply, or why there was none (unreachable, no reply in time, gone).
    enum Answer: Equatable {
        case reply(ControlClient.Reply)
        case failed(String)
    }

    let answers: [(label: String, answer: Answer)]

    /// True when every server answered and every reply was a success.
    var ok: Bool {
        answers.allSatisfy { if case .reply(let reply) = $0.answer { reply.ok } else { false } }
    }

    /// The text to print: one merged table with an INSTANCE column when `mergeTables` and the replies are
    /// tables; else each server's reply under its label (`web1: workers: 2 -> 3` for one line, a `== web1 ==`
    /// heading above several). Servers without a reply get one line each, after the table.
    func text(mergeTables: Bool) -> String {
        let replies = answers.compactMap { label, answer in
            if case .reply(let reply) = answer, reply.ok { (label, reply.text) } else { nil }
        }
        if mergeTables, !replies.isEmpty, let table = MergedTable.merge(replies) {
            let others = answers.filter { label, _ in !replies.contains { $0.0 == label } }
            return ([table] + others.map { line($0.label, $0.answer) }).joined(separator: "\n")
        }
        return answers.map { line($0.label, $0.answer) }.joined(separator: "\n")
    }

    /// One JSON document on one line: `{"ok":…,"instances":{LABEL:REPLY,…},"errors":{LABEL:TEXT,…}}`. Each
    /// instance's object is its server's `--json` reply as sent; a server that did not answer (or answered
    /// something that is not a JSON object) is in `errors` instead. `ok` is true when every reply is a success.
    func json() -> String {
        var instances: [String] = []
        var errors: [String] = []
        for (label, answer) in answers {
            switch answer {
            case .reply(let reply) where Self.isJSONObject(reply.text):
                instances.append(JSONText.quoted(label) + ":" + reply.text)
            case .reply(let reply):
                errors.append(JSONText.quoted(label) + ":" + JSONText.quoted("unexpected reply: " + reply.text))
            case .failed(let why):
                errors.append(JSONText.quoted(label) + ":" + JSONText.quoted(why))
            }
        }
        return "{\"ok\":\(ok && errors.isEmpty),\"instances\":{" + instances.joined(separator: ",") + "},\"errors\":{"
            + errors.joined(separator: ",") + "}}"
    }

    private var labelWidth: Int { answers.map(\.label.count).max() ?? 0 }

    private func line(_ label: String, _ answer: Answer) -> String {
        let label = TerminalText.escaped(label)
        let lead = label + ":" + String(repeating: " ", count: labelWidth - label.count + 1)
        switch answer {
        case .failed(let why):
            return lead + "error: " + TerminalText.escaped(why)
        case .reply(let reply):
            let lines = reply.text.split(separator: "\n", omittingEmptySubsequences: false).map {
                TerminalText.escaped(String($0))
            }
            if reply.text.isEmpty { return lead + (reply.ok ? "done" : "error") }
            if lines.count == 1 { return lead + lines[0] }
            return (["== \(label) =="] + lines).joined(separator: "\n")
        }
    }

    /// True for what a server's `--json` reply is: one line holding an object, nothing a terminal would obey.
    /// Anything else must not be pasted into the document as it is.
    static func isJSONObject(_ text: String) -> Bool {
        text.hasPrefix("{") && text.hasSuffix("}") && !text.unicodeScalars.contains(where: TerminalText.isUnsafe)
    }
}
