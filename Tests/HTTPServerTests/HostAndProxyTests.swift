import Testing
@testable import HTTPServer

@Suite struct HostAndProxyTests {
    private func head(_ target: String = "/", host: String?) -> RequestHead {
        var headers = HTTPHeaders()
        if let host { headers.add("Host", host) }
        return RequestHead(method: .get, target: target, rawPath: "/", query: nil, version: .http11, headers: headers,
                           framing: .none, keepAlive: true)
    }

    @Test func loopbackBind_allowsLocalNamesOnly() {
        let policy = HostPolicy(names: nil, bindHost: "127.0.0.1")
        #expect(policy.allows(head(host: "127.0.0.1:8080")))
        #expect(policy.allows(head(host: "LOCALHOST")))
        #expect(policy.allows(head(host: "[::1]:8080")))
        #expect(!policy.allows(head(host: "evil.example")))
        #expect(!policy.allows(head(host: "127.0.0.1.evil.example")))
    }

    /// A worker remembers the `Host` value it last allowed and answers the same bytes at once: any other value,
    /// however close, is checked, and a refused one is never remembered.
    @Test func rememberedHost_answersOnlyTheSameBytes() {
        let policy = HostPolicy(names: nil, bindHost: "127.0.0.1")
        var remembered = RememberedHost()
        #expect(policy.allows(head(host: "127.0.0.1:8080"), remembering: &remembered))
        #expect(policy.allows(head(host: "127.0.0.1:8080"), remembering: &remembered))
        #expect(!policy.allows(head(host: "127.0.0.2:8080"), remembering: &remembered))
        #expect(!policy.allows(head(host: "127.0.0.1.8080"), remembering: &remembered))
        #expect(!policy.allows(head(host: "evil.example"), remembering: &remembered))
        #expect(!policy.allows(head(host: "evil.example"), remembering: &remembered))
        #expect(policy.allows(head(host: "LOCALHOST"), remembering: &remembered))
        #expect(!policy.allows(head(host: "LOCALHOSU"), remembering: &remembered))
        #expect(policy.allows(head(host: "127.0.0.1:8080"), remembering: &remembered))
        #expect(!policy.allows(head("http://evil.example/x", host: "127.0.0.1:8080"), remembering: &remembered))
    }

    @Test func wildcardBind_allowsAnyName() {
        #expect(HostPolicy(names: nil, bindHost: "0.0.0.0").allows(head(host: "files.example")))
        #expect(HostPolicy(names: nil, bindHost: "::").allows(head(host: "files.example")))
    }

    @Test func explicitList_replacesTheDefault() {
        let policy = HostPolicy(names: ["files.example"], bindHost: "127.0.0.1")
        #expect(policy.allows(head(host: "Files.Example:443")))
        #expect(!policy.allows(head(host: "localhost")))
        #expect(HostPolicy(names: ["*"], bindHost: "127.0.0.1").allows(head(host: "anything")))
    }

    @Test func allowedNameLongerThanAnyDNSName_isStillMatched() {
        let long = String(repeating: "a", count: 300) + ".example"
        let policy = HostPolicy(names: [long, "files.example"], bindHost: "127.0.0.1")
        #expect(policy.allows(head(host: long.uppercased() + ":8080")))
        #expect(policy.allows(head(host: "files.example")))
        #expect(!policy.allows(head(host: String(long.dropFirst()))))
    }

    @Test func absoluteForm_usesTheTargetAuthority() {
        let policy = HostPolicy(names: nil, bindHost: "127.0.0.1")
        #expect(!policy.allows(head("http://evil.example/x", host: "localhost")))
        #expect(policy.allows(head("http://localhost:8080/x", host: "evil.example")))
    }

    @Test func forwardedFor_isIgnoredFromUntrustedPeers() throws {
        let resolver = ForwardedClient(trustedProxies: [try #require(CIDR("10.0.0.0/8"))])
        let headers: HTTPHeaders = ["X-Forwarded-For": "198.51.100.7"]
        let peer = try #require(IPAddress("192.0.2.1"))
        #expect(resolver.client(peer: peer, headers: headers) == peer)
    }

    @Test func forwardedFor_takesTheRightmostUntrustedHop() throws {
        let resolver = ForwardedClient(trustedProxies: [try #require(CIDR("10.0.0.0/8"))])
        let headers: HTTPHeaders = ["X-Forwarded-For": "203.0.113.9, 198.51.100.7, 10.1.1.1"]
        let client = resolver.client(peer: try #require(IPAddress("10.0.0.2")), headers: headers)
        #expect(client == IPAddress("198.51.100.7"))
    }

    @Test func misdirectedHost_gets421OverTheWire() throws {
        let fixture = try TestServer.observed()
        let refused = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt",
                                                               host: "rebinding.example")
        #expect(refused.status == 421)
        let served = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt")
        #expect(served.status == 200)
    }

    /// Each worker keeps its own copy of the Host policy: every change (a list for another list, back again,
    /// any host and back to the default) must reach every worker from the very next request.
    @Test func liveHostChange_appliesToTheNextRequestOnEveryConnection() throws {
        let fixture = try TestServer(files: ["hello.txt": "hello\n"]) { $0.allowedHosts = nil }
        // Kept alive, more of them than workers: the workers have served (and copied the policy) before each change.
        let clients = try (0..<4).map { _ in try RawClient(port: fixture.port) }
        defer { clients.forEach { $0.close() } }
        func statuses(_ host: String) throws -> [Int] {
            var seen: [Int] = []
            for client in clients {
                for _ in 0..<2 {
                    try client.send(RawClient.request("GET", "/hello.txt", host: host))
                    seen.append(try client.readResponse().status)
                }
            }
            seen.append(try RawClient.fetch(port: fixture.port, "GET", "/hello.txt", host: host).status)
            return seen
        }
        func set(_ value: String) { #expect(fixture.bus.send(.configSet("allowed-hosts", value)).ok) }
        let served = Array(repeating: 200, count: 9)
        let refused = Array(repeating: 421, count: 9)

        #expect(try statuses("localhost") == served)
        #expect(try statuses("a.example") == refused)
        set("a.example")
        #expect(try statuses("a.example") == served)
        #expect(try statuses("localhost") == refused)
        set("b.example")
        #expect(try statuses("a.example") == refused)
        #expect(try statuses("b.example") == served)
        set("a.example")
        #expect(try statuses("b.example") == refused)
        #expect(try statuses("a.example") == served)
        set("*")
        #expect(try statuses("c.example") == served)
        set("default")
        #expect(try statuses("c.example") == refused)
        #expect(try statuses("localhost") == served)
    }

    @Test func securityHeaders_onEveryResponse() throws {
        let fixture = try TestServer.observed()
        let file = try RawClient.fetch(port: fixture.port, "GET", "/hello.txt")
        #expect(file["x-content-type-options"] == "nosniff")
        #expect(file["x-frame-options"] == nil)
        let page = try RawClient.fetch(port: fixture.port, "GET", "/missing")
        #expect(page["x-content-type-options"] == "nosniff")
        #expect(page["x-frame-options"] == "SAMEORIGIN")
        #expect(page["content-security-policy"] == "frame-ancestors 'self'")
        #expect(!page.text.contains(fixture.folder.path), "error pages never show server paths")
    }
}
