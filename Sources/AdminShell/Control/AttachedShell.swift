import Glibc

/// A shell on servers that are already running: `AttachSession` (one server) and `FleetSession` (a fleet). Where
/// their lines come from is the same for both: `-c` statements, else the prompt at a terminal (history, Tab
/// completion asked of the servers, Ctrl-C), else standard input line by line.
protocol AttachedShell: AnyObject {
    /// True once the session should end: `exit`, Ctrl-D, the servers gone.
    var leaving: Bool { get set }
    /// The prompt while the interactive loop runs, for the questions `execute` asks.
    var editor: LineEditor? { get set }
    /// What the prompt shows before each line.
    var promptText: String { get }
    /// What is printed above the first prompt.
    var banner: String { get }
    /// What is printed when every server closed its connection.
    var goneMessage: String { get }
    /// True once every server closed its connection (asked while the prompt waits; must not block).
    var serversGone: Bool { get }
    /// The words Tab offers for `source`.
    func completions(_ source: Completer.Source) -> [String]
    /// The `@LABEL` words Tab offers first (a fleet's servers).
    var addresses: [String] { get }
    /// Runs one line.
    func execute(_ line: String)
    /// Prints text from the servers, escaped for the terminal.
    func print(_ text: String)
}

extension AttachedShell {
    /// Runs `commands` (`-c`: statements separated by newlines or `;` outside quotes), else reads lines until
    /// the session leaves or the input ends. Returns true when the lines came from the prompt at a terminal,
    /// where a failed command is answered on screen and does not make the exit status (as in the launching
    /// shell): only scripts report failures through it.
    func runLines(_ commands: String?) -> Bool {
        if let commands {
            for line in ScriptText.statements(commands) where !leaving { execute(line) }
            return false
        } else if isatty(0) == 1, isatty(1) == 1 {
            return runPrompt()
        } else {
            readPlainLines()
            return false
        }
    }

    private func readPlainLines() {
        let reader = LineReader(fd: 0)
        while !leaving, let line = reader.next() { execute(line) }
    }

    /// The interactive loop; false when line editing could not start and lines were read plainly instead.
    private func runPrompt() -> Bool {
        var completer = Completer { [unowned self] source in completions(source) }
        completer.addresses = addresses
        let historyPath = getenv("HOME").map { String(cString: $0) + "/.httpsh_history" }
        guard let editor = LineEditor(completer: completer, logs: nil, historyPath: historyPath,
                                      shouldStop: { [unowned self] in serversGone }) else {
            print("httpsh attach: cannot start line editing; reading commands line by line")
            readPlainLines()
            return false
        }
        self.editor = editor
        defer {
            editor.close()
            self.editor = nil
        }
        print(banner)
        while !leaving {
            switch editor.readLine(prompt: promptText) {
            case .line(let line):
                editor.remember(line)
                execute(line)
            case .interrupted:
                continue
            case .endOfInput:
                print("exit")
                leaving = true
            case .hungUp:
                leaving = true
            case .stopped:
                print(goneMessage)
                leaving = true
            }
        }
        return true
    }
}
