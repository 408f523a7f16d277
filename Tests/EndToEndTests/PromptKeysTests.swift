import Foundation
import Glibc
import Testing

/// Keys at the launching prompt, typed into a real pseudo-terminal (tmux): word moves, the keys that would signal
/// the server, Tab at a `[y/N]` question, a window resized while typing, and the exit status of a session.
@Suite struct PromptKeysTests {
    /// Starts httpsh at a prompt in tmux, in a window `width` columns wide; the caller types. When httpsh ends, the
    /// window shows `SERVER-ENDED STATUS`.
    private func prompt(width: Int = 160) throws -> (FaultSite, TmuxSession) {
        let site = try FaultSite()
        let binary = try HTTPSHProcess.binaryPath()
        let terminal = try TmuxSession("cd '\(site.path)' && '\(binary)' \(site.scriptFlags.joined(separator: " ")) "
            + "--control off; echo SERVER-ENDED $?; sleep 30", width: width)
        #expect(terminal.waitFor("httpsh>") != nil)
        return (site, terminal)
    }

    @Test func ctrlLeft_MovesByWords_InsteadOfInsertingItsCode() throws {
        let (_, terminal) = try prompt()
        terminal.send("-l", "orkers 3")
        terminal.send("C-Left")
        terminal.send("C-Left")
        terminal.send("-l", "w")
        terminal.send("C-Right")
        terminal.send("Enter")
        let screen = try #require(terminal.waitFor("workers: 2 -> 3"))
        #expect(!screen.contains("5D"))
        terminal.send("exit", "Enter")
        #expect(terminal.waitFor("SERVER-ENDED") != nil)
    }

    @Test func windowResizedWhileTyping_lineIsRedrawnForTheNewWidth() throws {
        let (_, terminal) = try prompt(width: 80)
        terminal.send("-l", "block 203.0.113.9 a reason that is long enough to wrap later on")
        #expect(terminal.waitFor("wrap later on") != nil)

        terminal.resize(width: 40)
        // Home, then a letter: drawn where the line starts only if the editor knows the width is 40 now
        // (with the old width it lands on the second row, inside "enough").
        terminal.send("C-a")
        terminal.send("-l", "Z")
        #expect(terminal.waitFor("httpsh> Zblock 203.0.113.9 a reason that\n is long enough to wrap later on") != nil,
                "\(terminal.screen())")

        terminal.resize(width: 120)
        terminal.send("C-a", "C-d", "C-e")
        terminal.send("Enter")
        #expect(terminal.waitFor("blocked 203.0.113.9") != nil, "\(terminal.screen())")
    }

    @Test func mistypedCommandAtThePrompt_exitStatusStaysZero() throws {
        let (_, terminal) = try prompt()
        terminal.send("-l", "stauts")
        terminal.send("Enter")
        #expect(terminal.waitFor("unknown command 'stauts'") != nil)
        terminal.send("-l", "exit")
        terminal.send("Enter")
        #expect(terminal.waitFor("SERVER-ENDED 0") != nil, "\(terminal.screen())")
    }

    @Test func ctrlZAndCtrlBackslash_AreExplainedOnceAndStopNothing() throws {
        let (_, terminal) = try prompt()
        terminal.send("C-z")
        let screen = try #require(terminal.waitFor("do nothing here"))
        terminal.send("C-\\")
        terminal.send("C-z")
        terminal.send("-l", "status")
        terminal.send("Enter")
        let after = try #require(terminal.waitFor("Uptime:"))
        #expect(after.components(separatedBy: "do nothing here").count == 2, "explained once: \(screen)")
        terminal.send("exit", "Enter")
        #expect(terminal.waitFor("SERVER-ENDED") != nil)
    }

    @Test func tabAtTheConfirmation_ListsNoCommands() throws {
        let (_, terminal) = try prompt()
        terminal.send("-l", "block 127.0.0.1")
        terminal.send("Enter")
        #expect(terminal.waitFor("[y/N]") != nil)
        terminal.send("Tab")
        terminal.send("Tab")
        terminal.send("-l", "n")
        terminal.send("Enter")
        let screen = try #require(terminal.waitFor("not blocked"))
        #expect(!screen.contains("autoblock"), "Tab listed commands at the question")
        terminal.send("exit", "Enter")
        #expect(terminal.waitFor("SERVER-ENDED") != nil)
    }
}
