/// Writes a response's status line and header section as bytes, adding the fields every response carries.
enum ResponseSerializer {
    /// What the connection tells the client about keeping it open.
    enum Persistence {
        case close
        /// Keep open; advertise the idle timeout and the requests left on this connection.
        case keepAlive(timeout: Int, remaining: Int)
    }

    /// The head for `response`, in an array of its own (`write(_:into:)` fills a buffer the caller reuses).
    static func head(for response: Response, bodyLength: Int, date: [UInt8], server: String,
                     persistence: Persistence, requestID: String?) -> [UInt8] {
        let size = capacity(response, date: date, server: server, requestID: requestID)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = fill(buffer, response, bodyLength: bodyLength, date: date, server: server,
                         persistence: persistence, requestID: requestID)
        }
    }

    /// Writes the head for `response` into `buffer`; its length, or nil when it might not fit. `bodyLength` is
    /// the length the body has (also for HEAD, which sends none). Numbers and fixed text are copied as bytes: no
    /// `String` is built per response for them.
    static func write(_ response: Response, bodyLength: Int, date: [UInt8], server: String,
                      persistence: Persistence, requestID: String?,
                      into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        guard capacity(response, date: date, server: server, requestID: requestID) <= buffer.count else { return nil }
        return fill(buffer, response, bodyLength: bodyLength, date: date, server: server,
                    persistence: persistence, requestID: requestID)
    }

    /// The room the head needs: fixed text is under `fixedBytes`, the rest is counted.
    private static func capacity(_ response: Response, date: [UInt8], server: String, requestID: String?) -> Int {
        var capacity = fixedBytes + date.count + server.utf8.count + response.status.reason.utf8.count
            + (requestID?.utf8.count ?? 0)
        for (name, value) in response.headers { capacity += name.utf8.count + value.utf8.count + 4 }
        return capacity
    }

    private static func fill(_ buffer: UnsafeMutableBufferPointer<UInt8>, _ response: Response,
                             bodyLength: Int, date: [UInt8], server: String, persistence: Persistence,
                             requestID: String?) -> Int {
        var out = ByteWriter(buffer)
        out.fixed("HTTP/1.1 ")
        out.write(decimal: response.status.code)
        out.fixed(" ")
        out.write(response.status.reason)
        out.fixed("\r\nDate: ")
        out.write(date)
        out.fixed("\r\nServer: ")
        out.write(server)
        out.fixed("\r\n")
        if response.status.code >= 200, response.status.code != 204, response.status.code != 304 {
            out.fixed("Content-Length: ")
            out.write(decimal: bodyLength)
            out.fixed("\r\n")
        }
        switch persistence {
        case .close:
            out.fixed("Connection: close\r\n")
        case .keepAlive(let timeout, let remaining):
            out.fixed("Connection: keep-alive\r\nKeep-Alive: timeout=")
            out.write(decimal: timeout)
            out.fixed(", max=")
            out.write(decimal: remaining)
            out.fixed("\r\n")
        }
        if let requestID {
            out.fixed("X-Request-ID: ")
            out.write(requestID)
            out.fixed("\r\n")
        }
        // Security headers on every response: no MIME sniffing; HTML pages may only be framed by this site
        // (unless the handler set its own policy).
        out.fixed("X-Content-Type-Options: nosniff\r\n")
        if response.headers[.contentType]?.hasUTF8Prefix("text/html") == true,
           !response.headers.contains(.contentSecurityPolicy) {
            out.fixed("X-Frame-Options: SAMEORIGIN\r\nContent-Security-Policy: frame-ancestors 'self'\r\n")
        }
        for (name, value) in response.headers
        where name.utf8.count != 22 || !name.equalsIgnoringASCIICase("X-Content-Type-Options") {
            out.write(name)
            out.fixed(": ")
            out.write(value)
            out.fixed("\r\n")
        }
        out.fixed("\r\n")
        return out.count
    }

    /// Room for every fixed piece of text above and four numbers of up to 20 digits, with margin.
    private static let fixedBytes = 400

    /// Appends `value` in decimal ASCII.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        guard value >= 0 else {
            out.append(contentsOf: String(value).utf8)
            return
        }
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}

/// Copies text into a buffer sized beforehand; a write that would not fit is dropped (the serializer sizes the
/// buffer so that none is).
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    /// Fixed text (a literal): copied straight from the binary, with no `String` in between.
    mutating func fixed(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func write(_ text: String) {
        // Native strings (every header the server builds) lend their bytes in place; others are copied out.
        if text.utf8.withContiguousStorageIfAvailable({ write(UnsafeRawBufferPointer($0)) }) == nil {
            for byte in text.utf8 { write(byte: byte) }
        }
    }

    private mutating func write(byte: UInt8) {
        guard count < buffer.count else { return }
        buffer[count] = byte
        count += 1
    }

    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, let base = buffer.baseAddress, count + bytes.count <= buffer.count
        else { return }
        (base + count).update(from: source.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count += bytes.count
    }

    /// `value` in decimal ASCII.
    mutating func write(decimal value: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes on the stack: room for any Int
        withUnsafeMutableBytes(of: &digits) { raw in
            var rest = value.magnitude
            var start = raw.count
            repeat {
                start -= 1
                raw[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            if value < 0 {
                start -= 1
                raw[start] = UInt8(ascii: "-")
            }
            write(UnsafeRawBufferPointer(rebasing: raw[start...]))
        }
    }
}
