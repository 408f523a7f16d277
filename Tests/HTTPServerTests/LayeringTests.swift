import Foundation
import Testing

/// The library's folders stack one way (README, "Architecture"): a file may use the types and functions declared
/// in its own folder and in the folders below it, never those of a folder above. The compiler cannot see this
/// inside one module, so this test reads the sources and does.
@Suite struct LayeringTests {
    @Test func sources_useNoHigherFolder() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/HTTPServer").path
        let files = try LayerCheck.read(root: root)
        #expect(files.count > 50, "read \(files.count) files under \(root)")
        #expect(LayerCheck.unknownFolders(files) == [], "a new folder needs its place in LayerCheck.layers")
        #expect(LayerCheck.violations(files) == [])
    }

    @Test func check_reportsUpwardUse() {
        let files = [
            LayerCheck.File(folder: "Engine", name: "Engine.swift", text: "final class Engine {}\n"),
            LayerCheck.File(folder: "HTTP", name: "Response.swift", text: """
            // Engine in a comment is fine, and so is "Engine" in a string.
            public struct Response { let label = "Engine" }
            func serve(_ engine: Engine) {}
            """),
        ]
        #expect(LayerCheck.violations(files) == ["HTTP/Response.swift uses Engine (Engine)"])
    }

    @Test func check_allowsDownwardUse() {
        let files = [
            LayerCheck.File(folder: "Engine", name: "Engine.swift", text: "final class Engine { let r: Response }\n"),
            LayerCheck.File(folder: "HTTP", name: "Response.swift", text: "public struct Response {}\n"),
        ]
        #expect(LayerCheck.violations(files) == [])
    }
}

/// Finds uses of a higher folder's top-level names, by reading the source text (comments and string literals
/// removed). Names declared in extensions are not tracked: a higher folder may extend a lower type, and a lower
/// folder calling such an extension member is left to review.
enum LayerCheck {
    /// Bottom to top. Observability sits below Protection (protection may log and count; the journal of what it
    /// did must not depend on it).
    static let layers = ["Support", "Net", "HTTP", "Routing", "Observability", "Protection", "Handlers", "Engine",
                         "Application", "Control"]

    struct File {
        let folder: String
        let name: String
        let text: String
    }

    static func read(root: String) throws -> [File] {
        let manager = FileManager.default
        var files: [File] = []
        for folder in try manager.contentsOfDirectory(atPath: root).sorted() {
            guard let walker = manager.enumerator(atPath: root + "/" + folder) else { continue }
            for case let relative as String in walker where relative.hasSuffix(".swift") {
                let text = try String(contentsOfFile: root + "/" + folder + "/" + relative, encoding: .utf8)
                files.append(File(folder: folder, name: relative, text: text))
            }
        }
        return files
    }

    static func unknownFolders(_ files: [File]) -> [String] {
        Set(files.map(\.folder)).subtracting(layers).sorted()
    }

    /// `Folder/File.swift uses Name (OwnerFolder)` for each use of a name declared in a higher folder.
    static func violations(_ files: [File]) -> [String] {
        var owner: [String: String] = [:]
        for file in files {
            for name in topLevelNames(file.text) { owner[name] = file.folder }
        }
        var found: [String] = []
        for file in files {
            guard let level = layers.firstIndex(of: file.folder) else { continue }
            for name in Set(identifiers(code(file.text))).sorted() {
                guard let home = owner[name], let homeLevel = layers.firstIndex(of: home), homeLevel > level
                else { continue }
                found.append("\(file.folder)/\(file.name) uses \(name) (\(home))")
            }
        }
        return found
    }

    /// Types, type aliases and functions declared at the start of a line (top level).
    static func topLevelNames(_ text: String) -> [String] {
        let kinds: Set<Substring> = ["class", "struct", "enum", "protocol", "actor", "typealias", "func"]
        var names: [String] = []
        for line in text.split(separator: "\n") where line.first.map({ !$0.isWhitespace }) ?? false {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == "<" || $0 == ":" })
            guard let kind = words.firstIndex(where: { kinds.contains($0) }), kind + 1 < words.count,
                  words[..<kind].allSatisfy({ !$0.contains("=") }) else { continue }
            names.append(String(words[kind + 1].prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })))
        }
        return names.filter { !$0.isEmpty }
    }

    /// The text with comments and string literals blanked out.
    static func code(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let first = rest.first {
            if rest.hasPrefix("//") {
                rest = rest.drop(while: { $0 != "\n" })
            } else if rest.hasPrefix("/*") {
                rest = rest.range(of: "*/").map { rest[$0.upperBound...] } ?? ""
            } else if rest.hasPrefix("\"\"\"") {
                let body = rest.dropFirst(3)
                rest = body.range(of: "\"\"\"").map { body[$0.upperBound...] } ?? ""
                out += " "
            } else if first == "\"" {
                var body = rest.dropFirst()
                while let next = body.first, next != "\"", next != "\n" {
                    body = next == "\\" ? body.dropFirst(2) : body.dropFirst()
                }
                rest = body.dropFirst()
                out += " "
            } else {
                out.append(first)
                rest = rest.dropFirst()
            }
        }
        return out
    }

    static func identifiers(_ code: String) -> [String] {
        code.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
    }
}
