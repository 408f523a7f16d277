import AdminShell
import HTTPServer
import Testing

/// Each knob changed over the command bus while clients keep requesting, on a real server over loopback.
@Suite struct LiveControlTests {
    @Test func status_showsTheFileCache() throws {
        let server = try TestServer.shell()
        #expect(server.get("/hello.txt")?.status == 200)
        #expect(server.status("file_cache_bytes")?.hasPrefix("1 files, 0 KiB of 32.0 MiB") == true,
                "\(server.status("file_cache_bytes") ?? "none")")
    }

    @Test func rateLimit_Answers429ThenServesAgainWhenOff() throws {
        let server = try TestServer.shell()
        let load = ClientLoad(port: server.port, threads: 1, connections: .newPerRequest)
        #expect(load.waitForAnswers(5, status: 200))
        #expect(server.run("ratelimit 5/1").ok)

        // Five per second with a burst of five: a quick run of requests soon finds the limit.
        var limited: RawResponse?
        for _ in 0..<200 where limited == nil {
            let result = server.get("/hello.txt")
            if result?.status == 429 { limited = result }
        }
        let answer = try #require(limited)
        #expect(Int(answer["Retry-After"] ?? "") ?? 0 >= 1)
        #expect(answer["RateLimit-Limit"] == "5")
        #expect(server.status("rate_limit") == "5/1s burst 5")
        #expect(Int(server.status("rate_limited") ?? "0") ?? 0 >= 1)

        #expect(server.run("ratelimit off").ok)
        #expect(server.status("rate_limit") == "off")
        for _ in 0..<20 { #expect(server.get("/hello.txt")?.status == 200) }
        #expect(load.waitForAnswers(20, status: 200))
        #expect(load.stop())
        // The load shares the test's address, so it was limited too; nothing else went wrong.
        let failures = load.failures(expecting: 200)
        #expect(failures.allSatisfy { $0 == .answered(status: 429) }, "\(Set(failures.map(\.description)))")
    }

    @Test func block_RefusesNewRequestsAndUnblockServesAgain() throws {
        let server = try TestServer.shell()
        let load = ClientLoad(port: server.port, threads: 1, connections: .newPerRequest)
        #expect(load.waitForAnswers(5, status: 200))
        let blocked = server.run("block 127.0.0.1 test")
        #expect(blocked.ok)
        let refused = server.get("/hello.txt")
        #expect(refused?.status == 403)
        let rows = server.run("blocked").rowTexts
        #expect(rows.first?.first == "127.0.0.1")
        #expect(rows.first?.last == "test")
        #expect(!server.run("block 127.0.0.1").ok, "blocking twice fails")

        #expect(server.run("unblock 127.0.0.1").ok)
        #expect(server.get("/hello.txt")?.status == 200)
        #expect(load.waitForAnswers(5, status: 200))
        #expect(load.stop())
        // While blocked the load saw refusals (a 403, or no answer at all); before and after, only successes.
        #expect(load.failures(expecting: 200).allSatisfy { $0.status == 403 || $0.status == nil })
        #expect(!server.run("unblock 127.0.0.1").ok, "unblocking twice fails")
    }

    @Test func dirListingOff_Forbids403ForAFolderWithoutIndex() throws {
        let server = try TestServer.shell()
        let load = ClientLoad(port: server.port, threads: 2, connections: .newPerRequest)
        #expect(load.waitForAnswers(5, status: 200))
        #expect(server.get("/folder/")?.status == 200)
        #expect(server.run("dirlisting off").ok)
        #expect(server.status("directory_listing") == "off")
        #expect(server.get("/folder/")?.status == 403)
        #expect(server.get("/docs/")?.status == 200, "a folder with index.html is still served")
        #expect(server.get("/folder/a.txt")?.status == 200)
        #expect(server.run("dirlisting on").ok)
        #expect(server.get("/folder/")?.status == 200)
        #expect(load.waitForAnswers(5, status: 200))
        #expect(load.stop())
        #expect(load.failures(expecting: 200).isEmpty, "\(load.failures(expecting: 200).prefix(5))")
    }

    @Test func logLevel_ChangeShowsInStatusAndSilencesAccessLines() throws {
        let server = try TestServer.shell()
        let load = ClientLoad(port: server.port, threads: 2, connections: .newPerRequest)
        #expect(server.status("log_level") == "info")
        #expect(server.get("/docs/")?.status == 200)
        #expect(eventually { server.logs.lines.contains { $0.contains("GET /docs/") } })

        #expect(server.run("loglevel error").ok)
        #expect(server.status("log_level") == "error")
        #expect(server.get("/folder/a.txt")?.status == 200)
        #expect(load.waitForAnswers(5, status: 200))
        #expect(!server.logs.lines.contains { $0.contains("GET /folder/a.txt") })

        #expect(server.run("loglevel info").ok)
        #expect(server.get("/folder/a.txt")?.status == 200)
        #expect(eventually { server.logs.lines.contains { $0.contains("GET /folder/a.txt") } })
        #expect(load.stop())
        #expect(load.failures(expecting: 200).isEmpty, "\(load.failures(expecting: 200).prefix(5))")
    }

    @Test func workers_ResizeLiveWithoutFailingARequest() throws {
        let server = try TestServer.shell(workers: 1)
        let load = ClientLoad(port: server.port, threads: 3, connections: .newPerRequest)
        #expect(load.waitForAnswers(20, status: 200))
        for count in [8, 2] {
            #expect(server.run("workers \(count)").ok)
            // Threads start and retire between requests: poll until the live count settles.
            #expect(eventually { server.status("workers") == String(count) }, "workers \(count)")
            #expect(load.waitForAnswers(50, status: 200))
        }
        #expect(load.stop())
        #expect(load.failures(expecting: 200).isEmpty, "failures: \(load.failures(expecting: 200).prefix(5))")
        #expect(load.answered(status: 200) >= 120)
    }

    @Test func counters_TopPrefixAndReset() throws {
        let server = try TestServer.shell()
        for _ in 0..<3 { #expect(server.get("/hello.txt")?.status == 200) }
        #expect(server.get("/docs/")?.status == 200)
        #expect(server.get("/folder/a.txt")?.status == 200)

        guard case .table(let columns, _) = server.run("counters top 1").content else {
            Issue.record("counters is not a table")
            return
        }
        #expect(columns.map(\.label) == ["COUNT", "PATH"])
        #expect(server.run("counters top 1").rowTexts == [["3", "/hello.txt"]])
        #expect(server.run("counters /folder").rowTexts == [["1", "/folder/a.txt"]])

        #expect(server.run("counters reset").ok)
        #expect(server.run("counters").rowTexts.isEmpty)
    }

    @Test func uploads_ListAndShow() throws {
        let server = try TestServer.shell()
        guard case .table(let columns, _) = server.run("uploads").content else {
            Issue.record("uploads is not a table")
            return
        }
        #expect(columns.map(\.label) == ["NAME", "SIZE", "UPLOADED"])
        #expect(server.run("uploads").rowTexts.map(\.first) == ["note.json"])
        #expect(server.run("uploads show note.json") == .done("{\"n\":1}\n"))
        #expect(!server.run("uploads show missing.json").ok)
        #expect(!server.run("uploads show ../site/hello.txt").ok)
    }

    @Test func shutdown_DrainsAndStopsAccepting() throws {
        let server = try TestServer.shell()
        #expect(server.get("/hello.txt")?.status == 200)
        let reply = server.run("shutdown --grace 1")
        guard case .fields(let fields) = reply.content else {
            Issue.record("shutdown reply is not fields")
            return
        }
        #expect(fields.map(\.label) == ["Finished requests", "Closed idle connections", "Forced connections",
                                      "Drain milliseconds"])
        #expect(server.server.isDraining)
        #expect(server.get("/hello.txt")?.status == nil)
        #expect(server.status("state") == "draining")
    }
}
