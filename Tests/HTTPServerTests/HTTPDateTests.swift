import Glibc
import HTTPServer
import Testing

/// IMF-fixdate formatting and parsing (RFC 9110 §5.6.7).
@Suite struct HTTPDateTests {
    @Test func format_isIMFFixdate() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func parse_readsIMFFixdate() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
    }

    @Test(arguments: [0, 784_111_777, 951_782_400, 1_700_000_000, 2_147_483_647, 4_102_444_800])
    func formatThenParse_roundTrips(_ seconds: Int) {
        #expect(HTTPDate.parse(HTTPDate.format(seconds)) == seconds)
    }

    @Test func now_roundTrips() {
        let now = Int(time(nil))
        #expect(HTTPDate.parse(HTTPDate.format(now)) == now)
    }

    @Test(arguments: [
        "",
        "yesterday",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:49:37 GMT",
        "Sun, 06 Nov 1994 08:60:37 GMT",
        "Sun, 0x Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ",
    ])
    func otherText_isNil(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}
