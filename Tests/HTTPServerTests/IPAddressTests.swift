import Testing
@testable import HTTPServer

/// `IPAddress` keeps its bytes in two integers; these check it against the byte-by-byte definitions it replaced,
/// over random addresses and every prefix length, since blocking and per-client caps depend on masks and ranges.
@Suite struct IPAddressTests {
    /// The reference: clear all but the first `prefixLength` bits, one byte at a time.
    private static func referenceMask(_ bytes: [UInt8], _ prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsHere = min(max(prefixLength - index * 8, 0), 8)
            return bitsHere == 8 ? byte : byte & ~(UInt8(0xff) >> bitsHere)
        }
    }

    private static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        return bytes
    }

    @Test func bytes_roundTripForBothFamilies() throws {
        for count in [4, 16] {
            for _ in 0..<200 {
                let bytes = Self.randomBytes(count)
                let address = try #require(IPAddress(bytes: bytes))
                #expect(address.bytes == bytes)
                #expect(address.isIPv4 == (count == 4))
            }
        }
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: Array(repeating: 0, count: 6)) == nil)
    }

    @Test func masked_matchesTheByteDefinitionAtEveryPrefixLength() throws {
        for count in [4, 16] {
            for _ in 0..<20 {
                let bytes = Self.randomBytes(count)
                let address = try #require(IPAddress(bytes: bytes))
                for prefixLength in -1...(count * 8 + 1) {
                    #expect(address.masked(to: prefixLength).bytes == Self.referenceMask(bytes, prefixLength),
                            "\(address)/\(prefixLength)")
                }
            }
        }
    }

    @Test func cidrContains_matchesTheByteDefinition() throws {
        for count in [4, 16] {
            for _ in 0..<20 {
                let network = Self.randomBytes(count)
                for prefixLength in [0, 1, 7, 8, 9, 24, 31, 32, 63, 64, 65, 120, 128] where prefixLength <= count * 8 {
                    let range = CIDR(try #require(IPAddress(bytes: network)), prefixLength: prefixLength)
                    // One address inside (the network's bits, random host bits) and one just outside.
                    var inside = Self.randomBytes(count)
                    for index in 0..<count {
                        let bitsHere = min(max(prefixLength - index * 8, 0), 8)
                        let keep = ~(UInt8(0xff) >> bitsHere)
                        inside[index] = network[index] & keep | inside[index] & ~keep
                    }
                    #expect(range.contains(try #require(IPAddress(bytes: inside))), "\(range) \(inside)")
                    if prefixLength > 0 {
                        var outside = inside
                        let bit = prefixLength - 1
                        outside[bit / 8] ^= 0x80 >> (bit % 8)
                        #expect(!range.contains(try #require(IPAddress(bytes: outside))), "\(range) \(outside)")
                    }
                }
            }
        }
        // Families never match each other, not even the IPv4-mapped form of an IPv4 range.
        let v4 = try #require(CIDR("10.0.0.0/8"))
        #expect(!v4.contains(try #require(IPAddress(literal: "::ffff:10.1.2.3"))))
        #expect(v4.contains(try #require(IPAddress("::ffff:10.1.2.3"))))
        #expect(!(try #require(CIDR("::/0"))).contains(try #require(IPAddress("10.1.2.3"))))
    }

    @Test func description_andParsing_agree() throws {
        for text in ["0.0.0.0", "127.0.0.1", "255.255.255.255", "192.0.2.1", "::", "::1", "2001:db8::1",
                     "fe80::1:2:3:4", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"] {
            let address = try #require(IPAddress(text))
            #expect(address.description == text)
            #expect(IPAddress(address.description) == address)
        }
        #expect(IPAddress("::ffff:192.0.2.1") == IPAddress("192.0.2.1"))
        #expect(IPAddress("[2001:db8::1]") == IPAddress("2001:db8::1"))
        #expect(IPAddress("192.0.2.1") != IPAddress("::c000:201"))
        #expect(Set([IPAddress("192.0.2.1"), IPAddress("192.0.2.1"), IPAddress("192.0.2.2")]).count == 2)
    }
}
