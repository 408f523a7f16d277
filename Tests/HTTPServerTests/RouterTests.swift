import Testing
@testable import HTTPServer

/// The routing table on its own: which route a method and raw path find, with which parameters.
@Suite struct RouterTests {
    /// A router whose handlers answer with their own pattern, so a match names the route it found.
    private func router(_ routes: [(HTTPMethod, String)]) -> Router {
        var router = Router()
        for (method, pattern) in routes {
            router.on(method, pattern) { _ in .text(pattern) }
        }
        return router
    }

    private func found(_ router: Router, _ method: HTTPMethod, _ path: String) -> (String, RouteParameters)? {
        guard case .found(let route, let parameters) = router.match(method, path: path) else { return nil }
        return (route.pattern, parameters)
    }

    private func allowed(_ router: Router, _ method: HTTPMethod, _ path: String) -> [HTTPMethod]? {
        guard case .methodNotAllowed(let allowed) = router.match(method, path: path) else { return nil }
        return allowed
    }

    @Test func staticSegment_winsOverParameter_whateverTheOrder() {
        let router = router([(.get, "/users/:id"), (.get, "/users/me"), (.get, "/*rest")])
        #expect(found(router, .get, "/users/me")?.0 == "/users/me")
        #expect(found(router, .get, "/users/42")?.0 == "/users/:id")
        #expect(found(router, .get, "/users/42")?.1 == ["id": "42"])
        #expect(found(router, .get, "/users/42/x")?.0 == "/*rest")
    }

    @Test func parameter_winsOverWildcard_andBacktracks() {
        let router = router([(.get, "/files/*path"), (.get, "/files/:name/meta")])
        #expect(found(router, .get, "/files/a/meta")?.1 == ["name": "a"])
        // `:name` leads nowhere for `/files/a/b`, so the wildcard takes it.
        #expect(found(router, .get, "/files/a/b")?.0 == "/files/*path")
        #expect(found(router, .get, "/files/a/b")?.1 == ["path": "a/b"])
    }

    @Test func parameterNames_belongToTheirOwnRoute() {
        let router = router([(.get, "/users/:id"), (.get, "/users/:userID/posts/:post")])
        #expect(found(router, .get, "/users/7")?.1 == ["id": "7"])
        #expect(found(router, .get, "/users/7/posts/9")?.1 == ["userID": "7", "post": "9"])
    }

    @Test func wildcard_capturesTheRestDecoded() {
        let router = router([(.get, "/static/*path")])
        #expect(found(router, .get, "/static/css/site%20main.css")?.1 == ["path": "css/site main.css"])
        #expect(found(router, .get, "/static/a//b/")?.1 == ["path": "a//b/"])
        #expect(found(router, .get, "/static/")?.1 == ["path": ""])
        #expect(found(router, .get, "/static")?.1 == ["path": ""])
        #expect(found(router, .get, "/staticky") == nil)
    }

    @Test func rootPattern_matchesOnlyTheRoot() {
        let router = router([(.get, "/"), (.get, "/about")])
        #expect(found(router, .get, "/")?.0 == "/")
        #expect(found(router, .get, "/about")?.0 == "/about")
        #expect(found(router, .get, "/about/") == nil)
    }

    @Test func parameters_arePercentDecodedOnce_afterSplitting() {
        let router = router([(.get, "/users/:name/files/:file")])
        let parameters = found(router, .get, "/users/J%C3%BCrgen%20B/files/a%2Fb%2541")?.1
        #expect(parameters == ["name": "Jürgen B", "file": "a/b%41"])
    }

    @Test func literalPattern_matchesPercentEncodedRequest() {
        let router = router([(.get, "/café/menu")])
        #expect(found(router, .get, "/caf%C3%A9/menu")?.0 == "/café/menu")
        #expect(found(router, .get, "/café/menu")?.0 == "/café/menu")
    }

    @Test func literal_isFoundAmongManyOfEveryLength() {
        let names = (0..<60).map { String(repeating: "ab", count: $0 % 7 + 1) + "\($0)" } + ["", "z", "é", "Z"]
        let router = router(names.map { (.get, "/" + $0) } + [(.get, "/:other")])
        for name in names {
            #expect(found(router, .get, "/" + PercentEncoding.encodePath(name))?.0 == "/" + name)
        }
        #expect(found(router, .get, "/ab61")?.0 == "/:other")
        #expect(found(router, .get, "/y")?.0 == "/:other")
    }

