import AdminShell
import Foundation
import HTTPServer
import Testing

/// `config`, `config get` and `config set` on a real server: every setting listed with its source, live ones
/// changed and enforced from the next request, restart-only ones refused, and no request failing meanwhile.
@Suite struct ConfigCommandTests {
    @Test func config_ListsEverySettingWithSourceAndLiveness() throws {
        let server = try TestServer.shell()
        let rows = server.run("config").rowTexts
        #expect(rows.map { $0[0] } == Settings.all.map(\.name))
        #expect(rows.allSatisfy { $0[2] == "default" })
        let workers = try #require(rows.first { $0[0] == "workers" })
        #expect(workers[3] == "live")
        let port = try #require(rows.first { $0[0] == "port" })
        #expect(port[3] == "at restart")
        for name in ["workers", "rate-limit", "dir-listing", "log-level", "header-timeout", "idle-timeout",
                     "body-timeout", "max-requests", "max-connections", "max-upload", "allowed-hosts",
                     "shutdown-grace", "log-format", "cors", "precompressed"] {
            #expect(Settings.named(name)?.live == true, "\(name)")
        }
    }

    @Test func configSet_ChangesTheValueAndItsSource() throws {
        let server = try TestServer.shell()
        #expect(server.run("config get max-upload").field("value")?.text == "64M")
        #expect(server.run("config set max-upload 1K") == .done("max-upload: 64M -> 1K"))
        let reply = server.run("config get max-upload")
        #expect(reply.field("value")?.text == "1K")
        #expect(reply.field("source")?.text == "live")
        // The older commands are the same settings.
        #expect(server.run("workers 3").ok)
        #expect(server.run("config get workers").field("source")?.text == "live")
        #expect(server.run("config set rate-limit 10/1 burst 20").ok)
        #expect(server.status("rate_limit") == "10/1s burst 20")
    }

    @Test func configSet_CoversCORSAndPrecompressed_AsTheirOwnCommandsDo() throws {
        let server = try TestServer.shell()
        #expect(server.run("config set cors https://app.example").ok)
        #expect(server.status("cors") == "https://app.example")
        let allowed = try RawClient.fetch(port: server.port, "GET", "/hello.txt",
                                          headers: [("Origin", "https://app.example")])
        #expect(allowed["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(!server.run("config set cors ftp://nope/").ok)
        #expect(server.run("config get cors").field("value")?.text == "https://app.example")
        #expect(server.run("config set precompressed off").ok)
        #expect(server.run("config get precompressed").field("value")?.text == "off")
        #expect(server.run("precompressed on").ok)
    }

    @Test func configSet_RefusesBadValuesAndRestartOnlySettings() throws {
        let server = try TestServer.shell()
        #expect(server.run("config set port 9000") == .failed(
            "port changes only at start: put it in the settings file ('config save') or pass --port, then restart"))
        #expect(server.run("config set idle-timeout 0") == .failed("idle-timeout: '0' is not a number from 1 to 86400"))
        #expect(!server.run("config set nonsense 1").ok)
        #expect(!server.run("config get nonsense").ok)
        #expect(server.run("config get idle-timeout").field("value")?.text == "30", "a refused value changes nothing")
    }

    @Test func configSet_badValueOfASettingWithAWord_namesTheWordToo() throws {
        let server = try TestServer.shell()
        #expect(server.run("config set max-connections-per-ip x") == .failed(
            "max-connections-per-ip: 'x' is not a number from 1 to 10000000, or off"))
        #expect(server.run("config set max-connections x") == .failed(
            "max-connections: 'x' is not a number from 1 to 10000000, or auto"))
        #expect(server.run("config set uploads-quota x") == .failed(
            "uploads-quota: 'x' is not a size such as 65536, 512K or 64M, or off"))
        #expect(server.run("config get max-connections-per-ip").field("value")?.text == "256")
    }

    @Test func liveLimits_AreEnforcedFromTheNextRequest() throws {
        let server = try TestServer.shell()
        // max-upload: a body over the new limit is refused from its Content-Length.
        #expect(server.run("config set max-upload 1K").ok)
        let body = String(repeating: "x", count: 2000)
        let upload = try RawClient.fetch(port: server.port, "POST", "/upload",
                                         headers: [("Content-Type", "application/json")], body: "\"\(body)\"")
        #expect(upload.status == 413)

        // allowed-hosts: another name is answered 421.
        #expect(server.run("config set allowed-hosts example.com").ok)
        #expect(server.get("/hello.txt")?.status == 421)
        #expect(server.run("config set allowed-hosts *").ok)
        #expect(server.get("/hello.txt")?.status == 200)

        // max-requests: the second response on one connection closes it.
        #expect(server.run("config set max-requests 2").ok)
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/hello.txt"))
        #expect(try client.readResponse()["Connection"] != "close")
        try client.send(RawClient.request("GET", "/hello.txt"))
        #expect(try client.readResponse()["Connection"] == "close")

        // header-timeout: a head that stalls past the new limit gets 408.
        #expect(server.run("config set header-timeout 1").ok)
        let slow = try RawClient(port: server.port)
        defer { slow.close() }
        try slow.send("GET /hello.txt HTTP/1.1\r\n")
        #expect(try slow.readResponse().status == 408)
    }

    @Test func configSet_Under200Connections_FailsNoRequest() throws {
        let server = try TestServer.shell()
        let load = ClientLoad(port: server.port, threads: 2, connections: .newPerRequest)
        var clients: [RawClient] = []
        for _ in 0..<200 { clients.append(try RawClient(port: server.port, timeout: 10)) }
        var failures: [String] = []
        func roundOfRequests(_ round: Int) {
            for (index, client) in clients.enumerated() {
                do {
                    try client.send(RawClient.request("GET", "/hello.txt"))
                    let response = try client.readResponse()
                    if response.status != 200 { failures.append("round \(round) #\(index): \(response.status)") }
                } catch {
                    failures.append("round \(round) #\(index): \(error)")
                }
            }
        }
        roundOfRequests(0)
        let changes = ["workers 1", "max-requests 500", "idle-timeout 120", "header-timeout 20", "body-timeout 20",
                       "max-connections 5000", "max-upload 128M", "allowed-hosts *", "log-format json",
                       "shutdown-grace 5", "rate-limit off", "dir-listing off", "log-level warning", "workers 6"]
        for (round, change) in changes.enumerated() {
            #expect(server.run("config set \(change)").ok, "\(change)")
            #expect(load.waitForAnswers(5, status: 200), "\(change)")
            if round % 5 == 0 { roundOfRequests(round + 1) }
        }
        roundOfRequests(changes.count + 1)
        #expect(load.stop())
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(load.failures(expecting: 200).isEmpty, "\(load.failures(expecting: 200).prefix(5))")
        #expect(server.server.openConnections >= 200)
    }
}
