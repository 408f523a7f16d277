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

/// What a request's `Accept-Encoding` allows (RFC 9110 §12.5.3): the codings it accepts, best first, and whether
/// the unencoded representation is still acceptable.
public struct AcceptEncoding: Sendable, Equatable {
    /// Accepted codings with q > 0, highest q first; equal q in `ContentCoding`'s order.
    public let codings: [ContentCoding]
    /// False when `identity;q=0`, or `*;q=0` without an `identity` entry, refuses an unencoded answer.
    public let identityAllowed: Bool

    /// No header: nothing but identity (a client that says nothing may not understand any coding).
    public static let none = AcceptEncoding(codings: [], identityAllowed: true)

    public init(codings: [ContentCoding], identityAllowed: Bool) {
        self.codings = codings
        self.identityAllowed = identityAllowed
    }

    /// Parses the field value: tokens compared ignoring case, `;q=` weights from 0 to 1 (a malformed weight counts
    /// as 1, as browsers never send one), `*` standing for every coding not named, `x-gzip` for `gzip`.
    public init(_ header: String?) {
        guard let header else {
            self = .none
            return
        }
        var named: [ContentCoding: Double] = [:]
        var star: Double?
        var identity: Double?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let first = parts.first else { continue }
            let token = first.trimmingCharacters(in: " \t").lowercased()
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingCharacters(in: " \t").lowercased()
                if pair.hasPrefix("q="), let value = Double(pair.dropFirst(2)), (0...1).contains(value) {
                    quality = value
                }
            }
            switch token {
            case "*": star = quality
            case "identity": identity = quality
            case "x-gzip": named[.gzip] = quality
            default:
                if let coding = ContentCoding.allCases.first(where: { $0.token == token }) { named[coding] = quality }
            }
        }
        var weighted: [(ContentCoding, Double)] = []
        for coding in ContentCoding.allCases {
            if let quality = named[coding] ?? star, quality > 0 { weighted.append((coding, quality)) }
        }
        // A stable sort keeps the preference order among equal weights.
        codings = weighted.enumerated()
            .sorted { $0.element.1 != $1.element.1 ? $0.element.1 > $1.element.1 : $0.offset < $1.offset }
            .map(\.element.0)
        identityAllowed = (identity ?? (star == 0 ? 0 : 1)) > 0
    }
}
