/// Writes a response's status line and header section as bytes, adding the fields every response carries.
enum ResponseSerializer {
    /// What the connection tells the client about keeping it open.
    enum Persistence {
        case close
        /// Keep open; advertise the idle timeout and the requests left on this connection.
        case keepAlive(timeout: Int, remaining: Int)
    }

    private static let crlf: [UInt8] = [.cr, .lf]

    /// The head for `response`. `bodyLength` is the length the body has (also for HEAD, which sends none).
    /// Numbers and fixed text are appended as bytes: no `String` is built per response for them.
    static func head(for response: Response, bodyLength: Int, date: [UInt8], server: String,
                     persistence: Persistence, requestID: String?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + response.headers.count * 48)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(response.status.code, to: &out)
        out.append(.space)
        out.append(contentsOf: response.status.reason.utf8)
        out.append(contentsOf: crlf)
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: date)
        out.append(contentsOf: crlf)
        out.append(contentsOf: "Server: ".utf8)
        out.append(contentsOf: server.utf8)
        out.append(contentsOf: crlf)
        if response.status.code >= 200, response.status.code != 204, response.status.code != 304 {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(bodyLength, to: &out)
            out.append(contentsOf: crlf)
        }
        switch persistence {
        case .close:
            out.append(contentsOf: "Connection: close\r\n".utf8)
        case .keepAlive(let timeout, let remaining):
            out.append(contentsOf: "Connection: keep-alive\r\nKeep-Alive: timeout=".utf8)
            appendDecimal(timeout, to: &out)
            out.append(contentsOf: ", max=".utf8)
            appendDecimal(remaining, to: &out)
            out.append(contentsOf: crlf)
        }
        if let requestID {
            out.append(contentsOf: "X-Request-ID: \(requestID)\r\n".utf8)
        }
        // Security headers on every response: no MIME sniffing; HTML pages may only be framed by this site (unless
        // the handler set its own policy).
        out.append(contentsOf: "X-Content-Type-Options: nosniff\r\n".utf8)
        if response.headers["Content-Type"]?.hasPrefix("text/html") == true,
           !response.headers.contains("Content-Security-Policy") {
            out.append(contentsOf: "X-Frame-Options: SAMEORIGIN\r\nContent-Security-Policy: frame-ancestors 'self'\r\n".utf8)
        }
        for (name, value) in response.headers where !name.equalsIgnoringASCIICase("X-Content-Type-Options") {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: crlf)
        }
        out.append(contentsOf: crlf)
        return out
    }

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
