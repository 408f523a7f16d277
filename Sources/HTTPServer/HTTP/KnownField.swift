/// A header field the server itself reads. `HTTPHeaders` records where each one is as fields are added, so that
/// looking one up costs an array access instead of a case-insensitive compare with every field: a request is asked
/// for a dozen of them (Host, Connection, Content-Length, If-None-Match, Range, …), mostly absent.
enum KnownField: UInt8, CaseIterable, Sendable {
    case host, connection, contentLength, transferEncoding, expect, xRequestID, xForwardedFor
    case ifNoneMatch, ifModifiedSince, ifRange, range, acceptEncoding, accept, origin, accessControlRequestMethod
    case contentType, contentEncoding, userAgent, referer, contentSecurityPolicy

    /// The usual spelling. A literal, so a parsed field spelled exactly so needs no new `String`.
    @inline(__always) var name: String { spellings.name }

    /// `name`'s bytes, for comparing with a received name without going through `String`.
    @inline(__always) private var spelled: StaticString { spellings.bytes }

    /// Each name as a `String` literal and as bytes, side by side so that the two stay the same.
    @inline(__always) private var spellings: (name: String, bytes: StaticString) {
        switch self {
        case .host: ("Host", "Host")
        case .connection: ("Connection", "Connection")
        case .contentLength: ("Content-Length", "Content-Length")
        case .transferEncoding: ("Transfer-Encoding", "Transfer-Encoding")
        case .expect: ("Expect", "Expect")
        case .xRequestID: ("X-Request-ID", "X-Request-ID")
        case .xForwardedFor: ("X-Forwarded-For", "X-Forwarded-For")
        case .ifNoneMatch: ("If-None-Match", "If-None-Match")
        case .ifModifiedSince: ("If-Modified-Since", "If-Modified-Since")
        case .ifRange: ("If-Range", "If-Range")
        case .range: ("Range", "Range")
        case .acceptEncoding: ("Accept-Encoding", "Accept-Encoding")
        case .accept: ("Accept", "Accept")
        case .origin: ("Origin", "Origin")
        case .accessControlRequestMethod: ("Access-Control-Request-Method", "Access-Control-Request-Method")
        case .contentType: ("Content-Type", "Content-Type")
        case .contentEncoding: ("Content-Encoding", "Content-Encoding")
        case .userAgent: ("User-Agent", "User-Agent")
        case .referer: ("Referer", "Referer")
        case .contentSecurityPolicy: ("Content-Security-Policy", "Content-Security-Policy")
        }
    }

