/// Small error bodies: an HTML page for browsers, JSON for clients whose `Accept` prefers it.
/// They never include server paths or internals, only the status and a short reason.
public enum ErrorPage {
    /// A complete error response.
    public static func response(_ status: HTTPStatus, reason: String, json: Bool, requestID: String? = nil,
                                headers: HTTPHeaders = HTTPHeaders()) -> Response {
        var response: Response
        if json {
            var body = "{\"status\":\(status.code),\"error\":\"\(jsonEscaped(status.reason))\""
            body += ",\"detail\":\"\(jsonEscaped(reason))\""
            if let requestID { body += ",\"request_id\":\"\(jsonEscaped(requestID))\"" }
            body += "}\n"
            response = Response(status: status, contentType: "application/json", text: body)
        } else {
            let idLine = requestID.map { "<p class=\"id\">Request id: <code>\($0.htmlEscaped)</code></p>" } ?? ""
            let page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(status.code) \(status.reason.htmlEscaped)</title>
            <style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}
            h1{font-size:1.6em}p.id{color:#777;font-size:.9em}</style></head>
            <body><h1>\(status.code) \(status.reason.htmlEscaped)</h1><p>\(reason.htmlEscaped)</p>\(idLine)
            <hr><p><small>httpsh</small></p></body></html>

            """
            response = Response(status: status, contentType: "text/html; charset=utf-8", text: page)
        }
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }

    /// Escapes a string for a JSON string literal.
    public static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
