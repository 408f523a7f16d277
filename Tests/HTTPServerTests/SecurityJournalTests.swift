import Testing
@testable import HTTPServer

/// The journal and autoblock stay bounded whatever a flood sends.
@Suite struct SecurityJournalTests {
    private func address(_ index: Int) -> IPAddress? {
        IPAddress("10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)")
    }

    @Test func hundredThousandEvents_keepTheCapacity_andCountThemAll() throws {
        let journal = SecurityJournal()
        let client = try #require(IPAddress("203.0.113.9"))
        let longPath = "/" + String(repeating: "%2e%2e/", count: 2000)
        for index in 0..<100_000 {
            journal.record(index.isMultiple(of: 2) ? .traversal : .encodedDot, client: client,
                           requestID: "r\(index)", detail: longPath)
        }
        #expect(journal.count == SecurityJournal.defaultCapacity)
        let kept = journal.recent()
        #expect(kept.count == SecurityJournal.defaultCapacity)
        #expect(kept.allSatisfy { $0.detail.utf8.count <= SecurityJournal.maxDetailBytes })
        // The newest survive, in order.
        #expect(kept.last?.requestID == "r99999")
        #expect(kept.first?.requestID == "r90000")
        let totals = Dictionary(uniqueKeysWithValues: journal.totals().map { ($0.kind, $0.count) })
        #expect(totals[.traversal] == 50_000 && totals[.encodedDot] == 50_000)
    }

    @Test func floodFromManyAddresses_keepsAutoblockTracking_bounded() throws {
        let journal = SecurityJournal(capacity: 100)
        let autoblock = Autoblocker(blocklist: Blocklist(), rule: AutoblockRule(events: 5, windowSeconds: 60,
                                                                                 blockSeconds: 60))
        autoblock.watch(journal)
        for index in 0..<30_000 {
            journal.record(.traversal, client: try #require(address(index)), requestID: "-", detail: "/..")
        }
        #expect(journal.count == 100)
        #expect(autoblock.trackedClients <= Autoblocker.maxTrackedClients)
    }

    @Test func hostileRequestsOverSockets_keepTheJournalAtItsCapacity() throws {
        let server = try TestServer(files: ["a.txt": "a\n"]) { $0.securityEventCapacity = 50 }
        defer { server.stop() }
        for _ in 0..<10 {
            // Fifty pipelined traversal attempts per connection (under its 100-request limit).
            let client = try RawClient(port: server.port)
            defer { client.close() }
            try client.send(String(repeating: "GET /../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n", count: 50))
            for _ in 0..<50 { #expect(try client.readResponse().status == 404) }
        }
        #expect(server.context.securityEvents.count == 50)
        #expect(server.context.securityEvents.totals().first { $0.kind == .traversal }?.count == 500)
    }

    @Test func autoblock_countsAnIPv6ClientByItsSlash64() throws {
        let blocklist = Blocklist()
        let journal = SecurityJournal()
        let autoblock = Autoblocker(blocklist: blocklist, rule: AutoblockRule(events: 3, windowSeconds: 60,
                                                                              blockSeconds: 60))
        autoblock.watch(journal)
        for host in [":1", ":2", "ffff:0:0:3"] {
            journal.record(.traversal, client: try #require(IPAddress("2001:db8:1:2:\(host)")), requestID: "-",
                           detail: "/..")
        }
        #expect(blocklist.list.map(\.range.description) == ["2001:db8:1:2::/64"])
        #expect(blocklist.isBlocked(try #require(IPAddress("2001:db8:1:2:abcd::9"))))
        #expect(!blocklist.isBlocked(try #require(IPAddress("2001:db8:1:3::1"))))
        #expect(blocklist.list.first?.expires != nil)
    }

    @Test func detail_isCutOnACharacterBoundary() {
        let cut = SecurityJournal.cut(String(repeating: "é", count: 300))
        #expect(cut.utf8.count <= SecurityJournal.maxDetailBytes)
        #expect(cut.hasSuffix("…"))
        #expect(SecurityJournal.cut("short") == "short")
    }
}
