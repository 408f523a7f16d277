import HTTPServer
import Testing

/// `Range` header interpretation (RFC 9110 §14), with darkhttpd's test cases as the checklist.
@Suite struct ByteRangeTests {
    /// The representation length used throughout.
    let length = 100

    @Test func firstTenBytes() {
        #expect(ByteRange.resolve("bytes=0-9", length: length) == .partial(lower: 0, upper: 9))
    }

    @Test func suffix_isTheLastNBytes() {
        #expect(ByteRange.resolve("bytes=-5", length: length) == .partial(lower: 95, upper: 99))
    }

    @Test func suffixLongerThanTheFile_isTheWholeFileAsPartial() {
        #expect(ByteRange.resolve("bytes=-500", length: length) == .partial(lower: 0, upper: 99))
    }

    @Test func openEnded_runsToTheEnd() {
        #expect(ByteRange.resolve("bytes=5-", length: length) == .partial(lower: 5, upper: 99))
    }

    @Test func endPastTheEnd_isClamped() {
        #expect(ByteRange.resolve("bytes=90-200", length: length) == .partial(lower: 90, upper: 99))
    }

    @Test func singleLastByte() {
        #expect(ByteRange.resolve("bytes=99-99", length: length) == .partial(lower: 99, upper: 99))
    }

    @Test(arguments: ["bytes=100-", "bytes=100-200", "bytes=200-", "bytes=-0"])
    func startBeyondTheEnd_isUnsatisfiable(_ header: String) {
        #expect(ByteRange.resolve(header, length: length) == .unsatisfiable)
    }

    @Test func anyRangeOfAnEmptyFile_isUnsatisfiable() {
        #expect(ByteRange.resolve("bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=-5", length: 0) == .unsatisfiable)
    }

    @Test func backwards_isTheWholeFile() {
        #expect(ByteRange.resolve("bytes=9-0", length: length) == .whole)
    }

    @Test(arguments: ["bytes=a-5", "bytes=x-", "bytes=1-b", "bytes= -", "bytes=-", "bytes=5", "bytes=--5", "bytes=0x1-2"])
    func badSyntax_isTheWholeFile(_ header: String) {
        #expect(ByteRange.resolve(header, length: length) == .whole)
    }

    @Test(arguments: ["bytes=0-1,5-6", "bytes=0-1, 3-4", "bytes=-5,0-1"])
    func multipleRanges_areTheWholeFile(_ header: String) {
        #expect(ByteRange.resolve(header, length: length) == .whole)
    }

    @Test(arguments: [nil, "", "items=0-5", "bytes 0-5"])
    func noUsableHeader_isTheWholeFile(_ header: String?) {
        #expect(ByteRange.resolve(header, length: length) == .whole)
    }

    @Test func hugeNumbers_doNotOverflow() {
        let huge = "999999999999999999999999999999"
        #expect(ByteRange.resolve("bytes=\(huge)-", length: length) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=0-\(huge)", length: length) == .partial(lower: 0, upper: 99))
        #expect(ByteRange.resolve("bytes=-\(huge)", length: length) == .partial(lower: 0, upper: 99))
        #expect(ByteRange.resolve("bytes=\(huge)-\(huge)", length: length) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=\(Int.max)-", length: length) == .unsatisfiable)
    }

    @Test func spacesAroundTheSpec_areAllowed() {
        #expect(ByteRange.resolve("bytes= 10 - 19 ", length: length) == .partial(lower: 10, upper: 19))
    }
}
