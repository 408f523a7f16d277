/// Percent-decoding and -encoding of URL components (RFC 3986 §2.1).
public enum PercentEncoding {
    /// Decodes `%XX` escapes once. Nil for a broken escape, invalid UTF-8 or a NUL byte: such paths are refused.
    /// With `plusAsSpace` (query strings from HTML forms) a `+` becomes a space.
    public static func decode(_ text: some StringProtocol, plusAsSpace: Bool = false) -> String? {
        if !plusAsSpace {
            // Nothing to decode (most paths): a Swift string is already valid UTF-8, so only NUL is left to refuse.
            // Scanned as contiguous bytes where it can be, a tenth of the cost of iterating the view.
            let isSpecial = { (byte: UInt8) in byte == .percent || byte == 0 }
            let special = text.utf8.withContiguousStorageIfAvailable { $0.first(where: isSpecial) }
                ?? text.utf8.first(where: isSpecial)
            if special == nil { return String(text) }
            if special == 0 { return nil }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case .percent:
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                bytes.append(.space)
            default:
                bytes.append(byte)
            }
        }
        guard !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// `decode` for a `String`, such as a request's path: one without a `%` and a NUL (most paths) is its own
    /// decoding, told by a scan eight bytes at a time and given back as it is, with no new string made. Inlined,
    /// with the scan, into the request's making: called apart, the scan and the closure around it cost 74
    /// instructions a request, about 30 inlined.
    @inline(__always)
    public static func decode(_ text: String) -> String? {
        text.withBorrowedUTF8 { hasEscapeOrNUL($0) } ? decode(Substring(text)) : text
    }

    /// True when `bytes` hold a `%` or a NUL. Eight bytes at a time, the last eight overlapping the ones before
    /// (a byte looked at twice answers the same): the classic test for a zero byte, `(x - 0x01…) & ~x & 0x80…`
    /// (exact about whether there is one), on the word and on the word xor `%`s.
    @inline(__always)
    static func hasEscapeOrNUL(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        guard bytes.count >= 8 else { return bytes.contains { $0 == .percent || $0 == 0 } }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let last = bytes.count - 8
        var index = 0
        while true {
            let word = UnsafeRawPointer(base + min(index, last)).loadUnaligned(as: UInt64.self)
            let percents = word ^ (ones &* UInt64(UInt8.percent))
            if ((word &- ones) & ~word | (percents &- ones) & ~percents) & highs != 0 { return true }
            if index >= last { return false }
            index += 8
        }
    }

    /// Encodes everything but RFC 3986 unreserved characters and `/`, for building links to paths.
    public static func encodePath(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), .slash:
                out.append(byte)
            default:
                out.append(.percent)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xf)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
