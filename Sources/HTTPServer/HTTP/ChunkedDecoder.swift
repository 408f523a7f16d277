/// Decodes a chunked request body (RFC 9112 §7.1) incrementally, from whatever bytes have arrived.
///
/// A state machine: feed it bytes, it hands back the body data it found and how many input bytes it used.
/// Chunk extensions are skipped and trailer fields are read and dropped, up to `maxTrailerBytes`.
public struct ChunkedDecoder: Sendable {
    /// A size line or trailer line longer than this is an attack, not a chunk: 400.
    static let maxLineLength = 4096

    enum State: Sendable, Equatable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailer
        case done
    }

    public enum DecodeError: Error, Equatable {
        case malformed(String)
        /// The trailer section grew past `maxTrailerBytes`.
        case trailerTooLarge
    }

    private(set) var state: State = .size
    private var line: [UInt8] = []
    /// The most bytes of trailer fields read (and dropped): trailers are a header section after the body, so the
    /// server bounds them like the head (`RequestParser.Limits.maxHeaderBytes`).
    let maxTrailerBytes: Int
    private var trailerBytes = 0

    public init(maxTrailerBytes: Int = RequestParser.Limits().maxHeaderBytes) {
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// Body bytes the current chunk still announces (0 between chunks): a size over the body limit can be
    /// refused before any of its data arrives.
    var announcedBytes: Int {
        if case .data(let remaining) = state { return remaining }
        return 0
    }

    /// True once the last chunk and the trailer section have been read.
    public var isComplete: Bool { state == .done }

    /// Decodes as much of `input` as possible, calling `emit` for each piece of body data.
    /// Returns the number of input bytes used; bytes after the body are left for the next request.
    public mutating func decode(_ input: UnsafeRawBufferPointer,
                                emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var i = 0
        while i < input.count, state != .done {
            switch state {
            case .size, .trailer, .dataEnd:
                guard let lineComplete = try takeLine(input, &i) else { return i }
                try finishLine(lineComplete)
            case .data(let remaining):
                let n = min(remaining, input.count - i)
                try emit(UnsafeRawBufferPointer(rebasing: input[i..<(i + n)]))
                i += n
                state = remaining == n ? .dataEnd : .data(remaining: remaining - n)
            case .done:
                break
            }
        }
        return i
    }

    /// Accumulates bytes of the current line; returns it when its LF arrives.
    private mutating func takeLine(_ input: UnsafeRawBufferPointer, _ i: inout Int) throws -> [UInt8]? {
        while i < input.count {
            let byte = input[i]
            i += 1
            if byte == .lf {
                let complete = line.last == .cr ? Array(line.dropLast()) : line
                line.removeAll(keepingCapacity: true)
                return complete
            }
            line.append(byte)
            if line.count > Self.maxLineLength { throw DecodeError.malformed("chunk line too long") }
        }
        return nil
    }

    private mutating func finishLine(_ text: [UInt8]) throws {
        switch state {
        case .size:
            let sizeEnd = text.firstIndex { $0 == UInt8(ascii: ";") || $0 == .space || $0 == .tab } ?? text.count
            let digits = text[..<sizeEnd]
            // 15 hex digits stay inside Int; a bigger chunk is refused long before by the body limit.
            // Hex digits only: `Int(_:radix:)` alone would also take a sign ("-9" was found by the fuzzer).
            guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy(\.isHexDigit),
                  let size = Int(String(decoding: digits, as: UTF8.self), radix: 16)
            else { throw DecodeError.malformed("invalid chunk size") }
            state = size == 0 ? .trailer : .data(remaining: size)
        case .dataEnd:
            guard text.isEmpty else { throw DecodeError.malformed("chunk data longer than its size") }
            state = .size
        case .trailer:
            if text.isEmpty {
                state = .done
            } else {
                trailerBytes += text.count + 2
                if trailerBytes > maxTrailerBytes { throw DecodeError.trailerTooLarge }
            }
        case .data, .done:
            break
        }
    }
}
