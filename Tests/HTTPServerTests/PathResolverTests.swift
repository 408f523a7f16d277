import HTTPServer
import Testing

/// Mapping URL paths to files under a root, against a real folder with real symbolic links.
@Suite struct PathResolverTests {
    /// `<tmp>/site` is the root, holding `a/b.txt`, a link to `a`, and links that leave the root.
    private func makeLayout() throws -> (TemporaryDirectory, PathResolver) {
        let folder = try TemporaryDirectory()
        try folder.write("site/a/b.txt", "b")
        try folder.write("site/.env", "SECRET")
        try folder.write("secret.txt", "outside")
        try folder.symlink("site/inside-link", to: "a")
        try folder.symlink("site/escape-file", to: folder.path("secret.txt"))
        try folder.symlink("site/escape-dir", to: "..")
        let resolver = try #require(PathResolver(root: folder.path("site")))
        return (folder, resolver)
    }

    private func segments(_ resolver: PathResolver, _ path: String) -> [String]? {
        guard case .success(let found) = resolver.segments(of: path) else { return nil }
        return found.map(String.init)
    }

    @Test func plainPath_isSplitIntoSegments_droppingEmptyAndDot() throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        #expect(segments(resolver, "/a/b.txt") == ["a", "b.txt"])
        #expect(segments(resolver, "//a/./b.txt/") == ["a", "b.txt"])
        #expect(segments(resolver, "/") == [])
    }

    @Test(arguments: ["/..", "/../etc/passwd", "/a/../../secret.txt", "/a/..", "/a/b/../.."])
    func dotDot_isRefused(_ path: String) throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        #expect(resolver.segments(of: path) == .failure(.hidden))
    }

    @Test(arguments: ["/%2e%2e/secret.txt", "/%2E%2E", "/a/%2e%2e%2f%2e%2e%2fsecret.txt", "/..%2f..%2fsecret.txt"])
    func encodedDotDot_isRefusedAfterDecoding(_ raw: String) throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        let decoded = try #require(PercentEncoding.decode(raw))
        #expect(resolver.segments(of: decoded) == .failure(.hidden))
    }

    @Test(arguments: ["/a\\..\\..\\secret.txt", "/a\\b.txt", "/a/b\u{1}.txt", "/a/b\u{7f}"])
    func backslashAndControlCharacters_areInvalid(_ path: String) throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        #expect(resolver.segments(of: path) == .failure(.invalid))
    }

    @Test(arguments: ["/.env", "/a/.hidden", "/.git/config", "/..."])
    func dotfiles_areHidden(_ path: String) throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        #expect(resolver.segments(of: path) == .failure(.hidden))
    }

    @Test func existingPaths_resolveInsideTheRoot() throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        #expect(resolver.fileSystemPath(["a", "b.txt"]) == resolver.root + "/a/b.txt")
        #expect(resolver.fileSystemPath([]) == resolver.root)
        #expect(resolver.fileSystemPath(["inside-link", "b.txt"]) == resolver.root + "/a/b.txt")
    }

    @Test func missingPath_isNil() throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        #expect(resolver.fileSystemPath(["a", "missing.txt"]) == nil)
    }

    @Test func symlinkEscapingTheRoot_isNil() throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        #expect(resolver.fileSystemPath(["escape-file"]) == nil)
        #expect(resolver.fileSystemPath(["escape-dir"]) == nil)
        #expect(resolver.fileSystemPath(["escape-dir", "secret.txt"]) == nil)
    }

    @Test func rootThroughASymlink_isResolved_andMissingRootFails() throws {
        let (folder, _) = try makeLayout()
        defer { folder.remove() }
        try folder.symlink("site-link", to: "site")
        let resolver = try #require(PathResolver(root: folder.path("site-link")))
        #expect(resolver.root == folder.path("site"))
        #expect(resolver.fileSystemPath(["a", "b.txt"]) == folder.path("site/a/b.txt"))
        #expect(PathResolver(root: folder.path("nowhere")) == nil)
    }

    @Test func siblingWithRootAsPrefix_isOutside() throws {
        let (folder, resolver) = try makeLayout()
        defer { folder.remove() }
        // `<tmp>/site-other` starts with the root's path but is not inside it.
        try folder.write("site-other/x.txt", "x")
        try folder.symlink("site/sibling", to: folder.path("site-other"))
        #expect(resolver.fileSystemPath(["sibling", "x.txt"]) == nil)
    }
}
