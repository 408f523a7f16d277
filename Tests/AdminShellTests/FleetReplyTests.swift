@testable import AdminShell
import Foundation
import HTTPServer
import Testing

/// How a fleet shell labels its servers and prints what they answered: labels from names and paths, tables
/// merged with an INSTANCE column, one JSON document, and nothing a server sent reaching the terminal raw.
@Suite struct FleetReplyTests {
    private func labels(_ entries: [FleetTarget.Entry]) throws -> [String] {
        try FleetTarget.fleet(entries).map(\.label)
    }

    @Test func labels_AreNamesElseSocketFileNamesElseMoreOfThePath() throws {
        #expect(try labels([.init(name: nil, path: "/tmp/web1.sock"), .init(name: "db", path: "/run/httpsh/8080.sock"),
                            .init(name: nil, path: "/run/httpsh/8080-blue.sock")]) == ["web1", "db", "8080-blue"])
        #expect(try labels([.init(name: nil, path: "/tmp/a/control.sock"), .init(name: nil, path: "/tmp/b/control.sock"),
                            .init(name: nil, path: "/tmp/c.sock")]) == ["a/control", "b/control", "c"])
        // An unnamed socket whose file name is another server's name takes its folder too.
        #expect(try labels([.init(name: "web1", path: "/x/a.sock"), .init(name: nil, path: "/y/web1.sock")])
            == ["web1", "y/web1"])
    }

    @Test func labels_RefuseAPathTwiceAndTwoServersNamedAlike() {
        #expect(throws: FleetTarget.Failure.self) {
            try labels([.init(name: nil, path: "/tmp/a.sock"), .init(name: "x", path: "/tmp/a.sock")])
        }
        #expect(throws: FleetTarget.Failure.self) {
            try labels([.init(name: "web", path: "/tmp/a.sock"), .init(name: "web", path: "/tmp/b.sock")])
        }
    }

    @Test func controlsFile_ReadsPathsNamesAndComments() throws {
        let entries = try FleetTarget.entries(listedIn: "# fleet\nweb1 /tmp/1.sock # first\n\n\t/tmp/2.sock\r\n",
                                              source: "f")
        #expect(entries == [.init(name: "web1", path: "/tmp/1.sock"), .init(name: nil, path: "/tmp/2.sock")])
        #expect(throws: FleetTarget.Failure.self) { try FleetTarget.entries(listedIn: "# nothing\n", source: "f") }
    }

    @Test func tables_MergeWithAnInstanceColumnAndCellsWithSpaces() {
        let one = ReplyFormatter.text(Reply.table([.init("RANGE", key: "range"), .init("REASON", key: "reason")],
                                                  [[.string("192.0.2.0/24"), .string("scanner  of things")]]))
        let two = ReplyFormatter.text(Reply.table([.init("RANGE", key: "range"), .init("REASON", key: "reason")],
                                                  [[.string("::1/128"), .string("")], [.string("10.0.0.1/32"), .string("x")]]))
        let merged = FleetReply(answers: [("web1", .reply(.init(ok: true, text: one))),
                                          ("web22", .reply(.init(ok: true, text: two))),
                                          ("web3", .reply(.init(ok: true, text: "(none)"))),
                                          ("web4", .failed("not answering"))]).text(mergeTables: true)
        // An empty last cell leaves its row padded, as any table the formatter prints.
        #expect(merged.split(separator: "\n") == ["INSTANCE  RANGE         REASON",
                                                  "web1      192.0.2.0/24  scanner  of things",
                                                  "web22     ::1/128       ",
                                                  "web22     10.0.0.1/32   x",
                                                  "web4:  error: not answering"])
    }

    @Test func replies_AreLabelledAndEscaped() {
        let reply = FleetReply(answers: [("a", .reply(.init(ok: true, text: "workers: 2 -> 3"))),
                                         ("bb", .reply(.init(ok: false, text: "error: \u{1b}]0;owned\u{7}\nsecond"))),
                                         ("c", .failed("gone"))])
        #expect(reply.text(mergeTables: false) == """
            a:  workers: 2 -> 3
            == bb ==
            error: \\x1b]0;owned\\x07
            second
            c:  error: gone
            """)
        #expect(!reply.ok)
    }

    @Test func json_IsOneDocumentAndRefusesWhatIsNoJSONObject() throws {
        let reply = FleetReply(answers: [("a", .reply(.init(ok: true, text: "{\"ok\":true,\"workers\":3}"))),
                                         ("b", .reply(.init(ok: true, text: "{\"ok\":true}\u{1b}[2J{}"))),
                                         ("c", .failed("not answering"))])
        let json = reply.json()
        #expect(!json.contains("\u{1b}"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(document["ok"] as? Bool == false)
        #expect((document["instances"] as? [String: [String: Any]])?["a"]?["workers"] as? Int == 3)
        let errors = try #require(document["errors"] as? [String: String])
        #expect(errors["c"] == "not answering")
        #expect(errors["b"]?.hasPrefix("unexpected reply") == true)
    }

    @Test func atLabel_AddressesOneServer() {
        #expect(FleetSession.addressed("  @web1 kill 12")! == ("web1", "kill 12"))
        #expect(FleetSession.addressed("@web1") ?? ("?", "?") == ("web1", ""))
        #expect(FleetSession.addressed("status") == nil)
    }
}
