import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// `PathResolver.resolve` walks plain paths with `lstat` and falls back to `realpath` at a symbolic link: both
/// routes must give the real path and its status, and never anything outside the root.
@Suite struct PathResolverResolveTests {
    /// `<tmp>/site` holds `a/b.txt` (5 bytes), a link to `a`, a link to a file outside, and a link up.
    private final class Layout {
        let folder: TemporaryDirectory
        let resolver: PathResolver

        init() throws {
            folder = try TemporaryDirectory(prefix: "resolve")
            try folder.write("site/a/b.txt", "hello")
            try folder.write("secret.txt", "outside")
            try folder.symlink("site/inside-link", to: "a")
            try folder.symlink("site/escape-file", to: folder.path("secret.txt"))
            try folder.symlink("site/escape-dir", to: "..")
            resolver = try #require(PathResolver(root: folder.path("site")))
        }

        deinit { folder.remove() }
    }

    @Test func plainFile_resolvesToItsPathAndStatus() throws {
        let layout = try Layout()
        let resolved = try #require(layout.resolver.resolve(["a", "b.txt"]))
        #expect(resolved.path == layout.resolver.root + "/a/b.txt")
        #expect(resolved.info.st_mode & S_IFMT == S_IFREG)
        #expect(resolved.info.st_size == 5)
    }

    @Test func folderAndRoot_resolveAsDirectories() throws {
        let layout = try Layout()
        let folder = try #require(layout.resolver.resolve(["a"]))
        #expect(folder.info.st_mode & S_IFMT == S_IFDIR)
        let root = try #require(layout.resolver.resolve([]))
        #expect(root.path == layout.resolver.root)
        #expect(root.info.st_mode & S_IFMT == S_IFDIR)
    }

    @Test func linkInsideTheRoot_resolvesToTheTargetsRealPathAndStatus() throws {
        let layout = try Layout()
        let resolved = try #require(layout.resolver.resolve(["inside-link", "b.txt"]))
        #expect(resolved.path == layout.resolver.root + "/a/b.txt")
        #expect(resolved.info.st_size == 5)
        let linkedFolder = try #require(layout.resolver.resolve(["inside-link"]))
        #expect(linkedFolder.path == layout.resolver.root + "/a")
        #expect(linkedFolder.info.st_mode & S_IFMT == S_IFDIR)
    }

    @Test func linksLeavingTheRoot_areNil() throws {
        let layout = try Layout()
        #expect(layout.resolver.resolve(["escape-file"]) == nil)
        #expect(layout.resolver.resolve(["escape-dir"]) == nil)
        #expect(layout.resolver.resolve(["escape-dir", "secret.txt"]) == nil)
    }

    @Test func missingPathsAndFilesUsedAsFolders_areNil() throws {
        let layout = try Layout()
        #expect(layout.resolver.resolve(["a", "missing.txt"]) == nil)
        #expect(layout.resolver.resolve(["a", "b.txt", "c"]) == nil)
        #expect(layout.resolver.fileSystemPath(["a", "b.txt", "c"]) == nil)
    }

    /// ASCII paths take a byte-level splitter; any other path the Character-based one. Appending a non-ASCII
    /// segment sends the same path through the other splitter: both must agree.
    @Test(arguments: ["/", "/a/b.txt", "//a/./b.txt/", "/./", "/a//b", "/.env", "/a/.hidden", "/..", "/a/../b",
                      "/a\\b", "/a/b\u{1}.txt", "/a/b\u{7f}", "/a\r\n/b", "/...", "/a.b/c.d", "/%2e%2e"])
    func asciiAndUnicodeSplitting_agree(_ path: String) throws {
        let layout = try Layout()
        let ascii = layout.resolver.segments(of: path)
        let unicode = layout.resolver.segments(of: path + "/ü")
        switch (ascii, unicode) {
        case (.success(let plain), .success(let extended)):
            #expect(plain.map(String.init) + ["ü"] == extended.map(String.init))
        case (.failure(let plain), .failure(let extended)):
            #expect(plain == extended)
        default:
            Issue.record("\(path): \(ascii) but \(unicode) with a Unicode segment")
        }
    }
}
