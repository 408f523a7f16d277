extension String {
    /// Calls `body` with the string's UTF-8 bytes: borrowed where they are contiguous (native and small strings),
    /// with no copy of the string's reference; through a copy made contiguous by `withUTF8` otherwise.
    @inline(__always)
    func withBorrowedUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return copy.withUTF8(body)
    }
}
