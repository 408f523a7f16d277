import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// Several servers on one uploads folder: temporary names carry their owner, a starting server sweeps only its
/// own and abandoned temporaries, and live ones are kept fresh so that no other server takes them for abandoned.
@Suite struct SharedUploadFolderTests {
    static let me = UploadOwner(host: "web1", pid: 100, boot: "aaaa0000")
    static let other = UploadOwner(host: "web2", pid: 100, boot: "bbbb0000")

    @Test func prepare_sweepsOwnAndAbandonedTemporaries_keepsOtherServersLiveOnes() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let now = Int(time(nil))
        let files: [(name: String, age: Int)] = [
            (".upload-000000000001.web1.100.aaaa0000.tmp", 0),      // mine, from a dead process with my pid
            (".upload-000000000002.web2.100.bbbb0000.tmp", 5),      // another server's, in progress
            (".upload-000000000003.web2.100.bbbb0000.tmp", 31),     // another server's, abandoned
            (".upload-000000000004.tmp", 5),                        // an earlier version's (shared nothing)
            (".upload-000000000005.tmp", 3600),                     // an earlier version's, abandoned
            ("photo.jpg", 3600),                                    // a stored upload
        ]
        for file in files {
            try folder.write(file.name, "x")
            try folder.setModified(file.name, seconds: now - file.age)
        }
        let store = UploadStore(folder: folder.path, abandonAfterSeconds: 30, owner: Self.me)

        let swept = try store.prepare()

        #expect(swept == 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            == [".upload-000000000002.web2.100.bbbb0000.tmp", "photo.jpg"])
    }

    @Test func temporaryNames_carryTheOwnerTag() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = UploadStore(folder: folder.path, abandonAfterSeconds: 30, owner: Self.other)
        try store.prepare()

        let file = try store.createFile()

        let name = (file.path as NSString).lastPathComponent
        #expect(UploadStore.ownerTag(ofTemporary: name) == "web2.100.bbbb0000", "\(name)")
        #expect(UploadStore.ownerTag(ofTemporary: "photo.jpg") == nil)
        #expect(UploadOwner(host: "a b/c\u{1b}", pid: 7, boot: "0").tag == "a_b_c_.7.0")
        #expect(UploadOwner.current.tag.split(separator: ".").dropLast().last.map(String.init) == String(getpid()))
    }

    @Test func refresh_keepsLiveTemporariesFresh_untilTheyAreReleased() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = UploadStore(folder: folder.path, abandonAfterSeconds: 30, owner: Self.me)
        try store.prepare()
        var file: UploadFile? = try store.createFile()
        let path = try #require(file?.path)
        let name = (path as NSString).lastPathComponent
        try folder.setModified(name, seconds: 1_000)

        store.refreshTemporaryFiles()

        var info = stat()
        #expect(stat(path, &info) == 0 && Int(info.st_mtim.tv_sec) > Int(time(nil)) - 5)
        // A server that starts now leaves it alone, though it is another owner's.
        let neighbour = UploadStore(folder: folder.path, abandonAfterSeconds: 30, owner: Self.other)
        #expect(try neighbour.prepare() == 0)
        #expect(FileManager.default.fileExists(atPath: path))

        file = nil
        #expect(!FileManager.default.fileExists(atPath: path))
        store.refreshTemporaryFiles()
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
