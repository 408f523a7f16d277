/// Reads one request body, framed by `Content-Length` or chunked, into a buffer or a streaming sink,
/// enforcing the route's size limit as bytes arrive.
struct BodyReader {
    enum Destination {
        case buffer([UInt8])
        case sink(any RequestBodySink)
    }

    enum Framing {
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
    }

    /// The request the body belongs to, and the route that will answer it.
    var request: Request
    let route: Router.Route
    private var framing: Framing
    private(set) var destination: Destination
    private let limit: Int
    private(set) var received = 0
    /// Set when the chunked framing broke (a bad chunk size or line): a smuggling shape, not a sink's refusal.
    private(set) var framingBroken = false

    /// `maxTrailerBytes` bounds a chunked body's trailer section (the head's limit, `maxHeaderBytes`).
    init(request: Request, route: Router.Route, destination: Destination, maxTrailerBytes: Int) {
        self.request = request
        self.route = route
        self.destination = destination
        self.limit = route.body.maxBytes
        switch request.head.framing {
        case .length(let length): framing = .length(remaining: length)
        case .chunked: framing = .chunked(ChunkedDecoder(maxTrailerBytes: maxTrailerBytes))
        case .none: framing = .length(remaining: 0)
        }
    }

    var isComplete: Bool {
        switch framing {
        case .length(let remaining): remaining == 0
        case .chunked(let decoder): decoder.isComplete
        }
    }

    /// Takes body bytes from the front of `input`; returns how many it used. Throws `HTTPError` (413 over the
    /// limit, as soon as a chunk's size says so; 400 for broken chunking; 431 for an oversized trailer section)
    /// or whatever the sink throws.
    mutating func feed(_ input: UnsafeRawBufferPointer) throws -> Int {
        switch framing {
        case .length(let remaining):
            let n = min(remaining, input.count)
            try deliver(UnsafeRawBufferPointer(rebasing: input[0..<n]))
            framing = .length(remaining: remaining - n)
            return n
        case .chunked(var decoder):
            do {
                let used = try decoder.decode(input) { try deliver($0) }
                framing = .chunked(decoder)
                // A chunk announced over the limit is refused now, not after its data (or the body timeout).
                if received + decoder.announcedBytes > limit { throw tooLarge }
                return used
            } catch let error as ChunkedDecoder.DecodeError {
                switch error {
                case .malformed(let reason):
                    framingBroken = true
                    throw HTTPError(.badRequest, reason)
                case .trailerTooLarge:
                    throw HTTPError(.headerFieldsTooLarge, "trailer section larger than \(decoder.maxTrailerBytes) bytes")
                }
            }
        }
    }

    private mutating func deliver(_ bytes: UnsafeRawBufferPointer) throws {
        received += bytes.count
        if received > limit { throw tooLarge }
        switch destination {
        case .buffer(var buffer):
            destination = .buffer([])
            buffer.append(contentsOf: bytes)
            destination = .buffer(buffer)
        case .sink(let sink):
            try sink.write(bytes.assumingMemoryBound(to: UInt8.self).span)
        }
    }

    private var tooLarge: HTTPError { HTTPError(.contentTooLarge, "request body larger than \(limit) bytes") }

    /// Tells a streaming sink that the body will not complete.
    func abort() {
        if case .sink(let sink) = destination { sink.abort() }
    }
}
