/// Small error bodies: an HTML page for browsers, JSON for clients whose `Accept` prefers it.
/// They never include server paths or internals, only the status and a short reason.
public enum ErrorPage {
    /// A complete error response.
    public static func response(_ status: HTTPStatus, reason: String, json: Bool, requestID: String? = nil,
                                headers: HTTPHeaders = HTTPHeaders()) -> Response {
        var response: Response
        if json {
            var body = "{\"status\":\(status.code),\"error\":\"\(JSONText.escaped(status.reason))\""
            body += ",\"detail\":\"\(JSONText.escaped(reason))\""
            if let requestID { body += ",\"request_id\":\"\(JSONText.escaped(requestID))\"" }
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
}
