import Glibc

/// How a stored upload is named: a generated `upload_YYYYMMDD_HHMMSS_<6 hex>.<ext>` (UTC), or a client's file
/// name made safe. The store tries `candidate(attempt: 0)`, `1`, … until one is free; names are never reused.
enum UploadName: Sendable, Equatable {
    /// A fresh timestamped name with a random part, for JSON documents and nameless files.
    case generated(extension: String)
    /// A sanitised client name; taken names get `-1`, `-2`, … before the extension.
    case preferred(String)

    /// Numbered tries of a preferred name before falling back to a generated one: a name taken this often is
    /// not worth probing further.
    static let maxNumberedAttempts = 1000
    /// A sanitised name keeps at most this many UTF-8 bytes, leaving room for `-NNN` within NAME_MAX (255).
    static let maxNameBytes = 200
    /// An extension longer than this is not one (`.tar.gz` is 3, a dot in a long title is not an extension).
    static let maxExtensionBytes = 16

    /// `index.html` in the uploads folder would replace its listing, so an upload never takes that name.
    static let reserved: Set<String> = ["index.html"]

    /// The client's file name (`filename=` of a form part) as the name to store it under; a generated one
    /// when nothing usable is left (`..`, only dots or control characters).
    init(clientFileName: String) {
        if let name = Self.sanitized(clientFileName) {
            self = .preferred(name)
        } else {
            self = .generated(extension: "")
        }
    }

    /// The name to try on `attempt` (0, 1, 2, …).
    func candidate(attempt: Int, now: Int = Int(time(nil))) -> String {
        switch self {
        case .generated(let ext):
            return Self.generatedName(now: now, random: UInt32.random(in: 0...0xff_ffff), extension: ext)
        case .preferred(let name):
            let number = Self.reserved.contains(name) ? attempt + 1 : attempt
            if number == 0 { return name }
            if number > Self.maxNumberedAttempts {
                return Self.generatedName(now: now, random: UInt32.random(in: 0...0xff_ffff),
                                          extension: Self.split(name).ext)
            }
            let (stem, ext) = Self.split(name)
            return ext.isEmpty ? "\(stem)-\(number)" : "\(stem)-\(number).\(ext)"
        }
    }

    /// The last path component of `raw` without control or bidirectional-override characters, surrounding
    /// spaces or leading dots, in Unicode NFC, cut to `maxNameBytes`; nil when nothing is left.
    static func sanitized(_ raw: String) -> String? {
        // Browsers on Windows once sent whole paths; curl sends what it is given. Keep only the last component.
        let start = raw.lastIndex { $0 == "/" || $0 == "\\" }.map(raw.index(after:)) ?? raw.startIndex
        let lastComponent = raw[start...]
        var scalars = String.UnicodeScalarView()
        for scalar in lastComponent.unicodeScalars where !isUnsafe(scalar) {
            scalars.append(scalar)
        }
        var name = Substring(String(scalars))
        while let first = name.first, first == "." || first == " " { name = name.dropFirst() }
        while let last = name.last, last == " " { name = name.dropLast() }
        guard !name.isEmpty else { return nil }
        return truncated(normalized(String(name)))
    }

    /// `name` in Unicode Normalization Form C. macOS sends `é` decomposed (NFD: `e` + U+0301), most other
    /// systems precomposed; both look alike, so one name must become one file (and `café.txt` taken by either
    /// makes the other `café-1.txt`). The standard library's own normalisation (the one `String` equality
    /// relies on) does it without linking Foundation and its ICU data for a single call.
    static func normalized(_ name: String) -> String {
        String(decoding: name._nfcCodeUnits, as: UTF8.self)
    }

    /// `upload_20261121_203000_a1b2c3.json`.
    static func generatedName(now: Int, random: UInt32, extension ext: String) -> String {
        let stamp = UTCTime.format(now, "%Y%m%d_%H%M%S")
        let hex = String(random & 0xff_ffff, radix: 16)
        let name = "upload_\(stamp)_" + String(repeating: "0", count: 6 - hex.count) + hex
        return ext.isEmpty ? name : name + "." + ext
    }

    /// C0 and C1 controls, DEL, and the bidirectional overrides that make `evil‮txt.exe` read as `.txt`.
    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7f...0x9f, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069: true
        default: false
        }
    }

    /// The name cut to `maxNameBytes` on a character boundary, keeping its extension.
    private static func truncated(_ name: String) -> String {
        guard name.utf8.count > maxNameBytes else { return name }
        let (stem, ext) = split(name)
        let budget = maxNameBytes - (ext.isEmpty ? 0 : ext.utf8.count + 1)
        var kept = ""
        for character in stem {
            guard kept.utf8.count + character.utf8.count <= budget else { break }
            kept.append(character)
        }
        return ext.isEmpty ? kept : kept + "." + ext
    }

    /// `a.txt` → (`a`, `txt`); `archive` → (`archive`, ``); a very long "extension" is part of the stem.
    private static func split(_ name: String) -> (stem: String, ext: String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        let ext = name[name.index(after: dot)...]
        guard !ext.isEmpty, ext.utf8.count <= maxExtensionBytes else { return (name, "") }
        return (String(name[..<dot]), String(ext))
    }
}
