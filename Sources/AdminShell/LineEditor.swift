import CEditLine
import Glibc
import HTTPServer

/// The interactive prompt, on libedit's histedit API: emacs keys, history in a file, Tab completion, a dimmed
/// argument hint after the cursor, and log lines printed above the prompt without breaking the line being typed.
///
/// libedit reads keys through `readCharacter`, which waits on the keyboard and the log sink's pipe together:
/// between keys it prints waiting log lines above the prompt (then asks libedit to redraw), draws the hint,
/// redraws the line for a new window width (SIGWINCH wakes it through a pipe), and notices when the server is
/// shutting down. Ctrl-C, Ctrl-D, Enter and Tab are bound to this class's functions.
final class LineEditor {
    /// What `readLine` got.
    enum Input: Equatable {
        case line(String)
        /// Ctrl-C: the line was abandoned.
        case interrupted
        /// Ctrl-D on an empty line.
        case endOfInput
        /// The terminal went away (reading it failed or hit its end): a hang-up, not the operator's Ctrl-D.
        case hungUp
        /// `shouldStop` turned true while waiting for a key.
        case stopped
    }

    /// How often the prompt checks `shouldStop` while no key arrives, when no `stopDescriptors` tell it: a
    /// signal-driven shutdown shows within this.
    static let stopCheckMilliseconds: Int32 = 200
    /// History entries kept in memory and in the file.
    static let historySize: Int32 = 1_000

    private let el: OpaquePointer
    private let history: OpaquePointer
    private let files: [UnsafeMutablePointer<FILE>]
    private let originalTerminal: termios
    private let completer: Completer
    private let logs: LineMailbox?
    private let shouldStop: () -> Bool
    /// Descriptors that turn readable when `shouldStop` turns true: with them, the prompt sleeps until a key, a
    /// log line, a resize or one of them, instead of checking every `stopCheckMilliseconds`.
    private let stopDescriptors: [Int32]
    private let historyPath: String?
    /// Ends the wait for a key when the window changes size.
    private let resizes: WindowResizes?
    private let decorations: Bool
    private var prompt: UnsafeMutablePointer<CChar>?
    private var promptWidth = 0
    private var interrupted = false
    private var stopRequested = false
    private var terminalGone = false
    private var pendingByte: UInt8?
    private var hintShown = false
    private var hintDrawnFor: [wchar_t]?
    private var closed = false
    /// True while a `[y/N]` question is asked: Tab completes nothing there.
    private var confirming = false
    /// Ctrl-Z and Ctrl-\ are explained once, then ignored quietly.
    private var explainedSignalKeys = false

    /// Takes over the terminal on descriptors 0 and 1; nil when libedit cannot start. The history is loaded from
    /// `historyPath` and saved there after each line.
    init?(completer: Completer, logs: LineMailbox?, historyPath: String?, stopDescriptors: [Int32] = [],
          shouldStop: @escaping () -> Bool) {
        // libedit decodes keys with the C library's locale: without a UTF-8 one, non-ASCII input is dropped.
        setlocale(LC_CTYPE, "")
        if String(cString: nl_langinfo(Int32(CODESET))) != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }

        // Ctrl-C, Ctrl-\ and Ctrl-Z must never signal the server, also while a command runs: the terminal's
        // signal keys stay off for the whole session (libedit takes this as the cooked mode it returns to).
        var original = termios()
        guard tcgetattr(0, &original) == 0 else { return nil }
        var quiet = original
        quiet.c_lflag &= ~tcflag_t(ISIG)
        tcsetattr(0, TCSADRAIN, &quiet)

