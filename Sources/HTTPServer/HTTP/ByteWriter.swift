/// Copies text into a buffer sized beforehand; a write that would not fit is dropped (the serializer sizes the
/// buffer so that none is).
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

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
        guard count < buffer.count else { return }
        buffer[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, let base = buffer.baseAddress, count + bytes.count <= buffer.count
        else { return }
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// `value` in decimal ASCII, written in place (digits counted first, then filled from the right).
    mutating func write(decimal value: Int) {
        var rest = value.magnitude
        let length: Int
        // The numbers in a head are mostly short (lengths, timeouts, counts): counted in three comparisons.
        if value >= 0, rest < 10_000 {
            length = rest < 10 ? 1 : rest < 100 ? 2 : rest < 1000 ? 3 : 4
        } else {
            var digits = 1
            var bound: UInt = 10
            while rest >= bound, digits < 19 {
                digits += 1
                bound &*= 10
            }
            if rest >= bound { digits += 1 }  // past 10^19: UInt's 20th digit
            length = digits + (value < 0 ? 1 : 0)
        }
        guard let base = buffer.baseAddress, count + length <= buffer.count else { return }
        var index = count &+ length
        repeat {
            index &-= 1
            base[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
        if value < 0 { base[count] = UInt8(ascii: "-") }
        count += length
    }

    /// `value` as exactly 16 lowercase hex digits (leading zeros kept).
    mutating func write(hex value: UInt64) {
        guard let base = buffer.baseAddress, count + 16 <= buffer.count else { return }
        var rest = value
        var index = count &+ 16
        while index > count {
            index &-= 1
            let digit = UInt8(truncatingIfNeeded: rest) & 0xf
            base[index] = digit &+ (digit < 10 ? UInt8(ascii: "0") : UInt8(ascii: "a") &- 10)
            rest &>>= 4
        }
        count &+= 16
    }
}
