import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// The upload pieces on their own: the streaming JSON validator, the multipart parser, file naming, temporary
/// files and the store.
@Suite struct UploadPartsTests {
    // MARK: - JSON validator

    static let validJSON = [
        "{}", "[]", "0", "-0", "1.5e+10", "\"x\"", "true", " null ", "{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\\n\"}",
        "\"é😀\"", "[1e5, -2.5E-3, 0.0]", "{\"\":\"\"}", "\"\\/\\\\\\\"\\b\\f\\r\\t\"", "\r\n\t[ ]\n",
    ]
    static let invalidJSON = [
        "", " ", "{", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul", "[1 2]", "{\"a\" 1}",
        "{1:2}", "\"\\x\"", "\"\\u12\"", "\"a", "\"tab\there\"", "[1]]", "{}{}", "'a'", "NaN", "[-]", "[01]", "1 2",
    ]

    private func validate(_ bytes: [UInt8], piece: Int) -> JSONValidator.Failure? {
        var validator = JSONValidator()
        do {
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + piece, bytes.count)
                try bytes[offset..<end].withUnsafeBytes { try validator.feed($0) }
                offset = end
            }
            try validator.finish()
            return nil
        } catch let failure as JSONValidator.Failure {
            return failure
        } catch {
            return JSONValidator.Failure(reason: "unexpected \(error)", offset: -1)
        }
    }

    @Test(arguments: validJSON)
    func jsonValidator_acceptsWhatFoundationAccepts(_ text: String) throws {
        let bytes = Array(text.utf8)
        #expect((try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil)
        #expect(validate(bytes, piece: bytes.count + 1) == nil)
        #expect(validate(bytes, piece: 1) == nil)
    }

    @Test(arguments: invalidJSON)
    func jsonValidator_refusesWhatFoundationRefuses(_ text: String) throws {
        let bytes = Array(text.utf8)
        #expect((try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) == nil)
        #expect(validate(bytes, piece: bytes.count + 1) != nil)
        #expect(validate(bytes, piece: 1) != nil)
    }

    /// RFC 8259 has no trailing commas; Foundation on Linux tolerates them, so they are checked on their own.
    @Test func jsonValidator_refusesTrailingCommas() {
        #expect(validate(Array("[1,]".utf8), piece: 1)?.reason == "expected a value, found ']'")
        #expect(validate(Array("{\"a\":1,}".utf8), piece: 1)?.reason == "expected a string key, found '}'")
    }

    @Test func jsonValidator_refusesMalformedUTF8InStrings() {
        for bytes: [UInt8] in [[0x22, 0xff, 0x22], [0x22, 0xc0, 0xaf, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22],
                               [0x22, 0xe2, 0x82, 0x22], [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]] {
            #expect(validate(bytes, piece: 1)?.reason == "invalid UTF-8 in a string")
        }
        #expect(validate([0x22, 0xe2, 0x82, 0xac, 0x22], piece: 1) == nil)
    }

    @Test func jsonValidator_reportsWhereAndWhy() {
        #expect(validate(Array("{\"a\" 1}".utf8), piece: 100)
                == JSONValidator.Failure(reason: "expected ':' after an object key, found '1'", offset: 5))
        #expect(validate(Array("[1, 2".utf8), piece: 100)
                == JSONValidator.Failure(reason: "the document ends too early", offset: 5))
    }

    @Test func jsonValidator_boundsNesting() {
        let deepest = String(repeating: "[", count: JSONValidator.maxDepth) + String(repeating: "]", count: JSONValidator.maxDepth)
        #expect(validate(Array(deepest.utf8), piece: 4096) == nil)
        let tooDeep = "[" + deepest + "]"
        #expect(validate(Array(tooDeep.utf8), piece: 4096)?.reason.contains("nested deeper") == true)
    }

    // MARK: - Multipart parser

    private struct Part: Equatable {
        var head: MultipartParser.PartHead
        var data: [UInt8] = []
    }

    private func parse(_ body: [UInt8], boundary: String, cuts: [Int]) throws -> (parts: [Part], complete: Bool) {
        guard var parser = MultipartParser(boundary: boundary) else { throw TestFailure("boundary refused") }
        var parts: [Part] = []
        var ended = 0
        var start = 0
        for end in cuts + [body.count] where end >= start {
            try body[start..<end].withUnsafeBytes { bytes in
                try parser.feed(bytes) { event in
                    switch event {
                    case .start(let head): parts.append(Part(head: head))
                    case .data(let data): parts[parts.count - 1].data += data
                    case .end: ended += 1
                    }
                }
            }
            start = end
        }
        #expect(ended == parts.count)
        return (parts, parser.isComplete)
    }

    @Test func multipartParser_findsTheSamePartsWhereverTheBodyIsCut() throws {
        let boundary = "XyZ"
        // Content that looks almost like a delimiter must survive intact.
        let tricky = Array("line\r\n--XyNot a boundary\r\n--X\r\r\n-".utf8) + [0, 13, 10, 45]
        let body = Array("preamble to ignore\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n".utf8)
            + Array("--XyZ  \r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.bin\"\r\n".utf8)
            + Array("Content-Type: application/octet-stream\r\n\r\n".utf8) + tricky
            + Array("\r\n--XyZ--\r\nepilogue".utf8)
        let expected = [
            Part(head: .init(name: "note", filename: nil, contentType: nil), data: Array("hi".utf8)),
            Part(head: .init(name: "file", filename: "a b.bin", contentType: "application/octet-stream"), data: tricky),
        ]

        let whole = try parse(body, boundary: boundary, cuts: [])
        #expect(whole.parts == expected)
        #expect(whole.complete)
        for cut in 0...body.count {
            let split = try parse(body, boundary: boundary, cuts: [cut])
            #expect(split.parts == expected, "cut at \(cut)")
            #expect(split.complete)
        }
        let byteByByte = try parse(body, boundary: boundary, cuts: Array(0...body.count))
        #expect(byteByByte.parts == expected)
    }

    @Test func multipartParser_startsWithoutAPreambleAndNeedsTheClosingBoundary() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--b--".utf8)
        let parsed = try parse(body, boundary: "b", cuts: [])
        #expect(parsed.parts.map(\.data) == [Array("v".utf8)])
        #expect(parsed.complete)
        #expect(try parse(Array(body.dropLast(2)), boundary: "b", cuts: []).complete == false)
    }

    @Test func multipartParser_refusesPartsWithoutAFormDataDisposition() {
        let body = Array("--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--".utf8)
        #expect(throws: HTTPError.self) { try parse(body, boundary: "b", cuts: []) }
    }

    @Test func multipartParser_refusesHugePartHeaders() {
        let body = Array(("--b\r\nX-Filler: " + String(repeating: "x", count: MultipartParser.maxHeaderBytes) + "\r\n").utf8)
        #expect(throws: HTTPError.self) { try parse(body, boundary: "b", cuts: [100, 5000]) }
    }

    @Test func multipartParser_refusesBadBoundaries() {
        #expect(MultipartParser(boundary: "") == nil)
        #expect(MultipartParser(boundary: String(repeating: "b", count: 71)) == nil)
        #expect(MultipartParser(boundary: "a\r\nb") == nil)
    }

    @Test func parameterizedValue_readsQuotedAndPlainParameters() {
        let type = ParameterizedValue("Multipart/Form-Data; boundary=\"a;b\"; charset=UTF-8")
        #expect(type?.main == "multipart/form-data")
        #expect(type?.parameters == ["boundary": "a;b", "charset": "UTF-8"])
        let disposition = ParameterizedValue("form-data; name=\"f\"; filename=\"say \\\"hi\\\" C:\\dir\\x.txt\"")
        #expect(disposition?.parameters["filename"] == "say \"hi\" C:\\dir\\x.txt")
    }

    // MARK: - Names

    @Test func uploadName_sanitisesClientNames() {
        #expect(UploadName.sanitized("../../etc/passwd") == "passwd")
        #expect(UploadName.sanitized(".htaccess") == "htaccess")
        #expect(UploadName.sanitized(" . .hidden ") == "hidden")
        #expect(UploadName.sanitized("a\u{0}b\u{1f}c\u{85}d.txt") == "abcd.txt")
        #expect(UploadName.sanitized("..") == nil)
        #expect(UploadName.sanitized("dir/") == nil)
        #expect(UploadName.sanitized("café menü.txt") == "café menü.txt")
        let long = UploadName.sanitized(String(repeating: "é", count: 300) + ".txt")
        #expect(long?.hasSuffix("é.txt") == true)
        #expect((long?.utf8.count ?? 0) <= UploadName.maxNameBytes)
    }

    @Test func uploadName_numbersTakenNamesBeforeTheExtension() {
        let name = UploadName.preferred("a.txt")
        #expect((0..<3).map { name.candidate(attempt: $0) } == ["a.txt", "a-1.txt", "a-2.txt"])
        #expect(UploadName.preferred("README").candidate(attempt: 2) == "README-2")
        #expect(UploadName.preferred("index.html").candidate(attempt: 0) == "index-1.html")
        #expect(UploadName(clientFileName: "...") == .generated(extension: ""))
    }

    @Test func uploadName_generatedNamesAreUTCStampedWithSixHexDigits() {
        #expect(UploadName.generatedName(now: 1_700_000_000, random: 0xab, extension: "json")
                == "upload_20231114_221320_0000ab.json")
    }

    // MARK: - Files and the store

    @Test func uploadFile_turnsAFullDiskInto507AndDeletesItself() throws {
        let temporary = try TemporaryDirectory(prefix: "httpsh-upload-unit")
        defer { temporary.remove() }
        let folder = temporary.path
        let path = folder + "/.upload-test.tmp"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        // /dev/full answers every write with ENOSPC.
        let fd = open("/dev/full", O_WRONLY | O_CLOEXEC)
        try #require(fd >= 0)
        var file: UploadFile? = UploadFile(fd: fd, path: path)

        let chunk = [UInt8](repeating: 7, count: UploadFile.bufferSize)
        #expect {
            try chunk.withUnsafeBytes { try file?.append($0) }
        } throws: { error in
            (error as? HTTPError)?.status == .insufficientStorage
        }
        file = nil
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func uploadStore_publishesWithoutReplacingAnExistingFile() throws {
        let temporary = try TemporaryDirectory(prefix: "httpsh-upload-unit")
        defer { temporary.remove() }
        let folder = temporary.path
        let store = UploadStore(folder: folder)
        try store.prepare()
        #expect(FileManager.default.createFile(atPath: folder + "/a.txt", contents: Data("mine".utf8)))

        let file = try store.createFile()
        try Array("theirs".utf8).withUnsafeBytes { try file.append($0) }
        try file.seal()
        let stored = try store.publish([(file, .preferred("a.txt"))])

        #expect(stored.map(\.name) == ["a-1.txt"])
        #expect(FileManager.default.contents(atPath: folder + "/a.txt") == Data("mine".utf8))
        #expect(FileManager.default.contents(atPath: folder + "/a-1.txt") == Data("theirs".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["a-1.txt", "a.txt"])
        #expect(store.uploadsTotal == 1)
        #expect(store.uploadedBytesTotal == 6)
    }

    @Test func uploadStore_listsNewestFirstAndHidesTemporaries() throws {
        let temporary = try TemporaryDirectory(prefix: "httpsh-upload-unit")
        defer { temporary.remove() }
        let folder = temporary.path
        let store = UploadStore(folder: folder)
        for (name, seconds) in [("old.txt", 1_000), ("new.txt", 3_000), ("mid.txt", 2_000), (".upload-x.tmp", 4_000)] {
            _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(name.utf8))
            var times = [timeval(tv_sec: seconds, tv_usec: 0), timeval(tv_sec: seconds, tv_usec: 0)]
            utimes(folder + "/" + name, &times)
        }
        mkdir(folder + "/subfolder", 0o755)

        let entries = try store.list()

        #expect(entries.map(\.name) == ["new.txt", "mid.txt", "old.txt"])
        #expect(entries.first == UploadStore.Entry(name: "new.txt", size: 7, modified: 3_000))
        #expect(throws: UploadStore.ReadError.tooLarge) { try store.contents(of: "new.txt", limit: 6) }
        #expect(try store.contents(of: "new.txt", limit: 7) == Array("new.txt".utf8))
        #expect(throws: UploadStore.ReadError.invalidName) { try store.contents(of: ".upload-x.tmp", limit: 100) }
    }

    /// With a limit, the list keeps only the newest while it reads the folder (cutting back each time it holds
    /// twice the limit, or 64): what it returns is the head of the whole list, ties ordered by name, whatever the
    /// directory order and however many cuts it took.
    @Test func storeList_withALimit_isTheHeadOfTheWholeList() throws {
        let temporary = try TemporaryDirectory(prefix: "httpsh-upload-unit")
        defer { temporary.remove() }
        let folder = temporary.path
        let store = UploadStore(folder: folder)
        // 500 files over 37 distinct times: many ties, in no particular order of names.
        for index in 0..<500 {
            let name = "f\((index &* 7919) % 1000).txt"
            _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(name.utf8))
            let seconds = 1_000 + (index &* 31) % 37
            var times = [timeval(tv_sec: seconds, tv_usec: 0), timeval(tv_sec: seconds, tv_usec: 0)]
            utimes(folder + "/" + name, &times)
        }

        let whole = try store.list()
        #expect(whole.count == 500)
        for limit in [1, 5, 50, 63, 64, 65, 200, 499, 500, 600] {
            #expect(try store.list(limit: limit) == Array(whole.prefix(limit)), "limit \(limit)")
        }
    }
}