        let opened = [fdopen(dup(0), "r"), fdopen(dup(1), "w"), fdopen(dup(2), "w")].compactMap { $0 }
        guard opened.count == 3, let el = el_init("httpsh", opened[0], opened[1], opened[2]),
              let history = history_init() else {
            for file in opened { fclose(file) }
            tcsetattr(0, TCSADRAIN, &original)
            return nil
        }
        self.el = el
        self.history = history
        files = opened
        originalTerminal = original
        self.completer = completer
        self.logs = logs
        self.historyPath = historyPath
        self.shouldStop = shouldStop
        self.stopDescriptors = stopDescriptors
        decorations = getenv("TERM").map { String(cString: $0) } != "dumb"
        resizes = WindowResizes()
        configure()
    }

    deinit {
        close()
    }

    /// Shows `prompt` and edits one line.
    func readLine(prompt text: String) -> Input {
        printWaitingLogs(aboveLine: false)
        free(prompt)
        prompt = strdup(text)
        promptWidth = PromptLayout.displayWidth(text.unicodeScalars.map { wchar_t(bitPattern: $0.value) })
        interrupted = false
        stopRequested = false
        terminalGone = false
        hintShown = false
        hintDrawnFor = nil
        var count: Int32 = 0
        guard let wide = el_wgets(el, &count), count > 0 else {
            if stopRequested { return .stopped }
            if terminalGone { return .hungUp }
            return interrupted ? .interrupted : .endOfInput
        }
        var line = Self.string(UnsafeBufferPointer(start: wide, count: Int(count)))
        if line.last == "\n" { line.removeLast() }
        return .line(line)
    }

    /// Asks a yes/no `question`: true only for an answer starting with y.
    func confirm(_ question: String) -> Bool {
        confirming = true
        defer { confirming = false }
        guard case .line(let answer) = readLine(prompt: question) else { return false }
        return answer.drop { $0 == " " || $0 == "\t" }.lowercased().hasPrefix("y")
    }

    /// Adds a line to the history (and the history file).
    func remember(_ line: String) {
        var entry = line
        while entry.last == " " || entry.last == "\t" { entry.removeLast() }
        guard !entry.isEmpty else { return }
        ceditline_history_enter(history, entry)
        saveHistory()
    }

    /// Gives the terminal back as it was. Safe to call twice.
    func close() {
        guard !closed else { return }
        closed = true
        printWaitingLogs(aboveLine: false)
        saveHistory()
        resizes?.stop()
        el_end(el)
        history_end(history)
        for file in files { fclose(file) }
        var original = originalTerminal
        tcsetattr(0, TCSADRAIN, &original)
        free(prompt)
        prompt = nil
    }

    // MARK: Set-up

    private func configure() {
        ceditline_set_editor(el, "emacs")
        ceditline_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
        ceditline_set_prompt(el, { el in LineEditor.of(el)?.prompt })
        ceditline_set_getcfn(el, { el, character in
            guard let editor = LineEditor.of(el), let character else { return -1 }
            return editor.readCharacter(into: character)
        })
        ceditline_settty(el, "-d", "-isig")
        ceditline_add_function(el, "httpsh-complete", "Complete the word", { el, _ in
            LineEditor.of(el)?.complete() ?? UInt8(CC_ERROR)
        })
        ceditline_add_function(el, "httpsh-interrupt", "Abandon the line", { el, _ in
            LineEditor.of(el)?.interrupt() ?? UInt8(CC_EOF)
        })
        ceditline_add_function(el, "httpsh-end", "Delete a character, or end input on an empty line", { el, _ in
            LineEditor.of(el)?.deleteOrEnd() ?? UInt8(CC_EOF)
        })
        ceditline_add_function(el, "httpsh-accept", "Run the line", { el, _ in
            LineEditor.of(el)?.accept() ?? UInt8(CC_NEWLINE)
        })
        ceditline_add_function(el, "httpsh-signal-key", "Say why Ctrl-Z and Ctrl-\\ do nothing", { el, _ in
            LineEditor.of(el)?.explainSignalKey() ?? UInt8(CC_NORM)
        })
        // Bound after choosing emacs mode, which resets the key map.
        ceditline_bind(el, "^I", "httpsh-complete")
        ceditline_bind(el, "^C", "httpsh-interrupt")
        ceditline_bind(el, "^D", "httpsh-end")
        ceditline_bind(el, "^M", "httpsh-accept")
        ceditline_bind(el, "^J", "httpsh-accept")
        ceditline_bind(el, "^Z", "httpsh-signal-key")
        ceditline_bind(el, "^\\", "httpsh-signal-key")
        // Ctrl- and Alt-arrows move by words, as in bash and zsh (xterm's and tmux's sequences).
        for modifier in ["5", "3"] {
            ceditline_bind(el, "\\e[1;\(modifier)D", "ed-prev-word")
            ceditline_bind(el, "\\e[1;\(modifier)C", "em-next-word")
        }

        ceditline_history_setsize(history, Self.historySize)
        ceditline_history_setunique(history, 1)
        ceditline_set_history(el, history)
        if let historyPath { ceditline_history_load(history, historyPath) }
    }

    private static func of(_ el: OpaquePointer?) -> LineEditor? {
        guard let el, let raw = ceditline_get_clientdata(el) else { return nil }
        return Unmanaged<LineEditor>.fromOpaque(raw).takeUnretainedValue()
    }

    private func saveHistory() {
        guard let historyPath, ceditline_history_save(history, historyPath) >= 0 else { return }
        // The history holds addresses the operator blocked: keep it private.
        chmod(historyPath, 0o600)
    }

    // MARK: Reading keys

    /// libedit's read-character function: returns 1 with a character, 0 at end of input (or to stop), -1 on error.
    private func readCharacter(into character: UnsafeMutablePointer<wchar_t>) -> Int32 {
        while true {
            if pendingByte == nil, !keyWaiting(milliseconds: 0) {
                printWaitingLogs(aboveLine: true)
                if shouldStop() {
                    stopRequested = true
                    write(layout().moveToEnd + "\u{1B}[K\r\n")
                    return 0
                }
                drawHint()
                guard keyWaiting(milliseconds: stopDescriptors.isEmpty ? Self.stopCheckMilliseconds : -1) else { continue }
            }
            guard let lead = nextByte() else {
                terminalGone = true
                return 0
            }
            if let scalar = decode(lead) {
                character.pointee = wchar_t(bitPattern: scalar.value)
                return 1
            }
        }
    }

    /// Waits up to `milliseconds` (-1: no limit) for a key (or the end of the terminal); log lines and the stop
    /// descriptors cut the wait short, and a change of the window's size is handled on the way.
    private func keyWaiting(milliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: logs?.wakeDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: resizes?.descriptor ?? -1, events: Int16(POLLIN), revents: 0)]
            + stopDescriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), milliseconds) > 0 else { return false }
        if fds[2].revents != 0 { windowResized() }
        return fds[0].revents != 0
    }

    /// Tells libedit the new width and draws the prompt and line again. The terminal has reflowed (or cut) the
    /// old rows; the cursor's row under the new width is where a reflowing terminal (tmux, VTE, kitty, iTerm)
    /// put it, so clearing from the prompt's first row down leaves no stale pieces.
    private func windowResized() {
        resizes?.acknowledge()
        el_resize(el)
        write(layout().moveToStart + "\u{1B}[J")
        redraw()
    }

    private func nextByte() -> UInt8? {
        if let byte = pendingByte {
            pendingByte = nil
            return byte
        }
        var byte: UInt8 = 0
        while true {
            let n = read(0, &byte, 1)
            if n == 1 { return byte }
            if n < 0, errno == EINTR { continue }
            return nil
        }
    }

    /// Decodes one UTF-8 character starting with `lead`; nil for an invalid sequence (which is skipped).
    private func decode(_ lead: UInt8) -> Unicode.Scalar? {
        let (length, initial, minimum): (Int, UInt32, UInt32) = switch lead {
        case 0x00...0x7F: (1, UInt32(lead), 0)
        case 0xC2...0xDF: (2, UInt32(lead & 0x1F), 0x80)
        case 0xE0...0xEF: (3, UInt32(lead & 0x0F), 0x800)
        case 0xF0...0xF4: (4, UInt32(lead & 0x07), 0x10000)
        default: (0, 0, 0)
        }
        guard length > 0 else { return nil }
        var value = initial
        for _ in 1..<length {
            guard let byte = nextByte() else { return nil }
            guard byte & 0xC0 == 0x80 else {
                pendingByte = byte
                return nil
            }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum else { return nil }
        return Unicode.Scalar(value)
    }

    // MARK: Key functions

    /// Tab: completes the word before the cursor, or lists the choices under the line.
    private func complete() -> UInt8 {
        guard !confirming else { return UInt8(CC_ERROR) }
        let line = lineState()
        switch completer.complete(Self.string(line.text[..<line.cursor])) {
        case .none:
            return UInt8(CC_ERROR)
        case .insert(let text):
            var wide = text.unicodeScalars.map { wchar_t(bitPattern: $0.value) } + [0]
            el_winsertstr(el, &wide)
            return UInt8(CC_REFRESH)
        case .replace(let count, let text):
            el_deletestr(el, Int32(count))
            var wide = text.unicodeScalars.map { wchar_t(bitPattern: $0.value) } + [0]
            el_winsertstr(el, &wide)
            return UInt8(CC_REFRESH)
        case .list(let choices):
            let table = Completer.columns(choices, width: Int(ceditline_columns(el)) - 1)
            write(layout().moveToEnd + "\u{1B}[K\r\n" + table.map { $0 + "\r\n" }.joined())
            redraw()
            return UInt8(CC_NORM)
        }
    }

    /// Ctrl-C: leaves the line on screen marked `^C` and starts a fresh prompt; never a signal.
    /// Ctrl-Z would stop (and Ctrl-\ kill) the process that serves: the shell turns terminal signals off while
    /// editing, and says so once instead of ignoring the key silently.
    private func explainSignalKey() -> UInt8 {
        guard !explainedSignalKeys else { return UInt8(CC_NORM) }
        explainedSignalKeys = true
        write(layout().moveToEnd + "\u{1B}[K\r\n" + Self.signalKeyNote + "\r\n")
        redraw()
        return UInt8(CC_NORM)
    }

    static let signalKeyNote = "Ctrl-Z and Ctrl-\\ do nothing here: this shell runs inside the server. "
        + "Type 'exit' to stop it; close the terminal to leave it serving (then: httpsh attach)."

    private func interrupt() -> UInt8 {
        interrupted = true
        write(layout().moveToEnd + "^C\u{1B}[K\r\n")
        return UInt8(CC_EOF)
    }

    /// Ctrl-D: ends the input on an empty line, else deletes the character under the cursor.
    private func deleteOrEnd() -> UInt8 {
        let line = lineState()
        if line.text.isEmpty { return UInt8(CC_EOF) }
        guard line.cursor < line.text.count else { return UInt8(CC_ERROR) }
        el_cursor(el, 1)
        el_deletestr(el, 1)
        return UInt8(CC_REFRESH)
    }

    /// Enter: clears the hint and returns the line. A newline is added so that an empty line is not mistaken for
    /// the end of input (libedit returns both as nothing).
    private func accept() -> UInt8 {
        let line = lineState()
        write(layout().moveToEnd + "\u{1B}[K\r\n")
        el_cursor(el, Int32(line.text.count - line.cursor))
        var newline: [wchar_t] = [10, 0]
        el_winsertstr(el, &newline)
        return UInt8(CC_NEWLINE)
    }

    // MARK: Drawing

    /// Prints the lines the server logged since the last look: above the prompt while editing (then redraws the
    /// prompt and the line under them), or plainly between commands.
    private func printWaitingLogs(aboveLine: Bool) {
        guard let logs else { return }
        let (lines, dropped) = logs.take()
        guard !lines.isEmpty || dropped > 0 else { return }
        var text = aboveLine ? layout().moveToStart + "\u{1B}[J" : ""
        for line in lines { text += TerminalText.escaped(line) + "\r\n" }
        if dropped > 0 { text += "(\(dropped) log lines dropped while the terminal was busy)\r\n" }
        write(text)
        if aboveLine { redraw() }
    }

    /// Draws the argument hint after the line (dimmed), or clears an old one, when the line has changed.
    private func drawHint() {
        guard decorations else { return }
        let line = lineState()
        guard hintDrawnFor != line.text + [wchar_t(line.cursor)] else { return }
        hintDrawnFor = line.text + [wchar_t(line.cursor)]
        let layout = layout()
        guard layout.cursorRow == layout.endRow else { return }
        var hint: String?
        if line.cursor == line.text.count { hint = ArgumentHint.hint(for: Self.string(line.text)) }
        guard hint != nil || hintShown else { return }
        let gap = layout.endColumn - layout.cursorColumn
        var output = (gap > 0 ? "\u{1B}[\(gap)C" : "") + "\u{1B}[K"
        var back = gap
        hintShown = false
        if let hint {
            let width = hint.unicodeScalars.count
            if layout.endColumn + width < layout.columns {
                output += "\u{1B}[2m" + hint + "\u{1B}[22m"
                back += width
                hintShown = true
            }
        }
        if back > 0 { output += "\u{1B}[\(back)D" }
        write(output)
    }

    /// Has libedit draw the prompt and the line again from the cursor's row, which it takes as blank.
    private func redraw() {
        ceditline_refresh(el)
        hintShown = false
        hintDrawnFor = nil
    }

    private func layout() -> PromptLayout {
        let line = lineState()
        return PromptLayout(columns: Int(ceditline_columns(el)), promptWidth: promptWidth, text: line.text,
                            cursor: line.cursor)
    }

    /// The line being edited (as wide characters) and the cursor's index in it.
    private func lineState() -> (text: [wchar_t], cursor: Int) {
        guard let info = el_wline(el)?.pointee, let start = info.buffer else { return ([], 0) }
        let count = info.lastchar - start
        let text = Array(UnsafeBufferPointer(start: start, count: max(0, count)))
        return (text, min(max(0, info.cursor - start), text.count))
    }

    private static func string(_ characters: some Sequence<wchar_t>) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: characters.compactMap { Unicode.Scalar(UInt32(bitPattern: $0)) })
        return text
    }

    /// Writes straight to the terminal after what libedit has buffered.
    private func write(_ text: String) {
        fflush(files[1])
        Terminal.write(1, text)
    }
}
