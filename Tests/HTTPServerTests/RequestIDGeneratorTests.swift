import Testing
@testable import HTTPServer

@Suite struct RequestIDGeneratorTests {
    @Test func ids_areSixteenLowercaseHexDigits_countingUp() throws {
        var generator = RequestIDGenerator()
        let ids = (0..<300).map { _ in generator.next().description }
        for id in ids {
            #expect(id.utf8.count == 16)
            #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        }
        let values = try ids.map { try #require(UInt64($0, radix: 16)) }
        // The upper half is the generator's prefix, the lower half counts from 1.
        #expect(Set(values.map { $0 >> 32 }).count == 1)
        #expect(values.map { $0 & 0xffff_ffff } == (1...300).map(UInt64.init))
    }
}