    @Test func rootMount_answersSegmentsBesideLiterals_whateverTheirLengthAndFirstByte() {
        // Literals are skipped by a filter on a segment's length and first byte: a segment sharing both with a
        // literal, one sharing neither, an empty one, and an escaped one that decodes to a literal.
        let router = router([(.get, "/healthz"), (.get, "/uploads/*path"), (.get, "/readyz"), (.get, "/*path")])
        #expect(found(router, .get, "/healthz")?.0 == "/healthz")
        #expect(found(router, .get, "/health%7A")?.0 == "/healthz")
        #expect(found(router, .get, "/healthy")?.0 == "/*path")
        #expect(found(router, .get, "/1k.html")?.1["path"] == "1k.html")
        #expect(found(router, .get, "/uploads/a")?.0 == "/uploads/*path")
        #expect(found(router, .get, "/uploadz/a")?.1["path"] == "uploadz/a")
        #expect(found(router, .get, "/")?.1["path"] == "")
        #expect(found(router, .get, "/readyz")?.0 == "/readyz")
    }

    @Test func encodedSegment_isComparedDecoded_neverRaw() {
        let router = router([(.get, "/a%41"), (.get, "/aA/:rest")])
        #expect(found(router, .get, "/a%2541")?.0 == "/a%41")
        #expect(found(router, .get, "/a%41") == nil)
        #expect(found(router, .get, "/a%41/x")?.0 == "/aA/:rest")
        #expect(found(router, .get, "/a%zz") == nil)
    }

    @Test func parameters_lookUpByName_inPatternOrder() {
        let router = router([(.get, "/:a/:b/:a")])
        let parameters = found(router, .get, "/1/2/3")?.1
        #expect(parameters?["a"] == "3", "a name used twice keeps its last value")
        #expect(parameters?["b"] == "2")
        #expect(parameters?["c"] == nil)
        #expect(parameters.map { $0.map(\.value) } == ["1", "2", "3"])
    }

    @Test func sixParameters_andAWildcard_allCaptured() {
        let router = router([(.get, "/:a/:b/:c/:d/:e/:f/*rest"), (.get, "/static/*path")])
        let parameters = found(router, .get, "/1/2/3/4/5/%36/x%2Fy/z")?.1
        #expect(parameters == ["a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "rest": "x/y/z"])
        #expect(parameters?.map(\.name) == ["a", "b", "c", "d", "e", "f", "rest"])
        #expect(found(router, .get, "/static/a%zz") == nil, "a wildcard that does not decode matches nothing")
        #expect(found(router, .get, "/static/a%00") == nil)
    }

    @Test func emptySegment_isNotAParameter() {
        let router = router([(.get, "/users/:id")])
        if case .notFound = router.match(.get, path: "/users/") {} else {
            Issue.record("an empty segment matched a parameter")
        }
    }

    @Test func wrongMethod_answers405_withTheRegisteredMethods() {
        let router = router([(.get, "/items/:id"), (.put, "/items/:id"), (.delete, "/items/:id"), (.post, "/items")])
        #expect(allowed(router, .post, "/items/3") == [.get, .head, .put, .delete, .options])
        #expect(allowed(router, .get, "/items") == [.post, .options])
        if case .notFound = router.match(.get, path: "/nothing") {} else { Issue.record("expected 404") }
    }

    @Test func allow_coversEveryPatternMatchingThePath() {
        let router = router([(.get, "/users/new"), (.delete, "/users/:id"), (.post, "/users/*rest")])
        #expect(allowed(router, .put, "/users/new") == [.get, .head, .post, .delete, .options])
    }

    @Test func method_fallsBackToALessSpecificPattern() {
        let router = router([(.get, "/users/new"), (.delete, "/users/:id")])
        #expect(found(router, .get, "/users/new")?.0 == "/users/new")
        #expect(found(router, .delete, "/users/new")?.0 == "/users/:id")
        #expect(found(router, .delete, "/users/new")?.1 == ["id": "new"])
    }

    @Test func methodsOutsideRFC9110_eachFindTheirOwnRoute() {
        let router = router([(HTTPMethod("BREW"), "/pot"), (HTTPMethod("PROPFIND"), "/pot"), (.get, "/pot")])
        #expect(found(router, HTTPMethod("BREW"), "/pot")?.0 == "/pot")
        guard case .found(let brew, _) = router.match(HTTPMethod("BREW"), path: "/pot"),
              case .found(let propfind, _) = router.match(HTTPMethod("PROPFIND"), path: "/pot") else {
            Issue.record("a registered extension method was not found")
            return
        }
        #expect(brew.method == HTTPMethod("BREW"))
        #expect(propfind.method == HTTPMethod("PROPFIND"))
        #expect(allowed(router, HTTPMethod("MKCOL"), "/pot") != nil)
    }

