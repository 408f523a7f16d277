/// The content codings httpsh can serve from precompressed files, in the order it prefers them at equal quality:
/// Brotli and Zstandard make smaller files than gzip for text.
public enum ContentCoding: UInt8, Sendable, CaseIterable {
    case br = 1
    case zstd = 2
    case gzip = 3

    /// The `Content-Encoding` / `Accept-Encoding` token.
    public var token: String {
        switch self {
        case .br: "br"
        case .zstd: "zstd"
        case .gzip: "gzip"
        }
    }

    /// The file name suffix of a precompressed sibling: what `brotli -k`, `zstd` and `gzip -k` write.
    public var suffix: String {
        switch self {
        case .br: ".br"
        case .zstd: ".zst"
        case .gzip: ".gz"
        }
    }

    /// This coding as one bit, for sets of codings kept in a byte.
    var bit: UInt8 { 1 << rawValue }
}

/// What a request's `Accept-Encoding` allows (RFC 9110 §12.5.3): a weight per coding httpsh can serve, and
/// whether the unencoded representation is still acceptable.
///
/// Parsed from the field's bytes into five integers, with no allocation: it runs for every request of a file
/// that has precompressed variants, which is every request of a precompressed site.
public struct AcceptEncoding: Sendable, Equatable {
    /// Weights in thousandths (`q=0.5` is 500); -1 where the field does not name the coding.
    private var br = -1, zstd = -1, gzip = -1, star = -1, identity = -1

    /// No header: nothing but identity (a client that says nothing may not understand any coding).
    public static let none = AcceptEncoding(nil)

    /// Parses the field value: tokens compared ignoring case, `;q=` weights from 0 to 1 in up to three decimals
    /// (a malformed weight counts as 1, as no browser sends one), `*` standing for every coding not named,
    /// `x-gzip` for `gzip`.
    public init(_ header: String?) {
        guard var header else { return }
        header.withUTF8 { parse($0) }
    }

    /// The weight the client gives `coding` (thousandths); 0 when it refuses it or does not accept it.
    public func weight(_ coding: ContentCoding) -> Int {
        let named = switch coding {
        case .br: br
        case .zstd: zstd
        case .gzip: gzip
        }
        return max(0, named >= 0 ? named : star)
    }

    /// Accepted codings (weight > 0), highest weight first; equal weights in `ContentCoding`'s order.
    public var codings: [ContentCoding] {
        ContentCoding.allCases.filter { weight($0) > 0 }.enumerated()
            .sorted { weight($0.element) != weight($1.element) ? weight($0.element) > weight($1.element) : $0.offset < $1.offset }
            .map(\.element)
    }

    /// False when `identity;q=0`, or `*;q=0` without an `identity` entry, refuses an unencoded answer.
    public var identityAllowed: Bool { identity >= 0 ? identity > 0 : star != 0 }

    /// The accepted coding with the highest weight among `available` (`ContentCoding.bit`s); ties go to the
    /// preferred coding. Nil when none is accepted.
    func best(among available: UInt8) -> ContentCoding? {
        var best: ContentCoding?
        var bestWeight = 0
        for coding in ContentCoding.allCases where available & coding.bit != 0 {
            let weight = weight(coding)
            if weight > bestWeight { (best, bestWeight) = (coding, weight) }
        }
        return best
    }

    private mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        func skipSpaces() {
            while index < bytes.count, bytes[index] == .space || bytes[index] == .tab { index += 1 }
        }
        while index < bytes.count {
            skipSpaces()
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: ";"),
                  bytes[index] != .space, bytes[index] != .tab {
                index += 1
            }
            let token = UnsafeBufferPointer(rebasing: bytes[start..<index])
            var quality = 1000
            skipSpaces()
            while index < bytes.count, bytes[index] == UInt8(ascii: ";") {
                index += 1
                skipSpaces()
                let parameter = index
                while index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: ";") {
                    index += 1
                }
                if let weight = Self.quality(UnsafeBufferPointer(rebasing: bytes[parameter..<index])) { quality = weight }
            }
            record(token, quality)
            while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
            index += 1
        }
    }

    private mutating func record(_ token: UnsafeBufferPointer<UInt8>, _ quality: Int) {
        if Self.equals(token, "br") {
            br = quality
        } else if Self.equals(token, "zstd") {
            zstd = quality
        } else if Self.equals(token, "gzip") || Self.equals(token, "x-gzip") {
            gzip = quality
        } else if Self.equals(token, "*") {
            star = quality
        } else if Self.equals(token, "identity") {
            identity = quality
        }
    }

    /// `q=0.5` (trailing spaces allowed) as 500; nil for another parameter or a malformed weight.
    private static func quality(_ parameter: UnsafeBufferPointer<UInt8>) -> Int? {
        var end = parameter.count
        while end > 0, parameter[end - 1] == .space || parameter[end - 1] == .tab { end -= 1 }
        guard end >= 3, parameter[0] | 0x20 == UInt8(ascii: "q"), parameter[1] == UInt8(ascii: "=") else { return nil }
        let digits = parameter[2..<end]
        guard let first = digits.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = Int(first - UInt8(ascii: "0")) * 1000
        guard digits.count > 1 else { return value }
        guard digits[digits.startIndex + 1] == UInt8(ascii: "."), digits.count <= 5 else { return nil }
        var scale = 100
        for digit in digits.dropFirst(2) {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1000 ? value : nil
    }

    /// ASCII case-insensitive comparison with a lower-case literal.
    private static func equals(_ token: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard token.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for offset in 0..<token.count where token[offset] | 0x20 != expected[offset] && token[offset] != expected[offset] {
            return false
        }
        return true
    }
}
