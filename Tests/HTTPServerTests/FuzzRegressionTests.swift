import Testing
@testable import HTTPServer

/// Inputs the fuzzer (`make fuzz`) once crashed on; each must now be refused cleanly.
@Suite struct FuzzRegressionTests {
    @Test func negativeChunkSize_isMalformed() {
        var decoder = ChunkedDecoder()
        let input = Array("-9;ex\u{0e}lo\r\nad\r\n".utf8)
        #expect(throws: ChunkedDecoder.DecodeError.self) {
            _ = try input.withUnsafeBytes { try decoder.decode($0) { _ in } }
        }
    }

    @Test func signedOrSpacedChunkSizes_areMalformed() {
        for size in ["+5", "-0", "0x5", " 5"] {
            var decoder = ChunkedDecoder()
            let input = Array("\(size)\r\nhello\r\n0\r\n\r\n".utf8)
            #expect(throws: ChunkedDecoder.DecodeError.self, "chunk size '\(size)'") {
                _ = try input.withUnsafeBytes { try decoder.decode($0) { _ in } }
            }
        }
    }
}
