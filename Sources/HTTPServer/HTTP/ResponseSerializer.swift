/// Writes a response's status line and header section as bytes, adding the fields every response carries.
///
/// Most of a head is the same from one response to the next: the status line, `Date` and `Server`, and (for a file
/// the cache serves) the same header fields. The worker's `ResponseHeadParts` keeps those rendered; what changes
/// per response (Content-Length, Keep-Alive's count, the request id) is written between them as bytes.
enum ResponseSerializer {
    /// What the connection tells the client about keeping it open.
    enum Persistence {
        case close
        /// Keep open; advertise the idle timeout and the requests left on this connection.
        case keepAlive(timeout: Int, remaining: Int)
    }

    /// The head for `response`, in an array of its own (`write(_:into:)` fills a buffer the caller reuses).
    static func head(for response: Response, bodyLength: Int, parts: inout ResponseHeadParts,
                     persistence: Persistence, requestID: RequestID?) -> [UInt8] {
        let lead = parts.lead(for: response.status)
        let size = fixedBytes + lead.count + (requestID?.utf8Count ?? 0) + fieldsCapacity(response.headers)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var out = ByteWriter(buffer)
            out.write(lead)
            writeFront(&out, response.status, bodyLength: bodyLength, persistence: persistence,
                       requestID: requestID, parts: &parts)
            writeFields(&out, response.headers)
            count = out.count
        }
    }

    /// Writes the head for `response` into `buffer`; its length, or nil when it does not fit. `bodyLength` is
    /// the length the body has (also for HEAD, which sends none). Numbers and fixed text are copied as bytes: no
    /// `String` is built per response for them, and the parts kept rendered are copied from where they are kept.
    static func write(_ response: Response, bodyLength: Int, parts: inout ResponseHeadParts,
                      persistence: Persistence, requestID: RequestID?,
                      into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        var out = ByteWriter(buffer)
        parts.writeLead(for: response.status, into: &out)
        writeFront(&out, response.status, bodyLength: bodyLength, persistence: persistence, requestID: requestID,
                   parts: &parts)
        if case .unrendered(let keep) = parts.writeFields(response.headers, into: &out) {
            let start = out.count
            writeFields(&out, response.headers)
            if keep, !out.overflowed {
                parts.keep(UnsafeMutableBufferPointer(rebasing: buffer[start..<out.count]), of: response.headers)
            }
        }
        return out.overflowed ? nil : out.count
    }

    /// `Connection` and `Keep-Alive` up to the requests left: what `ResponseHeadParts.writeKeepAlive` keeps
    /// rendered.
    static func writeKeepAlive(_ out: inout ByteWriter, timeout: Int) {
        out.fixed("Connection: keep-alive\r\nKeep-Alive: timeout=")
        out.write(decimal: timeout)
        out.fixed(", max=")
    }

    /// The status line, `Date`, `Server`: what `ResponseHeadParts.lead` keeps rendered.
    static func writeLead(_ out: inout ByteWriter, _ status: HTTPStatus, date: [UInt8], server: String) {
        out.fixed("HTTP/1.1 ")
        out.write(decimal: status.code)
        out.fixed(" ")
        out.write(status.reason)
        out.fixed("\r\nDate: ")
        out.write(date)
        out.fixed("\r\nServer: ")
        out.write(server)
        out.fixed("\r\n")
    }

    /// The fields the engine adds that change per response (they follow the lead).
    private static func writeFront(_ out: inout ByteWriter, _ status: HTTPStatus, bodyLength: Int,
                                   persistence: Persistence, requestID: RequestID?,
                                   parts: inout ResponseHeadParts) {
        if status.code >= 200, status.code != 204, status.code != 304 {
            out.fixed("Content-Length: ")
            out.write(decimal: bodyLength)
            out.fixed("\r\n")
        }
        switch persistence {
        case .close:
            out.fixed("Connection: close\r\n")
        case .keepAlive(let timeout, let remaining):
            parts.writeKeepAlive(timeout: timeout, into: &out)
            out.write(decimal: remaining)
            out.fixed("\r\n")
        }
        if let requestID {
            out.fixed("X-Request-ID: ")
            requestID.write(to: &out)
            out.fixed("\r\n")
        }
    }

    /// The security headers, the response's own fields and the blank line that ends the head: what
    /// `ResponseHeadParts` keeps rendered for fields it has seen before. Depends on nothing but `headers`.
    private static func writeFields(_ out: inout ByteWriter, _ headers: HTTPHeaders) {
        // Security headers on every response: no MIME sniffing; HTML pages may only be framed by this site
        // (unless the handler set its own policy).
        out.fixed("X-Content-Type-Options: nosniff\r\n")
        if headers[.contentType]?.hasUTF8Prefix("text/html") == true, !headers.contains(.contentSecurityPolicy) {
            out.fixed("X-Frame-Options: SAMEORIGIN\r\nContent-Security-Policy: frame-ancestors 'self'\r\n")
        }
        for (name, value) in headers
        where name.utf8.count != 22 || !name.equalsIgnoringASCIICase("X-Content-Type-Options") {
            out.write(name)
            out.fixed(": ")
            out.write(value)
            out.fixed("\r\n")
        }
        out.fixed("\r\n")
    }

    /// The room `writeFields` needs beyond what `fixedBytes` covers.
    private static func fieldsCapacity(_ headers: HTTPHeaders) -> Int {
        var capacity = 0
        for (name, value) in headers { capacity += name.utf8.count + value.utf8.count + 4 }
        return capacity
    }

    /// Room for every fixed piece of text above and three numbers of up to 20 digits, with margin.
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
