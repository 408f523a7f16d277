import Foundation
import Glibc
import Testing

/// Keys at the launching prompt, typed into a real pseudo-terminal (tmux): word moves, the keys that would signal
/// the server, and Tab at a `[y/N]` question.
@Suite struct PromptKeysTests {
    /// Starts httpsh at a prompt in tmux; the caller types.
    private func prompt() throws -> (ScratchSite, TmuxSession) {
        let site = try ScratchSite()
        let binary = try HTTPSHProcess.binaryPath()
        let terminal = try TmuxSession("cd '\(site.path)' && '\(binary)' \(site.scriptFlags.joined(separator: " ")) "
            + "--control off; echo SERVER-ENDED; sleep 30")
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
