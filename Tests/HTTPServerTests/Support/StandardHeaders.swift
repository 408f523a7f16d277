import HTTPServer
import Testing

/// Checks the fields the engine puts on every response: a parseable `Date`, `Server: httpsh`, `Connection`, and
/// `Content-Length` matching the body (except on 1xx, 204 and 304, which carry none). `head` says the request was
/// HEAD, whose `Content-Length` describes the body GET would send.
func expectStandardHeaders(_ response: RawResponse, head: Bool = false,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response["Date"].flatMap(HTTPDate.parse) != nil, "Date: \(response["Date"] ?? "missing")",
            sourceLocation: sourceLocation)
    #expect(response["Server"] == "httpsh", sourceLocation: sourceLocation)
    let connection = response["Connection"]?.lowercased()
    #expect(connection == "close" || connection == "keep-alive", "Connection: \(connection ?? "missing")",
            sourceLocation: sourceLocation)
    if response.status < 200 || response.status == 204 || response.status == 304 {
        #expect(response["Content-Length"] == nil, sourceLocation: sourceLocation)
    } else if head {
        #expect(response["Content-Length"].flatMap { Int($0) } != nil, sourceLocation: sourceLocation)
    } else {
        #expect(response["Content-Length"] == String(response.body.count), sourceLocation: sourceLocation)
    }
}
