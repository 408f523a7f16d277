/// Copies text into a buffer sized beforehand; a write that would not fit is dropped and `overflowed` set (the
/// serializer then writes the head into a buffer of its own).
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0
    /// Set when a write did not fit and was dropped: what is in the buffer is not the whole text.
    private(set) var overflowed = false

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    /// Fixed text (a literal): copied straight from the binary, with no `String` in between.
    @inline(__always)
    mutating func fixed(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func write(_ text: String) {
        // Native strings (every header the server builds) lend their bytes in place; others are copied out.
        if text.utf8.withContiguousStorageIfAvailable({ write(UnsafeRawBufferPointer($0)) }) == nil {
            for byte in text.utf8 { write(byte: byte) }
        }
    }

    private mutating func write(byte: UInt8) {
        guard count < buffer.count else {
            overflowed = true
            return
        }
        buffer[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        guard let base = buffer.baseAddress, count + bytes.count <= buffer.count else {
            overflowed = true
            return
        }
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// `value` in decimal ASCII, written in place: digits counted first, then filled from the right two at a
    /// time from a table (half the divisions of one digit at a time).
    mutating func write(decimal value: Int) {
        var rest = value.magnitude
        let length = Self.digitCount(rest) + (value < 0 ? 1 : 0)
        guard let base = buffer.baseAddress, count + length <= buffer.count else {
            overflowed = true
            return
        }
        let pairs = Self.digitPairs.utf8Start
        var index = count &+ length
        while rest >= 100 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            index &-= 2
            base[index] = pairs[pair]
            base[index &+ 1] = pairs[pair &+ 1]
        }
        if rest >= 10 {
            let pair = Int(truncatingIfNeeded: rest) &* 2
            base[index &- 2] = pairs[pair]
            base[index &- 1] = pairs[pair &+ 1]
        } else {
            base[index &- 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest)
        }
        if value < 0 { base[count] = UInt8(ascii: "-") }
        count += length
    }

    /// "00" through "99": two digits per lookup (one literal, so reading it needs no initialization check).
    private static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    /// How many decimal digits `value` has. The numbers in a head are mostly short (lengths, timeouts, counts):
    /// counted in at most three comparisons.
    private static func digitCount(_ value: UInt) -> Int {
        if value < 10_000 { return value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : 4 }
        var digits = 5
        var bound: UInt = 100_000
        while value >= bound, digits < 20 {
            digits += 1
            bound &*= 10
        }
        return digits
    }

    /// `value` as exactly 16 lowercase hex digits (leading zeros kept), eight at a time in a register.
    mutating func write(hex value: UInt64) {
        guard let base = buffer.baseAddress, count + 16 <= buffer.count else {
            overflowed = true
            return
        }
        let raw = UnsafeMutableRawPointer(base + count)
        raw.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: value >> 32)).bigEndian, as: UInt64.self)
        raw.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: value)).bigEndian, toByteOffset: 8,
                       as: UInt64.self)
        count &+= 16
    }

    /// The eight hex digits of `value` as ASCII, the least significant digit in the lowest byte: each nibble is
    /// spread into a byte of its own, then offset to '0'...'9' or 'a'...'f' in every byte at once.
    private static func hexDigits(_ value: UInt32) -> UInt64 {
        var spread = UInt64(value)
        spread = (spread | spread << 16) & 0x0000_FFFF_0000_FFFF
        spread = (spread | spread << 8) & 0x00FF_00FF_00FF_00FF
        spread = (spread | spread << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // 1 in each byte whose digit is 10 or more (adding 6 carries it into the byte's fifth bit).
        let letters = ((spread &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        // '0' for every digit, and the 39 from '9' + 1 to 'a' for letters.
        return spread &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }
}
