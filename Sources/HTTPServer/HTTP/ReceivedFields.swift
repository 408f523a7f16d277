/// A request's header fields as they arrived: one copy of the field lines' bytes and where each field's name and
/// value are in them. `HTTPHeaders` keeps a request's fields so, and makes a `String` only for a field asked for:
/// most fields a client sends are never read, and the ones the server reads it mostly reads as bytes.
struct ReceivedFields: Sendable {
    /// Where one field's name and value (without the whitespace around it) are in the field lines.
    struct Position: Sendable {
        var nameStart: UInt32, nameEnd: UInt32, valueStart: UInt32, valueEnd: UInt32
    }

    /// The field lines as received, then each field's `Position`: one allocation for a whole header section.
    private let storage: [UInt8]
    /// Where the positions start in `storage` (the number of bytes of the field lines).
    private let positionsStart: Int
    /// The number of fields.
    let count: Int

    /// No fields (the fields of a response, or of a request built in code).
    init() {
        storage = []
        positionsStart = 0
        count = 0
    }

    /// Copies `lines` and `positions` (offsets into `lines`) into one buffer.
    init(lines: UnsafeRawBufferPointer, positions: UnsafeBufferPointer<Position>) {
        let positionBytes = UnsafeRawBufferPointer(positions)
        storage = [UInt8](unsafeUninitializedCapacity: lines.count + positionBytes.count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.copyMemory(from: lines)
            UnsafeMutableRawBufferPointer(rebasing: raw[lines.count...]).copyMemory(from: positionBytes)
            initialized = lines.count + positionBytes.count
        }
        positionsStart = lines.count
        count = positions.count
    }

    /// Calls `body` with the bytes of field `index`'s name.
    func withName<Result>(at index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { bytes in
            let position = Self.position(index, in: bytes, from: positionsStart)
            return body(UnsafeRawBufferPointer(rebasing: bytes[Int(position.nameStart)..<Int(position.nameEnd)]))
        }
    }

    /// Calls `body` with the bytes of field `index`'s value.
    func withValue<Result>(at index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { bytes in
            let position = Self.position(index, in: bytes, from: positionsStart)
            return body(UnsafeRawBufferPointer(rebasing: bytes[Int(position.valueStart)..<Int(position.valueEnd)]))
        }
    }

    /// Field `index`'s name (a token, so ASCII).
    func name(at index: Int) -> String {
        withName(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Field `index`'s value; bytes that are not UTF-8 (obs-text) become U+FFFD, as they always have.
    func value(at index: Int) -> String {
        withValue(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    private static func position(_ index: Int, in bytes: UnsafeRawBufferPointer, from start: Int) -> Position {
        bytes.loadUnaligned(fromByteOffset: start + index * MemoryLayout<Position>.stride, as: Position.self)
    }
}
