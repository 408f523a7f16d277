import Glibc
import Synchronization

/// The request a connection is serving, as its client sent it (method and path), published by the connection's
/// owner for `connections` and read by any thread without a lock: a sequence lock over atomic words.
///
/// The owner makes `sequence` odd, stores the line, then makes it even again; a reader copies the line and keeps
/// the copy only when `sequence` was even and unchanged around it. Every access is atomic (so ThreadSanitizer
/// sees no race), and on x86 each is a plain move: publishing costs no lock-prefixed instruction, where a mutex
/// costs two per update. Why: the owner publishes twice per request, and an operator reads perhaps once a minute,
/// so the writer's side must be the cheap one. A standard method travels as a small number, so the common
/// request costs a store or two of its path.
///
/// Only the connection's owner publishes. Unchecked `Sendable`: the words are atomics behind a pointer this value
/// owns alone (it is noncopyable).
struct CurrentRequest: ~Copyable, @unchecked Sendable {
    /// Bytes kept of the path (of method and path, for a method spelled out); a longer line is cut and read back
    /// with "…" at the end. The operator still sees which request it is.
    static let capacity = 32 * 8

    private let sequence = Atomic<UInt64>(0)
    /// Which method: 0 for none (nothing under way), 1 for a method spelled out in `words` before the path, else
    /// a standard method's number (`Self.standard`).
    private let method = Atomic<UInt8>(0)
    /// The bytes in `words`: the path's whole length (it may exceed `capacity`), plus a spelled-out method's.
    private let length = Atomic<Int>(0)
    /// The line's first `capacity` bytes, eight to a word, in memory order. On the heap: an inline array of
    /// atomics cost about 5,000 instructions to destroy (the runtime's generic path, element by element).
    /// From `malloc`: Swift's `allocate` goes through `posix_memalign` on Linux, about 110 instructions more per
    /// connection. (glibc's `free` takes memory from either, so the fallback is freed the same way.)
    private let words = (malloc(Self.capacity) ?? UnsafeMutableRawPointer.allocate(byteCount: Self.capacity,
                                                                                   alignment: 16))
        .bindMemory(to: Atomic<UInt64>.self, capacity: Self.capacity / 8)

    /// The standard methods, numbered from 2.
    private static let standard: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect]

    private static func number(of method: HTTPMethod) -> UInt8? {
        switch method {
        case .get: 2
        case .head: 3
        case .post: 4
        case .put: 5
        case .patch: 6
        case .delete: 7
        case .options: 8
        case .trace: 9
        case .connect: 10
        case .other: nil
        }
    }

    init() {
        for index in 0..<(Self.capacity / 8) { (words + index).initialize(to: Atomic(0)) }
    }

    deinit {
        // An `Atomic<UInt64>` holds nothing to release, so the words need no deinitialization.
        free(words)
    }

    /// Publishes the request now under way.
    func publish(_ method: HTTPMethod, _ path: String) {
        if let number = Self.number(of: method) {
            write(method: number, path)
        } else {
            write(method: 1, "\(method) \(path)")
        }
    }

    /// Withdraws it: the connection is between requests.
    func clear() {
        let start = sequence.load(ordering: .relaxed)
        sequence.store(start &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        method.store(0, ordering: .relaxed)
        sequence.store(start &+ 2, ordering: .releasing)
    }

    /// `GET /path`, or nil between requests.
    func read() -> String? {
        while true {
            let before = sequence.load(ordering: .acquiring)
            guard before & 1 == 0 else {
                sched_yield()  // the owner is between its two stores; let it finish
                continue
            }
            let code = Int(method.load(ordering: .relaxed))
            let total = length.load(ordering: .relaxed)
            let kept = min(total, Self.capacity)
            var bytes: [UInt8] = []
            bytes.reserveCapacity((kept + 7) & ~7)
            for index in 0..<((kept + 7) / 8) {
                withUnsafeBytes(of: words[index].load(ordering: .relaxed)) { bytes.append(contentsOf: $0) }
            }
            atomicMemoryFence(ordering: .acquiring)
            guard sequence.load(ordering: .relaxed) == before else {
                sched_yield()
                continue
            }
            guard code > 0 else { return nil }
            let text = String(decoding: bytes.prefix(kept), as: UTF8.self) + (total > kept ? "…" : "")
            return code == 1 ? text : "\(Self.standard[code - 2]) \(text)"
        }
    }

    private func write(method code: UInt8, _ text: String) {
        let start = sequence.load(ordering: .relaxed)
        sequence.store(start &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        method.store(code, ordering: .relaxed)
        let stored: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            length.store(bytes.count, ordering: .relaxed)
            store(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[..<min(bytes.count, Self.capacity)]))
        }
        if stored == nil {
            let bytes = Array(text.utf8)
            length.store(bytes.count, ordering: .relaxed)
            bytes.withUnsafeBytes { store(UnsafeRawBufferPointer(rebasing: $0[..<min($0.count, Self.capacity)])) }
        }
        sequence.store(start &+ 2, ordering: .releasing)
    }

    /// Stores `bytes` (at most `capacity`) into the words, the last one padded with zeros.
    private func store(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        var index = 0
        while offset + 8 <= bytes.count {
            words[index].store(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self), ordering: .relaxed)
            offset += 8
            index += 1
        }
        guard offset < bytes.count else { return }
        var last: UInt64 = 0
        withUnsafeMutableBytes(of: &last) { word in
            word.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
        words[index].store(last, ordering: .relaxed)
    }
}
