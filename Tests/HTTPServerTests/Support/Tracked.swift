@testable import HTTPServer

/// An object that says when it is freed: it appends its value to `freed` as it goes, so a test sees which objects
/// a container gave back, and when.
final class Tracked: Sendable {
    let value: Int
    let freed: Lock<[Int]>

    init(_ value: Int, freed: Lock<[Int]>) {
        self.value = value
        self.freed = freed
    }

    deinit { freed.withLock { $0.append(value) } }
}
