import HTTPServer
import Testing

/// The chunked body decoder (RFC 9112 §7.1): extensions, trailers, arbitrary splits, and refusals.
@Suite struct ChunkedDecoderTests {
    /// A body with an extension, a trailer field and bytes of the next request after it.
    static let encoded = "4;name=value\r\nWiki\r\n5 ; quoted=\"a;b\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n"
    static let decoded = "Wikipedia in\r\n\r\nchunks."
    static let next = "GET /next HTTP/1.1\r\n"

    /// Feeds `pieces` one after another, as a connection would, and returns the body and the bytes used.
    private func decode(_ pieces: [[UInt8]]) throws -> (body: [UInt8], used: Int, complete: Bool) {
        var decoder = ChunkedDecoder()
        var body: [UInt8] = []
        var used = 0
        for piece in pieces where !decoder.isComplete {
            used += try piece.withUnsafeBytes { raw in
                try decoder.decode(raw) { body.append(contentsOf: $0) }
            }
        }
        return (body, used, decoder.isComplete)
    }

    @Test func body_withExtensionsAndTrailers_isDecoded_andNextRequestIsLeft() throws {
        let input = Array((Self.encoded + Self.next).utf8)
        let result = try decode([input])
        #expect(String(decoding: result.body, as: UTF8.self) == Self.decoded)
        #expect(result.complete)
        #expect(result.used == Self.encoded.utf8.count)
    }

    @Test func body_splitAtEveryByte_decodesTheSame() throws {
        let input = Array(Self.encoded.utf8)
        let result = try decode(input.map { [$0] })
        #expect(String(decoding: result.body, as: UTF8.self) == Self.decoded)
        #expect(result.complete)
        #expect(result.used == input.count)
    }

    @Test func body_splitInTwoAtEveryPosition_decodesTheSame() throws {
        let input = Array((Self.encoded + Self.next).utf8)
        for split in 0...input.count {
            let result = try decode([Array(input[..<split]), Array(input[split...])])
            #expect(String(decoding: result.body, as: UTF8.self) == Self.decoded, "split at \(split)")
            #expect(result.complete, "split at \(split)")
            #expect(result.used == Self.encoded.utf8.count, "split at \(split)")
        }
    }

    @Test func bareLineFeeds_areAccepted() throws {
        let result = try decode([Array("3\nabc\n0\n\n".utf8)])
        #expect(result.body == Array("abc".utf8))
        #expect(result.complete)
    }

    @Test func uppercaseAndLowercaseHex_areSizes() throws {
        let body = String(repeating: "x", count: 0x1a)
        let result = try decode([Array("1A\r\n\(body)\r\n1a\r\n\(body)\r\n0\r\n\r\n".utf8)])
        #expect(result.body.count == 0x34)
    }

    @Test func emptyBody_isComplete() throws {
        let result = try decode([Array("0\r\n\r\n".utf8)])
        #expect(result.body.isEmpty)
        #expect(result.complete)
    }

    @Test func unfinishedBody_isNotComplete() throws {
        let result = try decode([Array("5\r\nhel".utf8)])
        #expect(result.body == Array("hel".utf8))
        #expect(!result.complete)
    }

    @Test(arguments: ["zz\r\n", "\r\n", ";ext\r\n", "-1\r\n", "+5\r\n", "0x5\r\n", "1234567890abcdef0\r\n"])
    func badChunkSize_throws(_ line: String) {
        #expect(throws: ChunkedDecoder.DecodeError.self) {
            _ = try decode([Array((line + "hello\r\n0\r\n\r\n").utf8)])
        }
    }

    @Test func dataLongerThanItsSize_throws() {
        #expect(throws: ChunkedDecoder.DecodeError.self) {
            _ = try decode([Array("3\r\nabcdef\r\n0\r\n\r\n".utf8)])
        }
    }

    @Test func endlessSizeLine_throws() {
        let line = "5;" + String(repeating: "e", count: 5000)
        #expect(throws: ChunkedDecoder.DecodeError.self) {
            _ = try decode([Array(line.utf8)])
        }
    }
}
