import CEditLine
import Glibc

/// Where the cursor and the end of the edited line sit on screen, counted in display columns from the prompt's
/// first column, and the escape codes that move between those places. The line editor draws log lines, hints and
/// completion lists around the line libedit shows; it finds its way with this.
struct PromptLayout {
    /// The terminal's width (at least 1).
    let columns: Int
    let cursorOffset: Int
    let endOffset: Int

    var cursorRow: Int { cursorOffset / columns }
    var cursorColumn: Int { cursorOffset % columns }
    var endRow: Int { endOffset / columns }
    var endColumn: Int { endOffset % columns }

    /// The layout of `text` with the cursor at index `cursor`, after a prompt `promptWidth` columns wide.
    init(columns: Int, promptWidth: Int, text: [wchar_t], cursor: Int) {
        let before = Self.displayWidth(text[..<cursor])
        let after = Self.displayWidth(text[cursor...])
        self.columns = max(1, columns)
        cursorOffset = promptWidth + before
        endOffset = promptWidth + before + after
    }

    /// Escape codes that take the cursor from where libedit left it to the first column of the prompt's row.
    var moveToStart: String {
        (cursorRow > 0 ? "\u{1B}[\(cursorRow)A" : "") + "\r"
    }

    /// Escape codes that take the cursor to the end of the line.
    var moveToEnd: String {
        let rows = endRow - cursorRow
        if rows > 0 {
            return "\u{1B}[\(rows)B\r" + (endColumn > 0 ? "\u{1B}[\(endColumn)C" : "")
        }
        let gap = endColumn - cursorColumn
        return gap > 0 ? "\u{1B}[\(gap)C" : ""
    }

    /// Columns the characters take: libedit shows a control character as `^X`, a wide one in two columns.
    static func displayWidth(_ characters: some Sequence<wchar_t>) -> Int {
        characters.reduce(0) { total, character in
            if character < 0x20 || character == 0x7F { return total + 2 }
            return total + max(0, Int(ceditline_display_width(character)))
        }
    }
}
