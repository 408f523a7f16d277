import FoundationEssentials
import Glibc

/// Short ways to build the common responses:
///
/// ```swift
/// router.get("/api/user/:id") { request in try .json(User(id: request.parameters["id"] ?? "")) }
/// router.post("/api/users") { request in .created(location: "/api/user/42") }
/// router.get("/old") { _ in .redirect(to: "/new", permanent: true) }
/// ```
extension Response {
    /// 200 with a plain-text body.
    public static func ok(_ text: String = "") -> Response {
        Response(status: .ok, text: text)
    }

    /// 200 (or `status`) with bytes of the given type.
    public static func ok(bytes: [UInt8], contentType: String = MIMETypes.fallback,
                          status: HTTPStatus = .ok) -> Response {
        Response(status: status, contentType: contentType, bytes: bytes)
    }

    /// A plain-text body (`text/plain; charset=utf-8`).
    public static func text(_ text: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, text: text)
    }

    /// An HTML body (`text/html; charset=utf-8`). Escape what you interpolate (`String.htmlEscaped`).
    public static func html(_ html: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, contentType: "text/html; charset=utf-8", text: html)
    }

    /// `value` encoded as JSON (`application/json`), keys sorted so the output is stable, dates in ISO 8601.
    /// Throws the encoder's error (a 500) for values JSON cannot represent, such as a non-finite Double.
    public static func json(_ value: some Encodable, status: HTTPStatus = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var bytes = Array(try encoder.encode(value))
        bytes.append(.lf)
        return Response(status: status, contentType: "application/json", bytes: bytes)
    }

    /// 201 with `Location` naming what was created, and no body.
    public static func created(location: String) -> Response {
        Response(status: .created, headers: ["Location": location])
    }

    /// 204: done, nothing to say.
    public static var noContent: Response { Response(status: .noContent) }

    /// A plain 404. Throwing `HTTPError(.notFound, reason)` instead gives the server's error page, with the
    /// request id and JSON for clients that prefer it.
    public static var notFound: Response { Response(status: .notFound, text: "Not Found\n") }

    /// A redirect that keeps the method and body: 308 when `permanent`, else 307 (RFC 9110 §15.4).
    /// After a form `POST`, use `seeOther(_:)` so the browser follows with a `GET`. A `location` starting with `/`
    /// stays on this server (see `onThisServer`); an absolute URL (`https://…`) is sent as given.
    public static func redirect(to location: String, permanent: Bool = false) -> Response {
        Response(status: permanent ? .permanentRedirect : .temporaryRedirect,
                 headers: ["Location": onThisServer(location)])
    }

    /// 303: the result is at `location`, fetch it with `GET` (post/redirect/get). A `location` starting with `/`
    /// stays on this server (see `onThisServer`).
    public static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: ["Location": onThisServer(location)])
    }

    /// A location that starts as a path (`/`, or `\`, which browsers read as `/`) names a path on this server:
    /// its leading slashes, backslashes, tabs and line breaks (browsers drop the last two) collapse to one `/`.
    /// Else a target a program builds from what a client sent (`"/" + name`) could come out as `//evil.example/`,
    /// which a browser follows to another host (an open redirect). Neutralised rather than refused, so the
    /// helpers stay non-throwing; a program that means to send the client elsewhere spells the scheme out.
    static func onThisServer(_ location: String) -> String {
        let ignoredFirst: (Character) -> Bool = { $0 == " " || ($0.asciiValue ?? 0x20) < 0x20 }
        let path = location.drop(while: ignoredFirst)
        guard path.first == "/" || path.first == "\\" else { return location }
        return "/" + path.drop { $0 == "/" || $0 == "\\" || $0 == "\t" || $0.isNewline }
    }

    /// A whole regular file, sent with `sendfile`, typed by its extension unless `contentType` is given.
    ///
    /// The path is used as given: for paths that come from a URL, use `StaticFiles`, which keeps requests inside
    /// its root and handles validators and ranges. Throws `HTTPError(.notFound)` when `path` is not a readable
    /// regular file.
    public static func file(path: String, contentType: String? = nil) throws -> Response {
        guard let region = FileRegion.open(path: path) else {
            throw HTTPError(.notFound, "the file does not exist or cannot be read")
        }
        var info = stat()
        guard fstat(region.fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            region.close()
            throw HTTPError(.notFound, "not a regular file")
        }
        let name = path.split(separator: "/").last ?? ""
        let type = contentType ?? MIMETypes.type(forFileName: name) ?? MIMETypes.fallback
        return Response(status: .ok, headers: ["Content-Type": type], body: .file(region))
    }
}
