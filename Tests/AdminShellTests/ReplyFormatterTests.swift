import AdminShell
import Foundation
import HTTPServer
import Testing

@Suite struct ReplyFormatterTests {
    private func object(_ json: String) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return try #require(value as? [String: Any])
    }

    @Test func fields_AreAlignedKeyValueLines() {
        let reply = Reply.fields([.init("State", key: "state", "serving"),
                                  .init("Open connections", key: "open_connections", 3)])
        #expect(ReplyFormatter.text(reply) == "State:            serving\nOpen connections: 3")
    }

    @Test func table_IsAlignedWithAHeader() {
        let reply = Reply.table([.init("COUNT", key: "count"), .init("PATH", key: "path")],
                                [[.integer(12), .string("/index.html")], [.integer(3), .string("/a")]])
        #expect(ReplyFormatter.text(reply) == "COUNT  PATH\n12     /index.html\n3      /a")
    }

    /// Cells, values and messages come from clients (paths, names, file contents): none reaches the terminal raw.
    @Test func terminalControlsInCellsFieldsAndMessages_areEscaped() throws {
        let table = ReplyFormatter.text(.table([.init("COUNT", key: "count"), .init("PATH", key: "path")],
                                                      [[.integer(1), .string("/\u{1B}]2;x\u{07}\u{9B}\u{202E}")]]))
        #expect(table == "COUNT  PATH\n1      /\\x1b]2;x\\x07\\x9b\\u{202e}")
        #expect(ReplyFormatter.text(.fields([.init("Root", key: "root", "a\u{1B}[2J")])) == "Root: a\\x1b[2J")
        #expect(ReplyFormatter.text(.done("line one\nline \u{1B}two")) == "line one\nline \\x1btwo")
        let json = ReplyFormatter.json(.table([.init("PATH", key: "path")], [[.string("\u{9B}\u{202E}")]]))
        #expect(json.contains("\\u009b\\u202e"))
        #expect(try object(json)["ok"] as? Bool == true)
    }

    @Test func emptyTable_SaysNone() {
        #expect(ReplyFormatter.text(.table([.init("RANGE", key: "range")], [])) == "(none)")
    }

    @Test func failure_StartsWithError() {
        #expect(ReplyFormatter.text(.failed("10.0.0.1 is not blocked")) == "error: 10.0.0.1 is not blocked")
        #expect(ReplyFormatter.text(.done("counters reset")) == "counters reset")
    }

    @Test func fieldsJSON_UseTheirOwnKeysAndTypes() throws {
        let reply = Reply.fields([
            .init("State", key: "state", "serving"),
            .init("Workers", key: "workers", 4),
            .init("Uptime", key: "uptime_seconds", .integer(3723), text: "1h 2m 3s"),
            .init("Recent req/s", key: "recent_requests_per_second", .number(1.5), text: "1.5"),
            .init("Listing", key: "directory_listing", true, text: "on"),
            .init("Rate limit", key: "rate_limit", .null, text: "off"),
            .init("Root", key: "root", "public \"quoted\"\n"),
        ])
        let json = try object(ReplyFormatter.json(reply))
        #expect(json["ok"] as? Bool == true)
        #expect(json["state"] as? String == "serving")
        #expect((json["workers"] as? NSNumber)?.intValue == 4)
        #expect((json["uptime_seconds"] as? NSNumber)?.intValue == 3723)
        #expect((json["recent_requests_per_second"] as? NSNumber)?.doubleValue == 1.5)
        #expect(json["directory_listing"] as? Bool == true)
        #expect(json["rate_limit"] is NSNull)
        #expect(json["root"] as? String == "public \"quoted\"\n")
        // The label is for people only.
        #expect(json["uptime"] == nil && json["recent_req_s"] == nil)
    }

    @Test func tableJSON_NamesStayStringsWhateverTheyLookLike() throws {
        let columns: [Reply.Column] = [.init("COUNT", key: "count"), .init("NAME", key: "name"),
                                       .init("REASON", key: "reason")]
        let reply = Reply.table(columns, [[.integer(12), .string("2024"), .string("42")],
                                          [.integer(-3), .string("/c"), .string("+5")]])
        let json = try object(ReplyFormatter.json(reply))
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect((rows[0]["count"] as? NSNumber)?.intValue == 12)
        #expect(rows[0]["name"] as? String == "2024")
        #expect(rows[0]["reason"] as? String == "42")
        #expect(rows[1]["reason"] as? String == "+5")
        #expect((rows[1]["count"] as? NSNumber)?.intValue == -3)
    }

    @Test func nonFiniteNumber_IsNull() throws {
        let reply = Reply.fields([.init("Rate", key: "rate", .number(.infinity), text: "inf")])
        #expect(try object(ReplyFormatter.json(reply))["rate"] is NSNull)
    }

    @Test func messagesJSON_UseMessageOrError() throws {
        let done = try object(ReplyFormatter.json(.done("workers: 4 -> 8")))
        #expect(done["ok"] as? Bool == true)
        #expect(done["message"] as? String == "workers: 4 -> 8")
        let failed = try object(ReplyFormatter.json(.failed("bad \u{1}thing")))
        #expect(failed["ok"] as? Bool == false)
        #expect(failed["error"] as? String == "bad \u{1}thing")
        let refused = try object(ReplyFormatter.jsonError("workers: 'x' is not a number"))
        #expect(refused["ok"] as? Bool == false)
        #expect(refused["error"] as? String == "workers: 'x' is not a number")
    }

    @Test func json_IsOneLine() {
        let reply = Reply.fields([.init("Text", key: "text", "a\nb")])
        #expect(!ReplyFormatter.json(reply).contains("\n"))
    }

    @Test func oneLine_JoinsFieldsWithoutPadding() {
        let reply = Reply.fields([.init("Finished requests", key: "finished_requests", 2),
                                  .init("Forced connections", key: "forced_connections", 0)])
        #expect(ReplyFormatter.oneLine(reply) == "Finished requests: 2, Forced connections: 0")
    }
}
