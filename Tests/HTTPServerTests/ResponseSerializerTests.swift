import Testing
@testable import HTTPServer

@Suite struct ResponseSerializerTests {
    private func text(_ response: Response, bodyLength: Int, _ persistence: ResponseSerializer.Persistence) -> String {
        var parts = ResponseHeadParts(server: "httpsh")
        parts.advance(to: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        let head = ResponseSerializer.head(for: response, bodyLength: bodyLength, parts: &parts,
                                           persistence: persistence, requestID: RequestID(made: 0xff))
        return String(decoding: head, as: UTF8.self)
    }

    @Test func keepAliveHead_carriesStatusLengthAndKeepAliveFigures() {
        var response = Response(status: .ok)
        response.headers.add("Content-Type", "text/plain")
        let head = text(response, bodyLength: 1_048_576, .keepAlive(timeout: 30, remaining: 1000))
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: httpsh\r\n"))
        #expect(head.contains("\r\nContent-Length: 1048576\r\n"))
        #expect(head.contains("\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=1000\r\n"))
        #expect(head.contains("\r\nX-Request-ID: 00000000000000ff\r\n"))
        #expect(head.hasSuffix("\r\nContent-Type: text/plain\r\n\r\n"))
    }

    @Test func closingHead_withEmptyBody_saysZeroAndClose() {
        let head = text(Response(status: .notFound), bodyLength: 0, .close)
        #expect(head.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(head.contains("\r\nContent-Length: 0\r\nConnection: close\r\n"))
    }

    @Test func notModified_hasNoContentLength() {
        let head = text(Response(status: .notModified), bodyLength: 10, .keepAlive(timeout: 5, remaining: 1))
        #expect(head.hasPrefix("HTTP/1.1 304 Not Modified\r\n"))
        #expect(!head.contains("Content-Length"))
        #expect(head.contains("Keep-Alive: timeout=5, max=1\r\n"))
    }

    @Test(arguments: [0, 7, 9, 10, 99, 100, 999, 1000, 1234, 9_999, 10_000, 65_536, 999_999_999_999_999_999,
                      1_000_000_000_000_000_000, Int.max, Int.min, -42])
    func decimal_matchesStringDescription(_ value: Int) {
        var out: [UInt8] = []
        ResponseSerializer.appendDecimal(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
        var written = [UInt8](repeating: 0, count: 32)
        let count = written.withUnsafeMutableBufferPointer { buffer in
            var writer = ByteWriter(buffer)
            writer.write(decimal: value)
            return writer.count
        }
        #expect(String(decoding: written[..<count], as: UTF8.self) == String(value))
    }

    /// Every nibble value in every position, both halves, and the digit/letter boundary (9/a, f/0).
    @Test(arguments: [0, 1, 9, 10, 15, 16, 0x9a, 0xfa, 0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210,
                      0xa9a9_a9a9_9a9a_9a9a, 0x0000_0001_0000_0000, 0xffff_ffff, UInt64.max] as [UInt64])
    func hex_isSixteenLowercaseDigits(_ value: UInt64) {
        var written = [UInt8](repeating: 0, count: 32)
        let count = written.withUnsafeMutableBufferPointer { buffer in
            var writer = ByteWriter(buffer)
            writer.write(hex: value)
            return writer.count
        }
        let expected = String(repeating: "0", count: 16 - String(value, radix: 16).count) + String(value, radix: 16)
        #expect(String(decoding: written[..<count], as: UTF8.self) == expected)
    }
}

/// The parts a worker keeps rendered between responses must never show one response another's fields, date or
/// status: each head written through them equals the head written from scratch.
@Suite struct ResponseHeadPartsTests {
    private static let buffer = 16 << 10

    /// Writes `response` through `parts` into a fresh buffer, as the engine does.
    private func written(_ response: Response, _ parts: inout ResponseHeadParts, id: UInt64 = 1) throws -> String {
        var bytes = [UInt8](repeating: 0, count: Self.buffer)
        let count = try bytes.withUnsafeMutableBufferPointer { buffer in
            try #require(ResponseSerializer.write(response, bodyLength: 10, parts: &parts,
                                                  persistence: .keepAlive(timeout: 5, remaining: 7),
                                                  requestID: RequestID(made: id), into: buffer))
        }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }

