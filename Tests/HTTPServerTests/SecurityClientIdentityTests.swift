import Glibc
import HTTPServer
import HTTPServerTesting
import Testing

/// Finding 7 of the hostile probe: 2,000 addresses of one IPv6 /64 each got their own rate-limit bucket; one
/// address holding thousands of idle sockets made every other client get 503; `block ::ffff:a.b.c.d` never
/// matched, and a forwarded `::ffff:1.2.3.4` escaped a block on `1.2.3.4`.
@Suite struct SecurityClientIdentityTests {
    /// Clients are told apart by `X-Forwarded-For` from a trusted proxy (the test's loopback address): the only
    /// way to be many IPv6 addresses over loopback.
    private func proxied(configure: @escaping (inout ApplicationConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer(files: ["hello.txt": "hello\n"]) { configuration in
            configuration.trustedProxies = [CIDR("127.0.0.1")].compactMap { $0 }
            configure(&configuration)
        }
    }

    private func status(_ server: TestServer, for client: String) throws -> Int {
        try RawClient.fetch(port: server.port, "GET", "/hello.txt", headers: [("X-Forwarded-For", client)]).status
    }

    @Test func addressesOfOneIPv6Slash64_shareOneRateLimit() throws {
        let server = try proxied { $0.rateLimit = RateLimit(requests: 2, seconds: 60) }
        defer { server.stop() }
        #expect(try status(server, for: "2001:db8:1:2::1") == 200)
        #expect(try status(server, for: "2001:db8:1:2::2") == 200)
        #expect(try status(server, for: "2001:db8:1:2:aaaa:bbbb:cccc:dddd") == 429)
        #expect(try status(server, for: "2001:db8:1:3::1") == 200)  // the next /64: another subscriber

        #expect(server.bus.send(.configSet("rate-limit-ipv6-prefix", "128")).ok)
        #expect(try status(server, for: "2001:db8:1:2::3") == 200)
        #expect(try status(server, for: "2001:db8:1:2::3") == 200)
        #expect(try status(server, for: "2001:db8:1:2::3") == 429)
        #expect(try status(server, for: "2001:db8:1:2::4") == 200)
        #expect(!server.bus.send(.configSet("rate-limit-ipv6-prefix", "129")).ok)
    }

    @Test func forwardedIPv4MappedAddress_isBlockedAsItsIPv4() throws {
        let server = try proxied()
        defer { server.stop() }
        let range = try #require(CIDR("192.0.2.7"))
        #expect(server.bus.send(.block(range, reason: "test", seconds: nil)).ok)
        #expect(try status(server, for: "::ffff:192.0.2.7") == 403)
        #expect(try status(server, for: "[::ffff:c000:207]") == 403)
        #expect(try status(server, for: "192.0.2.8") == 200)
    }

    @Test func blockOfAnIPv4MappedAddress_blocksTheIPv4Client() throws {
        let server = try proxied()
        defer { server.stop() }
        let mapped = try #require(CIDR("::ffff:198.51.100.9"))
        #expect(mapped.description == "198.51.100.9")
        #expect(server.bus.send(.block(mapped, reason: "test", seconds: nil)).ok)
        #expect(try status(server, for: "198.51.100.9") == 403)
        #expect(server.context.blocklist.list.map(\.range.description) == ["198.51.100.9"])
        let mappedRange = try #require(CIDR("::ffff:203.0.113.0/120"))
        #expect(mappedRange.description == "203.0.113.0/24")
        #expect(server.bus.send(.unblock(try #require(CIDR("::ffff:198.51.100.9")))).ok)
        #expect(try status(server, for: "198.51.100.9") == 200)
    }

    @Test func oneClientAtItsConnectionCap_gets503_whileOthersAreServed() throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"]) { $0.maxConnectionsPerClient = 3 }
        defer { server.stop() }
        let held = try (0..<3).map { _ in try RawClient(port: server.port) }
        defer { held.forEach { $0.close() } }
        #expect(eventually { server.server.openConnections == 3 })

        let refused = try RawClient(port: server.port)
        defer { refused.close() }
        let answer = try refused.readResponse()
        #expect(answer.status == 503)
        #expect(answer["Retry-After"] == "1")
        #expect(answer.closesConnection)
        #expect(refused.waitForClose())

        let other = try RawClient(port: server.port, source: "127.0.0.2")
        defer { other.close() }
        try other.send(RawClient.request("GET", "/hello.txt"))
        #expect(try other.readResponse().status == 200)

        held[0].close()
        #expect(eventually { server.server.openConnections == 3 })
        #expect(try RawClient.fetch(port: server.port, "GET", "/hello.txt").status == 200)

        #expect(server.bus.send(.configSet("max-connections-per-ip", "off")).ok)
        let more = try (0..<4).map { _ in try RawClient(port: server.port) }
        defer { more.forEach { $0.close() } }
        for client in more {
            try client.send(RawClient.request("GET", "/hello.txt"))
            #expect(try client.readResponse().status == 200)
        }
    }

    /// With no cap the registry counts nothing per client; a cap set live must still see every open connection,
    /// including those opened while it was off, and count none twice.
    @Test func capSetLive_countsTheConnectionsOpenedWhileItWasOff() throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"]) { $0.maxConnectionsPerClient = nil }
        defer { server.stop() }
        let held = try (0..<3).map { _ in try RawClient(port: server.port) }
        defer { held.forEach { $0.close() } }
        #expect(eventually { server.server.openConnections == 3 })

        #expect(server.bus.send(.configSet("max-connections-per-ip", "3")).ok)
        let refused = try RawClient(port: server.port)
        defer { refused.close() }
        #expect(try refused.readResponse().status == 503)

        held[0].close()
        #expect(eventually { server.server.openConnections == 2 })
        let admitted = try RawClient(port: server.port)
        defer { admitted.close() }
        try admitted.send(RawClient.request("GET", "/hello.txt"))
        #expect(try admitted.readResponse().status == 200)

        #expect(server.bus.send(.configSet("max-connections-per-ip", "off")).ok)
        let between = try RawClient(port: server.port)
        defer { between.close() }
        try between.send(RawClient.request("GET", "/hello.txt"))
        #expect(try between.readResponse().status == 200)

        // Open now: held[1], held[2], admitted and between.
        #expect(server.bus.send(.configSet("max-connections-per-ip", "5")).ok)
        let fifth = try RawClient(port: server.port)
        defer { fifth.close() }
        try fifth.send(RawClient.request("GET", "/hello.txt"))
        #expect(try fifth.readResponse().status == 200)
        let sixth = try RawClient(port: server.port)
        defer { sixth.close() }
        #expect(try sixth.readResponse().status == 503)
    }

    @Test func trustedProxy_isNotCappedPerClient() throws {
        let server = try proxied { $0.maxConnectionsPerClient = 1 }
        defer { server.stop() }
        let clients = try (0..<3).map { _ in try RawClient(port: server.port) }
        defer { clients.forEach { $0.close() } }
        for (index, client) in clients.enumerated() {
            try client.send(RawClient.request("GET", "/hello.txt", headers: [("X-Forwarded-For", "192.0.2.\(index)")]))
            #expect(try client.readResponse().status == 200)
        }
    }
}
