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
        let reply = Reply.fields([.init("State", "serving"), .init("Open connections", 3)])
        #expect(ReplyFormatter.text(reply) == "State:            serving\nOpen connections: 3")
    }

    @Test func table_IsAlignedWithAHeader() {
        let reply = Reply.table(["COUNT", "PATH"], [["12", "/index.html"], ["3", "/a"]])
        #expect(ReplyFormatter.text(reply) == "COUNT  PATH\n12     /index.html\n3      /a")
    }

    /// Cells, values and messages come from clients (paths, names, file contents): none reaches the terminal raw.
    @Test func terminalControlsInCellsFieldsAndMessages_areEscaped() throws {
        let table = ReplyFormatter.text(.table(["COUNT", "PATH"], [["1", "/\u{1B}]2;x\u{07}\u{9B}\u{202E}"]]))
        #expect(table == "COUNT  PATH\n1      /\\x1b]2;x\\x07\\x9b\\u{202e}")
        #expect(ReplyFormatter.text(.fields([.init("Root", "a\u{1B}[2J")])) == "Root: a\\x1b[2J")
        #expect(ReplyFormatter.text(.done("line one\nline \u{1B}two")) == "line one\nline \\x1btwo")
        let json = ReplyFormatter.json(.table(["PATH"], [["\u{9B}\u{202E}"]]))
        #expect(json.contains("\\u009b\\u202e"))
        #expect(try object(json)["ok"] as? Bool == true)
    }

    @Test func emptyTable_SaysNone() {
        #expect(ReplyFormatter.text(.table(["RANGE"], [])) == "(none)")
    }

    @Test func failure_StartsWithError() {
        #expect(ReplyFormatter.text(.failed("10.0.0.1 is not blocked")) == "error: 10.0.0.1 is not blocked")
        #expect(ReplyFormatter.text(.done("counters reset")) == "counters reset")
    }

    @Test func fieldsJSON_ParsesWithNumbersAsNumbers() throws {
        let reply = Reply.fields([.init("State", "serving"), .init("Workers", 4), .init("Recent req/s", "1.5"),
                                  .init("Root", "public \"quoted\"\n")])
        let json = try object(ReplyFormatter.json(reply))
        #expect(json["ok"] as? Bool == true)
        #expect(json["state"] as? String == "serving")
        #expect((json["workers"] as? NSNumber)?.intValue == 4)
        #expect(json["recent_req_s"] as? String == "1.5")
        #expect(json["root"] as? String == "public \"quoted\"\n")
    }

    @Test func tableJSON_IsRowsOfObjects() throws {
        let reply = Reply.table(["COUNT", "PATH", "REASON"], [["12", "/a b", "007"], ["-3", "/c", "+5"]])
        let json = try object(ReplyFormatter.json(reply))
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect((rows[0]["count"] as? NSNumber)?.intValue == 12)
        #expect(rows[0]["path"] as? String == "/a b")
        // Not canonical JSON numbers: kept as text so the object still parses.
        #expect(rows[0]["reason"] as? String == "007")
        #expect(rows[1]["reason"] as? String == "+5")
        #expect((rows[1]["count"] as? NSNumber)?.intValue == -3)
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
        let reply = Reply.fields([.init("Text", "a\nb")])
        #expect(!ReplyFormatter.json(reply).contains("\n"))
    }

    @Test func oneLine_JoinsFieldsWithoutPadding() {
        let reply = Reply.fields([.init("Finished requests", 2), .init("Forced connections", 0)])
        #expect(ReplyFormatter.oneLine(reply) == "Finished requests: 2, Forced connections: 0")
    }
}