    /// The same head with nothing remembered.
    private func fresh(_ response: Response, second: Int, id: UInt64 = 1) -> String {
        var parts = ResponseHeadParts(server: "httpsh")
        parts.advance(to: second)
        let head = ResponseSerializer.head(for: response, bodyLength: 10, parts: &parts,
                                           persistence: .keepAlive(timeout: 5, remaining: 7),
                                           requestID: RequestID(made: id))
        return String(decoding: head, as: UTF8.self)
    }

    private func fileResponse() -> Response {
        Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8", "ETag": "\"abc\"",
                                         "Last-Modified": "Sun, 06 Nov 1994 08:49:37 GMT"])
    }

    @Test func sameHeaders_servedAgain_giveTheSameHeadAsFromScratch() throws {
        var parts = ResponseHeadParts(server: "httpsh")
        parts.advance(to: 784_111_777)
        let response = fileResponse()
        let heads = try (0..<4).map { _ in try written(response, &parts) }
        #expect(Set(heads).count == 1)
        #expect(heads[0] == fresh(response, second: 784_111_777))
        #expect(heads[0].contains("\r\nX-Frame-Options: SAMEORIGIN\r\n"))
    }

    @Test func headersChangedAfterBeingRemembered_showTheChange() throws {
        var parts = ResponseHeadParts(server: "httpsh")
        parts.advance(to: 784_111_777)
        let original = fileResponse()
        for _ in 0..<3 { _ = try written(original, &parts) }
        var changed = original
        changed.headers.add("Vary", "Accept-Encoding")
        changed.headers.set("Content-Type", "text/plain")
        let head = try written(changed, &parts)
        #expect(head == fresh(changed, second: 784_111_777))
        #expect(head.contains("\r\nVary: Accept-Encoding\r\n") && !head.contains("X-Frame-Options"))
        #expect(try written(original, &parts) == fresh(original, second: 784_111_777))
    }

    @Test func manyShortLivedHeaderSets_eachShowTheirOwnFields() throws {
        // Freed header arrays hand their addresses to the next ones: what is remembered must not outlive them.
        var parts = ResponseHeadParts(server: "httpsh")
        parts.advance(to: 784_111_777)
        for index in 0..<200 {
            var response = Response(status: .ok)
            response.headers.add("ETag", "\"\(index)\"")
            for _ in 0..<2 { #expect(try written(response, &parts).contains("\r\nETag: \"\(index)\"\r\n")) }
        }
    }

    @Test func nextSecondAndOtherStatus_showInTheLead() throws {
        var parts = ResponseHeadParts(server: "httpsh")
        parts.advance(to: 784_111_777)
        var response = fileResponse()
        _ = try written(response, &parts)
        parts.advance(to: 784_111_778)
        #expect(try written(response, &parts).contains("\r\nDate: Sun, 06 Nov 1994 08:49:38 GMT\r\n"))
        response.status = .notModified
        #expect(try written(response, &parts) == fresh(response, second: 784_111_778))
        response.status = HTTPStatus(200, "Fine")
        #expect(try written(response, &parts).hasPrefix("HTTP/1.1 200 Fine\r\n"))
    }

    /// The keep-alive line kept rendered follows a timeout changed live, and back.
    @Test func keepAliveTimeoutChanged_showsInTheHead() throws {
        var parts = ResponseHeadParts(server: "httpsh")
        parts.advance(to: 784_111_777)
        var bytes = [UInt8](repeating: 0, count: Self.buffer)
        for (timeout, remaining) in [(5, 9), (5, 8), (30, 7), (5, 123_456)] {
            let count = try bytes.withUnsafeMutableBufferPointer { buffer in
                try #require(ResponseSerializer.write(Response(status: .ok), bodyLength: 0, parts: &parts,
                                                      persistence: .keepAlive(timeout: timeout, remaining: remaining),
                                                      requestID: nil, into: buffer))
            }
            let head = String(decoding: bytes[..<count], as: UTF8.self)
            #expect(head.contains("\r\nConnection: keep-alive\r\nKeep-Alive: timeout=\(timeout), max=\(remaining)\r\n"))
        }
    }

    @Test func madeRequestID_keepsLeadingZeros_inTheHeadAndAsText() throws {
        var parts = ResponseHeadParts(server: "httpsh")
        parts.advance(to: 784_111_777)
        let id: UInt64 = 0x0000_00a1_0000_0002
        #expect(RequestID(made: id).description == "000000a100000002")
        #expect(try written(Response(status: .ok), &parts, id: id).contains("\r\nX-Request-ID: 000000a100000002\r\n"))
    }
}
