@testable import AdminShell
import Testing

@Suite struct CompleterTests {
    private let completer = Completer { source in
        switch source {
        case .blockedRanges: ["203.0.113.0/24", "198.51.100.7"]
        case .uploadNames: ["upload_1.json", "upload_2.txt"]
        }
    }

    @Test func uniqueCommandPrefix_CompletesWithASpace() {
        #expect(completer.complete("statu") == .insert("s "))
        #expect(completer.complete("sta") == .insert("t"), "status and stats share 'stat'")
        #expect(completer.complete("ratel") == .insert("imit "))
        #expect(completer.complete("dir") == .insert("listing "))
    }

    @Test func ambiguousPrefix_ListsTheChoices() {
        #expect(completer.complete("s") == .list(["status", "stats", "slowlog", "shutdown"]))
    }

    @Test func sharedPrefix_IsInsertedFirst() {
        // block and blocked share "block".
        #expect(completer.complete("bl") == .insert("ock"))
        #expect(completer.complete("block") == .list(["block", "blocked"]))
    }

    @Test func emptyLine_ListsEveryCommand() {
        #expect(completer.complete("") == .list(CommandInfo.all.map(\.name)))
    }

    @Test func noMatch_IsNone() {
        #expect(completer.complete("zz") == .none)
        #expect(completer.complete("workers ") == .none)
        #expect(completer.complete("exit ") == .none)
    }

    @Test func arguments_CompleteForEachCommand() {
        #expect(completer.complete("loglevel w") == .insert("arning "))
        #expect(completer.complete("loglevel ") == .list(["debug", "info", "warning", "error", "none"]))
        #expect(completer.complete("dirlisting o") == .list(["on", "off"]))
        #expect(completer.complete("dirlisting of") == .insert("f "))
        #expect(completer.complete("cors ") == .list(["off", "*"]))
        #expect(completer.complete("events ") == .list(["top", "client", "--json"]))
        #expect(completer.complete("autoblock 5/60 ") == .insert("for "))
        #expect(completer.complete("ratelimit o") == .insert("ff "))
        #expect(completer.complete("ratelimit 5/1 b") == .insert("urst "))
        #expect(completer.complete("ratelimit off ") == .none)
        #expect(completer.complete("counters ") == .list(["top", "reset", "--json"]))
        #expect(completer.complete("counters r") == .insert("eset "))
        #expect(completer.complete("counters top 3 ") == .insert("--json "))
        #expect(completer.complete("counters top ") == .none)
        #expect(completer.complete("shutdown -") == .insert("-grace "))
        #expect(completer.complete("shutdown n") == .insert("ow "))
        #expect(completer.complete("status -") == .insert("-json "))
        #expect(completer.complete("status --json ") == .none)
        #expect(completer.complete("log r") == .insert("eopen "))
        #expect(completer.complete("help rat") == .insert("elimit "))
    }

    @Test func serverWords_CompleteUnblockAndUploadsShow() {
        #expect(completer.complete("unblock 2") == .insert("03.0.113.0/24 "))
        #expect(completer.complete("unblock ") == .list(["203.0.113.0/24", "198.51.100.7"]))
        #expect(completer.complete("uploads show upload_") == .list(["upload_1.json", "upload_2.txt"]))
        #expect(completer.complete("uploads show upload_2") == .insert(".txt "))
        #expect(completer.complete("uploads s") == .insert("how "))
    }

    @Test func aliases_CompleteLikeTheirCommand() {
        #expect(completer.complete("stop n") == .insert("ow "))
    }

    @Test func columns_FitTheWidth() {
        let lines = Completer.columns(["status", "shutdown", "sh"], width: 20)
        #expect(lines == ["status    shutdown", "sh"])
        #expect(Completer.columns(["a-rather-long-word"], width: 5) == ["a-rather-long-word"])
    }

    @Test func fleetAddress_CompletesLabelsThenTheCommandAfterIt() {
        var fleet = completer
        fleet.addresses = ["@web1", "@web2", "@db"]
        #expect(fleet.complete("@d") == .insert("b "))
        #expect(fleet.complete("@w") == .insert("eb"))
        #expect(fleet.complete("@web") == .list(["@web1", "@web2"]))
        #expect(fleet.complete("@web1 statu") == .insert("s "))
        #expect(fleet.complete("@web1 unblock 203") == .insert(".0.113.0/24 "))
        #expect(completer.complete("@w") == .none, "one server takes no address")
    }
}

@Suite struct ArgumentHintTests {
    @Test func commandName_ShowsItsArguments() {
        #expect(ArgumentHint.hint(for: "ratelimit ") == "N/SECONDS [burst B] | off")
        #expect(ArgumentHint.hint(for: "ratelimit") == " N/SECONDS [burst B] | off")
        #expect(ArgumentHint.hint(for: "workers ") == "N")
        #expect(ArgumentHint.hint(for: "loglevel ") == "debug|info|warning|error|none")
        #expect(ArgumentHint.hint(for: "status ") == "[--json]")
    }

    @Test func valueWords_ShowTheValue() {
        #expect(ArgumentHint.hint(for: "counters top ") == "N")
        #expect(ArgumentHint.hint(for: "shutdown --grace ") == "SECONDS")
        #expect(ArgumentHint.hint(for: "uploads show ") == "NAME")
        #expect(ArgumentHint.hint(for: "ratelimit 5/1 ") == "[burst B]")
        #expect(ArgumentHint.hint(for: "ratelimit 5/1 burst ") == "B")
        #expect(ArgumentHint.hint(for: "block 10.0.0.1 ") == "[REASON]")
        #expect(ArgumentHint.hint(for: "@web1 counters top ") == "N")
        #expect(ArgumentHint.hint(for: "@web1 workers") == " N")
    }

    @Test func nothingUseful_IsNil() {
        #expect(ArgumentHint.hint(for: "") == nil)
        #expect(ArgumentHint.hint(for: "sta") == nil)
        #expect(ArgumentHint.hint(for: "exit ") == nil)
        #expect(ArgumentHint.hint(for: "ratelimit 5/") == nil)
        #expect(ArgumentHint.hint(for: "ratelimit off ") == nil)
        #expect(ArgumentHint.hint(for: "# comment ") == nil)
    }
}

/// Upload names with blanks or quotes complete quoted, so the line parses back to the same name.
@Suite struct CompleterQuotingTests {
    private let completer = Completer { source in
        switch source {
        case .blockedRanges: []
        case .uploadNames: ["my file.txt", "my file 2.txt", "it's.txt", "plain.txt"]
        }
    }

    @Test func nameWithASpace_isCompletedQuotedFromItsStart() {
        #expect(completer.complete("uploads show my") == .replace(count: 2, with: "'my file"))
        #expect(completer.complete("uploads show 'my file.") == .replace(count: 9, with: "'my file.txt' "))
        #expect(completer.complete("uploads show \"my file 2") == .replace(count: 10, with: "\"my file 2.txt\" "))
        #expect(completer.complete("uploads show it") == .replace(count: 2, with: "\"it's.txt\" "))
        #expect(completer.complete("uploads show pl") == .insert("ain.txt "))
    }

    @Test func completedLine_parsesBackToTheName() {
        guard case .replace(let count, let text) = completer.complete("uploads show 'my file.") else {
            Issue.record("no replacement")
            return
        }
        let line = String("uploads show 'my file.".dropLast(count)) + text
        #expect(CommandParser.parse(line) == .success(.server(.showUpload(name: "my file.txt"), json: false)))
    }
}