    /// The path is checked for `%` and NUL eight bytes at a time: an escape or a NUL at any place in a word or in
    /// the tail after the last whole word still decides how segments compare and whether a rest decodes.
    @Test func escapesAndNUL_areSeenAtEveryPlaceOfALongPath() {
        for length in 0..<20 {
            let pad = String(repeating: "a", count: length)
            let router = router([(.get, "/\(pad)é/x"), (.get, "/*rest")])
            #expect(found(router, .get, "/\(pad)%C3%A9/x")?.0 == "/\(pad)é/x", "escape after \(length) bytes")
            #expect(found(router, .get, "/\(pad)%00")?.0 == nil, "escaped NUL after \(length) bytes")
            #expect(found(router, .get, "/\(pad)\u{0}")?.0 == nil, "NUL after \(length) bytes")
            #expect(found(router, .get, "/\(pad)%zz")?.0 == nil, "broken escape after \(length) bytes")
            #expect(found(router, .get, "/\(pad)b")?.1 == ["rest": "\(pad)b"])
        }
    }

    @Test func head_isAnsweredByGet_unlessRegistered() {
        let router = router([(.get, "/a"), (.get, "/b"), (.head, "/b")])
        #expect(found(router, .head, "/a")?.0 == "/a")
        guard case .found(let route, _) = router.match(.head, path: "/b") else {
            Issue.record("HEAD /b not found")
            return
        }
        #expect(route.method == .head)
    }

    @Test func laterRegistration_replacesTheEarlier() throws {
        var router = Router()
        router.get("/x") { _ in .text("first") }
        router.get("/x") { _ in .text("second") }
        guard case .found(let route, _) = router.match(.get, path: "/x") else {
            Issue.record("not found")
            return
        }
        let response = try route.handler(try #require(Request(head: Self.head("/x"), client: .unspecified, id: "t")))
        guard case .bytes(let bytes) = response.body else {
            Issue.record("no body")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "second")
    }

    // MARK: - Request values

    @Test func requestCopies_changeIndependently() throws {
        var original = try #require(Request(head: Self.head("/a%20b"), client: .unspecified, id: "t"))
        original.parameters = ["id": "1"]
        let copy = original
        original.body = [1, 2]
        original.parameters = ["id": "2"]
        #expect(copy.body.isEmpty && copy.parameters == ["id": "1"])
        #expect(original.body == [1, 2] && original.parameters == ["id": "2"])
        #expect(copy.path == "/a b" && original.path == "/a b" && copy.id == "t")
    }

    // MARK: - Query items

    @Test func queryItems_decodePlusAndPercent20AsSpace() throws {
        let request = try #require(Request(head: Self.head("/s", query: "q=hello+big%20world&lang=fr"),
                                           client: .unspecified, id: "t"))
        #expect(request.query("q") == "hello big world")
        #expect(request.query("lang") == "fr")
        #expect(request.query("missing") == nil)
    }

    @Test func queryItems_keepOrderDuplicatesAndEmptyValues() throws {
        let request = try #require(Request(head: Self.head("/s", query: "tag=a&flag&tag=b&empty=&caf%C3%A9=%E2%9C%93"),
                                           client: .unspecified, id: "t"))
        let items = request.queryItems.map { "\($0.name)=\($0.value)" }
        #expect(items == ["tag=a", "flag=", "tag=b", "empty=", "café=✓"])
        #expect(request.query("tag") == "a")
        #expect(request.query("flag") == "")
    }

    @Test func queryItems_dropPairsThatDoNotDecode() throws {
        let request = try #require(Request(head: Self.head("/s", query: "bad=%zz&nul=%00&ok=1"),
                                           client: .unspecified, id: "t"))
        #expect(request.queryItems.map(\.name) == ["ok"])
    }

    static func head(_ path: String, query: String? = nil, method: HTTPMethod = .get,
                     headers: HTTPHeaders = ["Host": "test"]) -> RequestHead {
        RequestHead(method: method, target: path + (query.map { "?" + $0 } ?? ""), rawPath: path, query: query,
                    version: .http11, headers: headers, framing: .none, keepAlive: true)
    }
}
