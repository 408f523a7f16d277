import Foundation
import Glibc
import HTTPServer
import Testing

/// The file cache: hot files come from memory, yet a change, a replacement or a deletion on disk shows within
/// about a second, even under load; a file swapped for a symbolic link out of the root is never served; memory
/// stays within the cap.
@Suite struct FileCacheTests {
    /// How long a test waits for a change to show: the cache's one-second window plus a loaded machine's slack.
    static let window = 5.0

    @Test func hotFile_isServedFromTheCache_andCounted() throws {
        let server = try TestServer(files: ["hot.txt": "hot"])
        defer { server.stop() }
        for _ in 0..<3 { #expect(try RawClient.fetch(port: server.port, "GET", "/hot.txt").text == "hot") }
        let usage = server.context.fileCache.usage
        #expect(usage.files == 1)
        #expect(usage.bytes == 3)
        #expect(usage.hits >= 2)
        #expect(usage.capacity == FileCache.defaultCapacity)
    }

    @Test func cacheSize_isShownInMetrics() throws {
        let fixture = try TestServer.observed()
        #expect(try RawClient.fetch(port: fixture.port, "GET", "/hello.txt").text == "hello\n")
        let metrics = try RawClient.fetch(port: fixture.port, "GET", "/metrics").text
        #expect(metrics.contains("httpsh_file_cache_bytes 6\n"))
        #expect(metrics.contains("httpsh_file_cache_files 1\n"))
        #expect(metrics.contains("httpsh_file_cache_capacity_bytes \(FileCache.defaultCapacity)\n"))
    }

    @Test func fileChangedInPlace_isServedNew_withinTheWindow() throws {
        let server = try TestServer(files: ["page.txt": "one"])
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/page.txt").text == "one")
        // Same size, same inode: only the modification and change times tell.
        try Self.overwrite(server.root + "/page.txt", "two")
        #expect(eventually(within: Self.window) {
            (try? RawClient.fetch(port: server.port, "GET", "/page.txt").text) == "two"
        })
        let response = try RawClient.fetch(port: server.port, "GET", "/page.txt")
        #expect(response["Content-Length"] == "3")
    }

    @Test func deletedFile_is404_withinTheWindow() throws {
        let server = try TestServer(files: ["gone.txt": "here"])
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/gone.txt").status == 200)
        #expect(unlink(server.root + "/gone.txt") == 0)
        #expect(eventually(within: Self.window) {
            (try? RawClient.fetch(port: server.port, "GET", "/gone.txt").status) == 404
        })
        #expect(server.context.fileCache.usage.files == 0)
    }

    /// A small file (served from memory) and a larger one (from the descriptor the cache keeps open).
    @Test(arguments: [1000, FileCache.maximumFileBytes + 1000])
    func fileReplacedUnderLoad_isServedWhole_andTheNewVersionWins(size: Int) throws {
        let versions = (0..<5).map { String(repeating: Character(String($0)), count: size + $0 * 10) }
        let server = try TestServer(files: ["v.txt": versions[0]])
        defer { server.stop() }
        let bodies = try Self.underLoad(server, "/v.txt") {
            for version in versions.dropFirst() {
                try server.write("v.txt", version)  // written beside it and renamed over it: a new inode
                usleep(300_000)
            }
            return eventually(within: Self.window) {
                (try? RawClient.fetch(port: server.port, "GET", "/v.txt").text) == versions.last
            }
        }
        #expect(bodies.allSatisfy { versions.contains($0) }, "a response mixed versions")
        #expect(!bodies.isEmpty)
    }

    @Test func fileSwappedForALinkOutOfTheRoot_isNeverServed() throws {
        try Self.swapForOutsideLink(size: 20)
    }

    @Test func largeFileSwappedForALinkOutOfTheRoot_isNeverServed() throws {
        try Self.swapForOutsideLink(size: FileCache.maximumFileBytes + 1000)
    }

    @Test func memory_staysWithinTheCap() throws {
        let server = try TestServer(files: (0..<8).reduce(into: [:]) { files, index in
            files["f\(index).txt"] = String(repeating: "x", count: 3000)
        }) { $0.fileCacheBytes = 10_000 }
        defer { server.stop() }
        for index in 0..<8 {
            #expect(try RawClient.fetch(port: server.port, "GET", "/f\(index).txt").text.count == 3000)
        }
        let usage = server.context.fileCache.usage
        #expect(usage.bytes <= 10_000)
        #expect(usage.bytes >= 6000)
        #expect(usage.files <= 3)
    }

    @Test func cacheOff_seesEveryChangeAtOnce() throws {
        let server = try TestServer(files: ["page.txt": "one"]) { $0.fileCacheBytes = 0 }
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/page.txt").text == "one")
        try Self.overwrite(server.root + "/page.txt", "two")
        #expect(try RawClient.fetch(port: server.port, "GET", "/page.txt").text == "two")
        #expect(server.context.fileCache.usage.files == 0)
        #expect(server.context.fileCache.usage.capacity == 0)
    }

    @Test func cachedFile_keepsRangesAndValidators() throws {
        let server = try TestServer(files: ["letters.txt": "abcdefghijklmnopqrstuvwxyz"])
        defer { server.stop() }
        let first = try RawClient.fetch(port: server.port, "GET", "/letters.txt")
        let etag = try #require(first["ETag"])
        let range = try RawClient.fetch(port: server.port, "GET", "/letters.txt", headers: [("Range", "bytes=2-4")])
        #expect(range.status == 206)
        #expect(range.text == "cde")
        #expect(range["Content-Range"] == "bytes 2-4/26")
        let cached = try RawClient.fetch(port: server.port, "GET", "/letters.txt", headers: [("If-None-Match", etag)])
        #expect(cached.status == 304)
        let head = try RawClient.fetch(port: server.port, "HEAD", "/letters.txt")
        #expect(head["Content-Length"] == "26")
        #expect(head.text.isEmpty)
        #expect(server.context.fileCache.usage.hits >= 3)
    }

    /// The whole-file fast path (no validator, no range asked) and the conditional one meet on the same entry.
    @Test func cachedFile_answersIfModifiedSince_andThenWholeAgain() throws {
        let server = try TestServer(files: ["page.txt": "page"])
        defer { server.stop() }
        let first = try RawClient.fetch(port: server.port, "GET", "/page.txt")
        let modified = try #require(first["Last-Modified"])
        let since = try RawClient.fetch(port: server.port, "GET", "/page.txt", headers: [("If-Modified-Since", modified)])
        #expect(since.status == 304 && since.text.isEmpty)
        #expect(since["ETag"] == first["ETag"])
        let whole = try RawClient.fetch(port: server.port, "GET", "/page.txt")
        #expect(whole.status == 200 && whole.text == "page")
        #expect(whole["ETag"] == first["ETag"] && whole["Last-Modified"] == modified)
        #expect(server.context.fileCache.usage.hits >= 2)
    }

    /// `café` composed (NFC) and decomposed (NFD) are two names on Linux, so two files: the cache, keyed by the
    /// path's bytes, never answers one with the other (as `String` equality, which calls them equal, would).
    @Test func namesSpelledTwoWaysInUnicode_areTwoFiles_alsoWhenCached() throws {
        let server = try TestServer(files: [:])
        defer { server.stop() }
        try Self.create(server.root + "/caf\u{E9}.txt", "composed")
        try Self.create(server.root + "/cafe\u{301}.txt", "decomposed")
        for _ in 0..<3 {
            #expect(try RawClient.fetch(port: server.port, "GET", "/caf%C3%A9.txt").text == "composed")
            #expect(try RawClient.fetch(port: server.port, "GET", "/cafe%CC%81.txt").text == "decomposed")
        }
        #expect(server.context.fileCache.usage.files == 2)
    }

    /// A worker finds the entry it found last again without the cache's lock or hash. Over one kept-alive
    /// connection (request after request to the same worker, mostly): the two spellings of a name stay two files,
    /// and a change or a deletion on disk still shows within the window.
    @Test func entryFoundAgainByAWorker_isTheSameBytes_andStillRevalidated() throws {
        let server = try TestServer(files: ["page.txt": "one"])
        defer { server.stop() }
        try Self.create(server.root + "/caf\u{E9}.txt", "composed")
        try Self.create(server.root + "/cafe\u{301}.txt", "decomposed")
        var client = try RawClient(port: server.port)
        defer { client.close() }
        func get(_ path: String) throws -> RawResponse {
            try client.send(RawClient.request("GET", path))
            let response = try client.readResponse()
            // Waiting for a change asks many times: past the requests allowed per connection, take another.
            if response["Connection"] == "close" {
                client.close()
                client = try RawClient(port: server.port)
            }
            return response
        }
        for _ in 0..<3 {
            #expect(try get("/caf%C3%A9.txt").text == "composed")
            #expect(try get("/caf%C3%A9.txt").text == "composed")
            #expect(try get("/cafe%CC%81.txt").text == "decomposed")
            #expect(try get("/cafe%CC%81.txt").text == "decomposed")
        }
        #expect(try get("/page.txt").text == "one")
        #expect(try get("/page.txt").text == "one")
        try Self.overwrite(server.root + "/page.txt", "two")
        #expect(eventually(within: Self.window) { (try? get("/page.txt"))?.text == "two" })
        #expect(unlink(server.root + "/page.txt") == 0)
        #expect(eventually(within: Self.window) { (try? get("/page.txt"))?.status == 404 })
    }

    // MARK: - Larger files, kept open

    /// A file over the in-memory limit is sent from one descriptor the cache keeps: after three answers exactly one
    /// descriptor of the process leads to it (the first answer's own was closed when sent), and `status` and
    /// `/metrics` count it.
    @Test func largeHotFile_isSentFromOneKeptDescriptor() throws {
        let size = FileCache.maximumFileBytes + 1000
        let text = String(repeating: "L", count: size)
        let server = try TestServer(files: ["big.bin": text])
        defer { server.stop() }
        for _ in 0..<3 { #expect(try RawClient.fetch(port: server.port, "GET", "/big.bin").text == text) }
        // The last answer's own descriptor closes just after its last byte left.
        #expect(eventually(within: Self.window) { Self.descriptors(leadingTo: server.root + "/big.bin") == 1 })
        #expect(server.context.fileCache.usage.openFiles == 1)
        #expect(server.context.fileCache.usage.hits >= 2)
        #expect(server.status("file_cache_bytes")?.hasSuffix(", 1 open") == true)
        let metrics = try RawClient.fetch(port: server.port, "GET", "/metrics").text
        #expect(metrics.contains("httpsh_file_cache_open_files 1\n"))
    }

    /// Ranges, validators and HEAD come from the kept descriptor as from the file.
    @Test func largeCachedFile_keepsRangesAndValidators() throws {
        let text = (0..<(FileCache.maximumFileBytes + 1000)).map { String($0 % 10) }.joined()
        let server = try TestServer(files: ["digits.txt": text])
        defer { server.stop() }
        let first = try RawClient.fetch(port: server.port, "GET", "/digits.txt")
        let etag = try #require(first["ETag"])
        let lower = text.count - 100
        let range = try RawClient.fetch(port: server.port, "GET", "/digits.txt",
                                        headers: [("Range", "bytes=\(lower)-\(lower + 4)")])
        #expect(range.status == 206)
        #expect(range.text == String(text.dropFirst(lower).prefix(5)))
        #expect(range["Content-Range"] == "bytes \(lower)-\(lower + 4)/\(text.count)")
        let suffix = try RawClient.fetch(port: server.port, "GET", "/digits.txt", headers: [("Range", "bytes=-3")])
        #expect(suffix.text == String(text.suffix(3)))
        let cached = try RawClient.fetch(port: server.port, "GET", "/digits.txt", headers: [("If-None-Match", etag)])
        #expect(cached.status == 304)
        let head = try RawClient.fetch(port: server.port, "HEAD", "/digits.txt")
        #expect(head["Content-Length"] == String(text.count))
        #expect(head.text.isEmpty)
        #expect(try RawClient.fetch(port: server.port, "GET", "/digits.txt").text == text)
        #expect(server.context.fileCache.usage.openFiles == 1)
    }

    /// A deleted large file answers 404 within the window, and the cache lets go of its descriptor.
    @Test func largeDeletedFile_is404_andItsDescriptorIsClosed() throws {
        let server = try TestServer(files: ["gone.bin": String(repeating: "g", count: FileCache.maximumFileBytes + 1)])
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/gone.bin").status == 200)
        #expect(eventually(within: Self.window) { Self.descriptors(leadingTo: server.root + "/gone.bin") == 1 })
        #expect(unlink(server.root + "/gone.bin") == 0)
        #expect(eventually(within: Self.window) {
            (try? RawClient.fetch(port: server.port, "GET", "/gone.bin").status) == 404
        })
        #expect(server.context.fileCache.usage.openFiles == 0)
        #expect(Self.descriptors(leadingTo: server.root + "/gone.bin") == 0)
    }

    /// A large file deleted while no one asks for it: the cache closes it within seconds all the same (its disk
    /// space is not held), and the next request is a 404.
    @Test func largeFileAskedForByNoOne_isClosedWithinSeconds() throws {
        let server = try TestServer(files: ["old.bin": String(repeating: "o", count: FileCache.maximumFileBytes + 1)])
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/old.bin").status == 200)
        #expect(unlink(server.root + "/old.bin") == 0)
        #expect(eventually(within: 30) { Self.descriptors(leadingTo: server.root + "/old.bin") == 0 })
        #expect(server.context.fileCache.usage.openFiles == 0)
        #expect(try RawClient.fetch(port: server.port, "GET", "/old.bin").status == 404)
    }

    /// More large files than the cache keeps open: each is served whole, and the cache holds no more than its cap
    /// of descriptors (the least recently checked go).
    @Test func openFiles_stayWithinTheCap() throws {
        let count = FileCache.maximumOpenFiles + 8
        let size = FileCache.maximumFileBytes + 1
        let server = try TestServer(files: (0..<count).reduce(into: [:]) { files, index in
            files["f\(index).bin"] = String(repeating: "x", count: size)
        })
        defer { server.stop() }
        for index in 0..<count {
            #expect(try RawClient.fetch(port: server.port, "GET", "/f\(index).bin").text.count == size)
        }
        #expect(server.context.fileCache.usage.openFiles == FileCache.maximumOpenFiles)
        #expect(eventually(within: Self.window) {
            (0..<count).reduce(0) { $0 + Self.descriptors(leadingTo: server.root + "/f\($1).bin") }
                == FileCache.maximumOpenFiles
        })
        #expect(try RawClient.fetch(port: server.port, "GET", "/f0.bin").text.count == size)
    }

    // MARK: - Helpers

    /// How many of this process's descriptors lead to `path` (also once it is deleted).
    private static func descriptors(leadingTo path: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return -1 }
        return names.filter { name in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name)
            else { return false }
            return target == path || target == path + " (deleted)"
        }.count
    }

    /// Serves a file, then swaps it for a link to a secret outside the root while a client keeps asking: no
    /// response may carry the secret, and the path ends up refused.
    private static func swapForOutsideLink(size: Int) throws {
        let server = try TestServer(files: ["doc.txt": String(repeating: "p", count: size)])
        defer { server.stop() }
        try server.folder.write("secret.txt", String(repeating: "S", count: size))
        #expect(try RawClient.fetch(port: server.port, "GET", "/doc.txt").status == 200)
        let bodies = try underLoad(server, "/doc.txt") {
            usleep(300_000)  // the client's first answers come from the real file
            let temporary = server.root + "/.swap"
            try server.folder.symlink("site/.swap", to: server.folder.path("secret.txt"))
            guard rename(temporary, server.root + "/doc.txt") == 0 else { return false }
            return eventually(within: window) {
                (try? RawClient.fetch(port: server.port, "GET", "/doc.txt").status) == 404
            }
        }
        #expect(!bodies.contains { $0.contains("S") }, "a secret outside the root was served")
        #expect(!bodies.isEmpty)
    }

    /// Runs `change` while a client thread fetches `path` over and over; returns the 200 bodies it saw. `change`
    /// returns whether the change showed in time.
    private static func underLoad(_ server: TestServer, _ path: String, _ change: () throws -> Bool) throws -> [String] {
        let load = ClientLoad(port: server.port, paths: [path], keepingResponses: true)
        defer { load.stop() }
        let showed = try change()
        usleep(200_000)
        #expect(load.stop(), "the client thread hung")
        #expect(showed, "the change did not show within \(window) s")
        return load.responses.filter { $0.status == 200 }.map(\.text)
    }

    /// Rewrites a file in place (same inode), as an editor that truncates does.
    private static func overwrite(_ path: String, _ text: String) throws {
        try write(path, text, flags: O_WRONLY | O_TRUNC)
    }

    /// Creates a file under exactly these UTF-8 bytes (no Unicode normalisation on the way).
    private static func create(_ path: String, _ text: String) throws {
        try write(path, text, flags: O_WRONLY | O_CREAT | O_EXCL)
    }

    private static func write(_ path: String, _ text: String, flags: Int32) throws {
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw POSIXError(.EIO) }
    }
}
