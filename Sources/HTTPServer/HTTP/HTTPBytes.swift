import Glibc

// The bytes HTTP's syntax is made of, and the scans the parser (and the code after it) makes over raw buffers.

extension UInt8 {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58
    static let dot: UInt8 = 46
    static let slash: UInt8 = 47
    static let percent: UInt8 = 37
    static let question: UInt8 = 63
    static let numberSign: UInt8 = 35

    var isDigit: Bool { self >= 0x30 && self <= 0x39 }

    var isHexDigit: Bool { isDigit || (self | 0x20 >= 0x61 && self | 0x20 <= 0x66) }

    /// RFC 9110 §5.6.2 tchar: digits, letters and ``!#$%&'*+-.^_`|~``. Looked up in `tokenTable`: every byte of
    /// every field name comes through here, and a load and a compare cost half the branches and shifts of a
    /// 128-bit mask.
    var isTokenCharacter: Bool {
        self < 128 && UInt8.tokenTable.utf8Start[Int(self)] == 0x54  // "T"
    }

    /// One character per ASCII byte, 32 to a line: "T" for a token character. A literal, so it is constant bytes
    /// in the binary (no initialisation, no bounds check).
    private static var tokenTable: StaticString {
        """
        ................................\
        .T.TTTTT..TT.TT.TTTTTTTTTT......\
        .TTTTTTTTTTTTTTTTTTTTTTTTTT...TT\
        TTTTTTTTTTTTTTTTTTTTTTTTTTT.T.T.
        """
    }
}

extension UnsafeRawBufferPointer {
    /// True when the bytes are exactly `literal`'s (a loop over a few bytes: the generic `elementsEqual` costs
    /// several times more, on every request line).
    func equals(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let other = literal.utf8Start
        for index in 0..<count where self[index] != other[index] { return false }
        return true
    }

    /// The position of the first `byte` at or after `from`, found by `memchr` (vectorised, unlike a byte loop:
    /// the parser looks for every line end of every head).
    func firstIndex(of byte: UInt8, from: Int) -> Int? {
        guard from < count, let base = baseAddress, let found = memchr(base + from, Int32(byte), count - from) else {
            return nil
        }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// The buffer without one trailing CR.
    func trimmingCR() -> UnsafeRawBufferPointer {
        guard let last, last == .cr else { return self }
        return UnsafeRawBufferPointer(rebasing: self[..<(count - 1)])
    }
}
