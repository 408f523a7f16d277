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
}
