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

    init(request: Request, route: Router.Route, destination: Destination) {
        self.request = request
        self.route = route
        self.destination = destination
        self.limit = route.body.maxBytes
        switch request.head.framing {
        case .length(let length): framing = .length(remaining: length)
        case .chunked: framing = .chunked(ChunkedDecoder())
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
    /// limit, 400 for broken chunking) or whatever the sink throws.
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
                return used
            } catch let error as ChunkedDecoder.DecodeError {
                framingBroken = true
                if case .malformed(let reason) = error { throw HTTPError(.badRequest, reason) }
                throw error
            }
        }
    }

    private mutating func deliver(_ bytes: UnsafeRawBufferPointer) throws {
        received += bytes.count
        if received > limit {
            throw HTTPError(.contentTooLarge, "request body larger than \(limit) bytes")
        }
        switch destination {
        case .buffer(var buffer):
            destination = .buffer([])
            buffer.append(contentsOf: bytes)
            destination = .buffer(buffer)
        case .sink(let sink):
            try sink.write(bytes.assumingMemoryBound(to: UInt8.self).span)
        }
    }

    /// Tells a streaming sink that the body will not complete.
    func abort() {
        if case .sink(let sink) = destination { sink.abort() }
    }
}
