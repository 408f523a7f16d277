import Foundation
import Testing
@testable import HTTPServer

/// Upload names in Unicode: the NFC and NFD spellings of one name (`café` precomposed, or `e` + U+0301 as macOS
/// sends it) look alike, so they must be stored as one name, never as two identical-looking files.
@Suite struct UploadUnicodeNameTests {
    static let composed = "caf\u{e9}.txt"
    static let decomposed = "cafe\u{301}.txt"

    @Test func nfdAndNFCSpellingsOfOneName_becomeOneNameNumberedOnItsSecondUse() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var names: [String] = []
        for (index, spelling) in [Self.decomposed, Self.composed].enumerated() {
            var form = UploadTestForm()
            form.file("file", filename: spelling, Array("version \(index)\n".utf8))
            let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))
            #expect(response.status == 201)
            names += response.files.compactMap { $0["name"] as? String }
        }

        // `String ==` ignores the difference between the two forms: compare the bytes the file system holds.
        let expected = [Self.composed, "caf\u{e9}-1.txt"].map { Array($0.utf8) }
        #expect(names.map { Array($0.utf8) } == expected)
        #expect(Set(server.entries().map { Array($0.utf8) }) == Set(expected))
        #expect(server.stored(Self.composed) == Array("version 0\n".utf8))
    }

    @Test(arguments: [decomposed, "A\u{30a}ngstr\u{f6}m", "a\u{302}\u{323}", "\u{1100}\u{1161}\u{11a8}", "\u{fb01}le", "plain.txt"])
    func normalisation_matchesFoundationsCanonicalComposition(_ name: String) {
        #expect(Array(UploadName.normalized(name).utf8) == Array(name.precomposedStringWithCanonicalMapping.utf8))
    }
}
