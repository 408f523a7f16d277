import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// `POST /upload` with JSON bodies, over real loopback sockets.
@Suite struct UploadJSONTests {
    @Test func jsonUpload_isStoredAndAnswered201WithLocation() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let document = Array("{\"hello\": \"wörld\", \"n\": [1, 2.5e3, -0.0, true, null]}".utf8)

        let response = try server.request(UploadTestRequest.post(contentType: "application/json; charset=utf-8",
                                                                 body: document))

        #expect(response.status == 201)
        let name = try #require(response.json["name"] as? String)
        #expect(name.wholeMatch(of: /upload_\d{8}_\d{6}_[0-9a-f]{6}\.json/) != nil)
        #expect(response["Location"] == "/uploads/\(name)")
        #expect(response.json["status"] as? String == "success")
        #expect(response.json["filepath"] as? String == "/uploads/\(name)")
        #expect(response.json["size"] as? Int == document.count)
        #expect(server.stored(name) == document)
        #expect(server.entries() == [name])
        #expect(server.store.uploadsTotal == 1)
        #expect(server.store.uploadedBytesTotal == document.count)
    }

    @Test func jsonUploadName_usesTheCurrentUTCTime() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let before = time(nil)
        let response = try server.request(UploadTestRequest.post(contentType: "application/json", body: Array("[]".utf8)))
        let after = time(nil)
        let name = try #require(response.json["name"] as? String)
        let stamps = [before, after].map { UploadName.generatedName(now: $0, random: 0, extension: "json").prefix(22) }
        #expect(stamps.contains(name.prefix(22)))
    }

    @Test func fiveConcurrentJSONUploads_makeFiveDistinctFiles() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let documents = (0..<5).map { Array("{\"upload\": \($0), \"padding\": \"\(String(repeating: "x", count: 5000))\"}".utf8) }
        let clients = try documents.map { _ in try server.connect() }
        defer { clients.forEach { $0.close() } }

        // Every upload is in progress at once: all heads and half bodies first, then the other halves.
        for (client, document) in zip(clients, documents) {
            let request = UploadTestRequest.post(contentType: "application/json", body: document)
            try client.send(bytes: Array(request[..<(request.count - document.count / 2)]))
        }
        #expect(eventually { server.entries().filter { $0.hasPrefix(".upload-") }.count == 5 })
        for (client, document) in zip(clients, documents) {
            try client.send(bytes: Array(document[(document.count - document.count / 2)...]))
        }
        let responses = try clients.map { try $0.readResponse() }

        #expect(responses.allSatisfy { $0.status == 201 })
        let names = responses.compactMap { $0.json["name"] as? String }
        #expect(Set(names).count == 5)
        #expect(server.entries() == names.sorted())
        for (name, document) in zip(names, documents) {
            #expect(server.stored(name) == document)
        }
        #expect(server.store.uploadsTotal == 5)
    }

    @Test func invalidJSON_isAnswered400WithTheReasonAndLeavesNothing() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let client = try server.connect()
        defer { client.close() }

        try client.send(bytes: UploadTestRequest.post(contentType: "application/json", body: Array("{\"a\": 1,}".utf8)))
        let response = try client.readResponse()

        #expect(response.status == 400)
        let detail = try #require(response.json["detail"] as? String)
        #expect(detail.contains("not valid JSON"))
        #expect(detail.contains("expected a string key, found '}' at byte 8"))
        #expect(server.entries().isEmpty)
        #expect(server.store.uploadsTotal == 0)
        // The body was read to its end, so the connection still serves the next request.
        try client.send(bytes: UploadTestRequest.post(contentType: "application/json", body: Array("{\"a\": 1}".utf8)))
        #expect(try client.readResponse().status == 201)
    }

    @Test func invalidJSONInALargeBody_isRefusedAfterTheWholeBodyAndLeavesNothing() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var body = Array("[\"\u{1}\"".utf8)
        body += [UInt8](repeating: UInt8(ascii: " "), count: 2 << 20) + Array("]".utf8)

        let response = try server.request(UploadTestRequest.post(contentType: "application/json", body: body))

        #expect(response.status == 400)
        #expect((response.json["detail"] as? String)?.contains("control character") == true)
        #expect(server.entries().isEmpty)
    }

    @Test func emptyJSONBody_isAnswered400() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let response = try server.request(UploadTestRequest.post(contentType: "application/json", body: []))
        #expect(response.status == 400)
        #expect((response.json["detail"] as? String)?.contains("empty") == true)
        #expect(server.entries().isEmpty)
    }

    @Test func chunkedJSONUpload_isStoredWhole() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let document = Array(("[" + (0..<20_000).map(String.init).joined(separator: ",") + "]").utf8)

        let response = try server.request(UploadTestRequest.chunked(contentType: "application/json", body: document,
                                                                    chunkSize: 1000))

        #expect(response.status == 201)
        let name = try #require(response.json["name"] as? String)
        let stored = try #require(server.stored(name), "\(name) is not in the uploads folder")
        #expect(firstDifference(stored, document) == nil)
    }

    @Test func otherContentType_isAnswered415ListingWhatIsAccepted() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let response = try server.request(UploadTestRequest.post(contentType: "text/plain", body: Array("hi".utf8)))
        #expect(response.status == 415)
        #expect(response["Accept-Post"] == "application/json, multipart/form-data")
        let detail = try #require(response.json["detail"] as? String)
        #expect(detail.contains("application/json") && detail.contains("multipart/form-data"))
        #expect(server.entries().isEmpty)
    }

    @Test func missingContentType_isAnswered415() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let response = try server.request(UploadTestRequest.post(contentType: nil, body: Array("{}".utf8)))
        #expect(response.status == 415)
    }

    @Test func compressedBody_isAnswered415() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let response = try server.request(UploadTestRequest.post(contentType: "application/json", body: Array("{}".utf8),
                                                                 extraHeaders: ["Content-Encoding: gzip"]))
        #expect(response.status == 415)
    }

    @Test func postWithoutLength_isAnswered411() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let response = try server.request(Array(
            "POST /upload HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nContent-Type: application/json\r\n\r\n".utf8))
        #expect(response.status == 411)
        #expect(server.entries().isEmpty)
    }

    @Test func bodyOverTheLimit_isAnswered413BeforeTheBodyIsSent() throws {
        let server = try TestServer.forUploads(maxUpload: 1 << 20)
        defer { server.stop() }
        let client = try server.connect()
        defer { client.close() }

        try client.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
            + "Content-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n")
        let response = try client.readResponse()

        #expect(response.status == 413)
        #expect(response["Connection"] == "close")
        #expect(client.waitForClose())
        #expect(server.entries().isEmpty)
    }

    @Test func chunkedBodyOverTheLimit_isAnswered413AndLeavesNothing() throws {
        let server = try TestServer.forUploads(maxUpload: 64 * 1024)
        defer { server.stop() }
        let client = try server.connect()
        defer { client.close() }
        let document = Array(("[" + String(repeating: "1,", count: 50_000) + "1]").utf8)

        // Send the body up to the first byte over the limit and no further: the server reads all of it, so its
        // answer is not lost to a reset caused by unread bytes.
        let overLimit = UploadTestRequest.chunked(contentType: "application/json",
                                                  body: Array(document[..<(64 * 1024 + 1)]), chunkSize: 8192)
        try client.send(bytes: Array(overLimit.dropLast("\r\n0\r\n\r\n".utf8.count)))
        let response = try client.readResponse()

        #expect(response.status == 413)
        #expect(eventually { server.entries().isEmpty })
    }

    @Test func clientDisconnectingHalfway_leavesNoFileAndNoTemporary() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let client = try server.connect()
        let document = Array(("[" + String(repeating: "12345678,", count: 100_000) + "0]").utf8)
        let request = UploadTestRequest.post(contentType: "application/json", body: document)

        try client.send(bytes: Array(request[..<(request.count / 2)]))
        #expect(eventually { server.entries().contains { $0.hasPrefix(".upload-") } })
        client.close()

        #expect(eventually { server.entries().isEmpty })
        #expect(server.store.uploadsTotal == 0)
    }

    @Test func uploadedJSON_roundTripsThroughGET() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let document = Array("{\"emoji\": \"😀\", \"list\": [1, 2, 3]}".utf8)
        let created = try server.request(UploadTestRequest.post(contentType: "application/json", body: document))
        let location = try #require(created["Location"])

        let fetched = try server.request(UploadTestRequest.get(location))

        #expect(fetched.status == 200)
        #expect(fetched.body == document)
        #expect(fetched["Content-Type"]?.hasPrefix("application/json") == true)
        #expect(fetched["X-Content-Type-Options"] == "nosniff")
        #expect(fetched["ETag"] != nil)
    }
}
