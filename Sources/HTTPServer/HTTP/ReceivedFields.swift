/// A request's header fields as they arrived: one copy of the field lines' bytes and where each field's name and
/// value are in them. `HTTPHeaders` keeps a request's fields so, and makes a `String` only for a field asked for:
/// most fields a client sends are never read, and the ones the server reads it mostly reads as bytes.
///
/// `@unchecked Sendable`: the storage (a `ManagedBuffer`, which cannot be `Sendable`) is written only by `init`,
/// while nothing else holds it (a new buffer, or a thread's spare that no request or header set holds any
/// more), and only read after that.
struct ReceivedFields: @unchecked Sendable {
    /// Where one field's name and value (without the whitespace around it) are in the field lines.
    struct Position: Sendable {
        var nameStart: UInt32, nameEnd: UInt32, valueStart: UInt32, valueEnd: UInt32
    }

    /// What the buffer holds: `fields` positions from `positionsStart` on, after the field lines; room for
    /// `room` bytes in all (kept here: `ManagedBuffer.capacity` asks the allocator, a call per request).
    private struct Layout {
        var fields: Int
        var positionsStart: Int
        let room: Int
    }

    /// The field lines as received, then each field's `Position`: one allocation for a whole header section.
    private final class Storage: ManagedBuffer<Layout, UInt8> {}

    /// A thread's last buffer, taken again for its next header section once nothing else holds it (the request,
    /// its copies and its headers are gone): a keep-alive connection's requests then cost no malloc and free
    /// for their fields. Only its own thread touches it, so it needs no runtime exclusivity check.
    private final class Spare {
        @exclusivity(unchecked) var storage: Storage

        init(_ storage: Storage) { self.storage = storage }

        /// The spare when no one else holds it and it has room for `byteCount`, else a new buffer (kept as the
        /// spare when it is not too large to keep).
        func buffer(holding byteCount: Int) -> Storage {
            if isKnownUniquelyReferenced(&storage), storage.withUnsafeMutablePointerToHeader({ $0.pointee.room }) >= byteCount {
                return storage
            }
            let made = ReceivedFields.makeStorage(byteCount)
            if byteCount <= ReceivedFields.largestSpare { storage = made }
            return made
        }
    }

    /// The spare buffers, one per thread that parses (the workers).
    private static let spares = ThreadLocal<Spare>()
    /// A larger head's buffer is not kept for reuse: browsers send 1–8 KiB, so this covers every usual request,
    /// and no thread holds on to the 64 KiB an unusual one may take.
    private static let largestSpare = 8 * 1024

    private let storage: Storage

    /// Copies `lines` and `positions` (offsets into `lines`) into one buffer: the thread's spare when it can be.
    init(lines: UnsafeRawBufferPointer, positions: UnsafeBufferPointer<Position>) {
        let positionBytes = UnsafeRawBufferPointer(positions)
        let byteCount = lines.count + positionBytes.count
        let buffer = Self.spares.withObject { $0.buffer(holding: byteCount) } ?? Self.firstBuffer(holding: byteCount)
        buffer.withUnsafeMutablePointers { layout, start in
            layout.pointee.fields = positions.count
            layout.pointee.positionsStart = lines.count
            let raw = UnsafeMutableRawPointer(start)
            if let from = lines.baseAddress { raw.copyMemory(from: from, byteCount: lines.count) }
            if let from = positionBytes.baseAddress { (raw + lines.count).copyMemory(from: from, byteCount: positionBytes.count) }
        }
        storage = buffer
    }

    /// A thread's first buffer, which becomes its spare.
    private static func firstBuffer(holding byteCount: Int) -> Storage {
        let made = makeStorage(byteCount)
        if byteCount <= largestSpare { spares.set(Spare(made)) }
        return made
    }

    private static func makeStorage(_ byteCount: Int) -> Storage {
        // At least a browser's header section with its positions, so that a spare made for a short one serves
        // the longer ones after it.
        let room = max(byteCount, 1024)
        let buffer = Storage.create(minimumCapacity: room) { _ in Layout(fields: 0, positionsStart: 0, room: room) }
        return unsafeDowncast(buffer, to: Storage.self)
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

    /// The bytes of field `index`'s value (`index` below `count`), valid while this buffer lives: while a copy
    /// of these fields (a header set holding them) does. Returned rather than lent to a closure: a caller that
    /// reads them from a borrowed header set then needs no copy of the set (a retain and release) around its
    /// closure, as it did while the closure ran inside the scope of the copy it had made of these fields.
    func valueBytes(at index: Int) -> UnsafeRawBufferPointer {
        withBytes(at: index) { bytes, position in
            UnsafeRawBufferPointer(start: bytes + Int(position.valueStart),
                                   count: Int(position.valueEnd - position.valueStart))
        }
    }

    /// Field `index`'s name (a token, so ASCII).
    func name(at index: Int) -> String {
        withName(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Field `index`'s value; bytes that are not UTF-8 (obs-text) become U+FFFD, as they always have.
    func value(at index: Int) -> String {
        String(decoding: valueBytes(at: index), as: UTF8.self)
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
