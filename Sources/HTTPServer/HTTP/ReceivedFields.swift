/// A request's header fields as they arrived: one copy of the field lines' bytes and where each field's name and
/// value are in them. `HTTPHeaders` keeps a request's fields so, and makes a `String` only for a field asked for:
/// most fields a client sends are never read, and the ones the server reads it mostly reads as bytes.
///
/// `@unchecked Sendable`: the storage (a `ManagedBuffer`, which cannot be `Sendable`) is filled once, in `init`,
/// and only read after that.
struct ReceivedFields: @unchecked Sendable {
    /// Where one field's name and value (without the whitespace around it) are in the field lines.
    struct Position: Sendable {
        var nameStart: UInt32, nameEnd: UInt32, valueStart: UInt32, valueEnd: UInt32
    }

    /// The field lines as received, then each field's `Position`: one allocation for a whole header section.
    private final class Storage: ManagedBuffer<(fields: Int, positionsStart: Int), UInt8> {}

    private let storage: Storage

    /// Copies `lines` and `positions` (offsets into `lines`) into one buffer.
    init(lines: UnsafeRawBufferPointer, positions: UnsafeBufferPointer<Position>) {
        let positionBytes = UnsafeRawBufferPointer(positions)
        let buffer = Storage.create(minimumCapacity: lines.count + positionBytes.count) { _ in
            (positions.count, lines.count)
        }
        buffer.withUnsafeMutablePointerToElements { start in
            let raw = UnsafeMutableRawPointer(start)
            if let from = lines.baseAddress { raw.copyMemory(from: from, byteCount: lines.count) }
            if let from = positionBytes.baseAddress { (raw + lines.count).copyMemory(from: from, byteCount: positionBytes.count) }
        }
        storage = unsafeDowncast(buffer, to: Storage.self)
    }

    /// The address of the one buffer (see `HTTPHeaders.storageIdentity`).
    var storageIdentity: UInt { UInt(bitPattern: Unmanaged.passUnretained(storage).toOpaque()) }

    /// The number of fields.
    var count: Int {
        // Through the pointer: `header` itself is a class property, which costs a dynamic exclusivity check.
        storage.withUnsafeMutablePointerToHeader { $0.pointee.fields }
    }

    /// Calls `body` with the bytes of field `index`'s name (`index` below `count`).
    func withName<Result>(at index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withBytes(at: index) { bytes, position in
            body(UnsafeRawBufferPointer(start: bytes + Int(position.nameStart),
                                        count: Int(position.nameEnd - position.nameStart)))
        }
    }

    /// Calls `body` with the bytes of field `index`'s value (`index` below `count`).
    func withValue<Result>(at index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withBytes(at: index) { bytes, position in
            body(UnsafeRawBufferPointer(start: bytes + Int(position.valueStart),
                                        count: Int(position.valueEnd - position.valueStart)))
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

    /// Calls `body` with the start of the field lines and field `index`'s position in them.
    private func withBytes<Result>(at index: Int, _ body: (UnsafeRawPointer, Position) -> Result) -> Result {
        storage.withUnsafeMutablePointers { header, elements in
            precondition(index >= 0 && index < header.pointee.fields, "received field index out of range")
            let bytes = UnsafeRawPointer(elements)
            let offset = header.pointee.positionsStart + index * MemoryLayout<Position>.stride
            return body(bytes, bytes.loadUnaligned(fromByteOffset: offset, as: Position.self))
        }
    }
}