    /// The field a name denotes, in any case; nil for a name the server does not read.
    init?(_ name: String) {
        var name = name  // a copy of the reference, not of the bytes
        guard let field = name.withUTF8({ KnownField(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = field
    }

    /// The field a name's bytes denote, in any case.
    init?(bytes name: UnsafeRawBufferPointer) {
        guard let (field, _) = Self.classify(name) else { return nil }
        self = field
    }

    /// The field a name's bytes denote, and how they spell it. The length and first byte leave at most one
    /// candidate, so a name is compared once at most.
    static func classify(_ name: UnsafeRawBufferPointer) -> (field: KnownField, spelling: Spelling)? {
        guard let first = name.first else { return nil }
        let candidate: KnownField
        switch (name.count, first | 0x20) {
        case (4, UInt8(ascii: "h")): candidate = .host
        case (5, UInt8(ascii: "r")): candidate = .range
        case (6, UInt8(ascii: "a")): candidate = .accept
        case (6, UInt8(ascii: "e")): candidate = .expect
        case (6, UInt8(ascii: "o")): candidate = .origin
        case (7, UInt8(ascii: "r")): candidate = .referer
        case (8, UInt8(ascii: "i")): candidate = .ifRange
        case (10, UInt8(ascii: "c")): candidate = .connection
        case (10, UInt8(ascii: "u")): candidate = .userAgent
        case (12, UInt8(ascii: "c")): candidate = .contentType
        case (12, UInt8(ascii: "x")): candidate = .xRequestID
        case (13, UInt8(ascii: "i")): candidate = .ifNoneMatch
        case (14, UInt8(ascii: "c")): candidate = .contentLength
        case (15, UInt8(ascii: "a")): candidate = .acceptEncoding
        case (15, UInt8(ascii: "x")): candidate = .xForwardedFor
        case (16, UInt8(ascii: "c")): candidate = .contentEncoding
        case (17, UInt8(ascii: "i")): candidate = .ifModifiedSince
        case (17, UInt8(ascii: "t")): candidate = .transferEncoding
        case (23, UInt8(ascii: "c")): candidate = .contentSecurityPolicy
        case (29, UInt8(ascii: "a")): candidate = .accessControlRequestMethod
        default: return nil
        }
        return candidate.spelling(of: name).map { (candidate, $0) }
    }

    /// How `bytes` spell this field's name: `.exact` for `name` itself, `.otherCase` for the same letters in
    /// other case; nil for another name.
    @inline(__always)  // once per parsed field: a call costs a third of the comparison
    func spelling(of bytes: UnsafeRawBufferPointer) -> Spelling? {
        let spelled = spelled
        let count = spelled.utf8CodeUnitCount
        guard count == bytes.count, let received = bytes.baseAddress else { return nil }
        let letters = UnsafeRawPointer(spelled.utf8Start)
        // Word by word (every name is 4 bytes or more; the last word may overlap the one before), as this runs
        // for each lookup and each parsed field.
        var differ = false
        if count < 8 {
            guard let head = Self.compare(received, letters, at: 0, as: UInt32.self),
                  let tail = Self.compare(received, letters, at: count - 4, as: UInt32.self) else { return nil }
            differ = head || tail
        } else {
            var offset = 0
            while offset < count {
                let at = min(offset, count - 8)
                guard let wordDiffers = Self.compare(received, letters, at: at, as: UInt64.self) else { return nil }
                differ = differ || wordDiffers
                offset += 8
            }
        }
        return differ ? .otherCase : .exact
    }

    /// Compares one word of a received name with the same word of a spelling: nil when they differ beyond the case
    /// of letters, else whether they differ at all. The spellings are letters and `-` only, and a letter is the byte
    /// with bit 0x40 set, so the bytes may differ in bit 0x20 exactly where the spelling has a letter.
    private static func compare<Word: FixedWidthInteger & UnsignedInteger>(
        _ received: UnsafeRawPointer, _ spelled: UnsafeRawPointer, at offset: Int, as: Word.Type
    ) -> Bool? {
        let x = received.loadUnaligned(fromByteOffset: offset, as: Word.self)
        let y = spelled.loadUnaligned(fromByteOffset: offset, as: Word.self)
        let difference = x ^ y
        if difference == 0 { return false }
        let everyByte = Word.max / 0xff  // 0x0101…01
        let caseBits = (y & (everyByte &* 0x40)) >> 1
        return difference & ~caseBits == 0 ? true : nil
    }

    enum Spelling { case exact, otherCase }
}

/// Where each `KnownField` is in a list of fields: absent, once at a position, or to be found by a scan
/// (more than once, or further down than a `UInt8` counts).
struct KnownFieldIndex: Sendable {
    enum Lookup: Equatable { case absent, once(at: Int), scan }

    /// Per field (byte `rawValue`), 0 when absent, else its first position + 1; `unrecorded` when that does not
    /// fit. Three words, not an `InlineArray<20, UInt8>`: a value generic's layout is left to the runtime, so a
    /// header set (which holds this) was copied through value witnesses, and copied (and destroyed) again around
    /// each closure that read its fields in place.
    private var first: (UInt64, UInt64, UInt64) = (0, 0, 0)
    /// Bit `field.rawValue` set when the field occurs more than once.
    private var repeated: UInt32 = 0
    private static let unrecorded = UInt8.max

    init() {}

    /// Builds the index of `fields` from their names.
    init(_ fields: [(name: String, value: String)]) {
        for (position, field) in fields.enumerated() {
            if let known = KnownField(field.name) { record(known, at: position) }
        }
    }

    func lookup(_ field: KnownField) -> Lookup {
        let slot = slot(field)
        if slot == 0 { return .absent }
        if slot == Self.unrecorded || repeated & (1 << field.rawValue) != 0 { return .scan }
        return .once(at: Int(slot) - 1)
    }

    /// True when `field` occurs at all: its byte of `first` is set. Inlined, with `slot`: for a field known where
    /// it is asked (`.range`), a load, a shift and a test, less code than the call to `lookup` it replaces.
    @inline(__always)
    func contains(_ field: KnownField) -> Bool {
        slot(field) != 0
    }

    /// `field`'s byte of `first`, picked by shifts in registers (a copy of the words to index as bytes cost a
    /// stack frame and its guard on every lookup).
    @inline(__always)
    private func slot(_ field: KnownField) -> UInt8 {
        let word = field.rawValue < 8 ? first.0 : field.rawValue < 16 ? first.1 : first.2
        return UInt8(truncatingIfNeeded: word >> Self.shift(field))
    }

    /// Where `field`'s byte is in its word of `first`.
    private static func shift(_ field: KnownField) -> UInt64 {
        UInt64(field.rawValue & 7) * 8
    }

    /// Notes that `field` occurs at `position` (positions are recorded in increasing order).
    mutating func record(_ field: KnownField, at position: Int) {
        if slot(field) == 0 {
            let value = position < Int(Self.unrecorded) - 1 ? UInt8(position + 1) : Self.unrecorded
            let bits = UInt64(value) << Self.shift(field)
            switch field.rawValue >> 3 {
            case 0: first.0 |= bits
            case 1: first.1 |= bits
            default: first.2 |= bits
            }
        } else {
            repeated |= 1 << field.rawValue
        }
    }
}
