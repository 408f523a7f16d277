import Foundation
import Testing

/// `uploads show` reaches every name an upload can have: quoted names with spaces, and a name that reads like an
/// option after `--`, through `httpsh attach -c` as a script would send them.
@Suite struct UploadsShowNamesTests {
    @Test func uploadsShow_quotedNameWithSpacesAndNameAfterDoubleDash_printTheirFiles() throws {
        let site = try FaultSite()
        try Data("spaced out\n".utf8).write(to: URL(fileURLWithPath: site.uploads + "/my file.txt"))
        try Data("not an option\n".utf8).write(to: URL(fileURLWithPath: site.uploads + "/--json"))
        let server = try ControlledServer(site: site)

        let result = try server.attach(commands: "uploads show \"my file.txt\"; uploads show 'my file.txt'; "
            + "uploads show -- --json")

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.components(separatedBy: "spaced out\n").count == 3, "stdout: \(result.stdout)")
        #expect(result.stdout.contains("not an option\n"), "stdout: \(result.stdout)")
    }

    @Test func tabCompletion_quotesANameWithSpaces_soItShows() throws {
        let site = try TemporaryDirectory()
        defer { site.remove() }
        try site.write("public/hello.txt", "hello\n")
        try site.write("uploads/my holiday notes.txt", "packed the tent\n")
        let binary = try HTTPSHProcess.binaryPath()
        let terminal = try TmuxSession("cd '\(site.path)' && '\(binary)' --port 0 -d public --uploads uploads "
            + "--control off")
        defer { terminal.send("C-d") }
        #expect(terminal.waitFor("httpsh>") != nil)

        terminal.send("-l", "uploads show my")
        terminal.send("Tab")
        #expect(terminal.waitFor("uploads show 'my holiday notes.txt'") != nil)
        terminal.send("Enter")
        #expect(terminal.waitFor("packed the tent") != nil)
    }
}
