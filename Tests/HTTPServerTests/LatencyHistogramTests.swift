import Testing
@testable import HTTPServer

@Suite struct LatencyHistogramTests {
    @Test func empty_givesZero() {
        #expect(LatencyHistogram().percentile(0.99) == 0)
    }

    @Test func smallValues_areExact() {
        var histogram = LatencyHistogram()
        for value in 1...10 { histogram.record(microseconds: Int64(value)) }
        #expect(histogram.percentile(0.5) == 5)
        #expect(histogram.percentile(0.9) == 9)
        #expect(histogram.percentile(1.0) == 10)
        #expect(histogram.maximum == 10)
    }

    @Test func uniformOneToTenThousand_percentilesWithinFivePercent() {
        var histogram = LatencyHistogram()
        for value in 1...10_000 { histogram.record(microseconds: Int64(value)) }
        for (fraction, exact) in [(0.5, 5000.0), (0.9, 9000.0), (0.99, 9900.0)] {
            let measured = Double(histogram.percentile(fraction))
            #expect(abs(measured - exact) / exact < 0.05, "p\(Int(fraction * 100)) = \(measured), expected ~\(exact)")
            #expect(measured >= exact, "a percentile is reported as its bucket's upper edge")
        }
        #expect(histogram.maximum == 10_000)
        #expect(histogram.total == 10_000)
    }

    @Test func skewed_p99CatchesTheSlowTail() {
        var histogram = LatencyHistogram()
        for _ in 0..<980 { histogram.record(microseconds: 100) }
        for _ in 0..<20 { histogram.record(microseconds: 250_000) }
        #expect(histogram.percentile(0.5) <= 103)
        #expect(histogram.percentile(0.99) >= 250_000)
        #expect(histogram.percentile(0.99) <= 250_000 * 105 / 100)
    }

    @Test func merge_addsCounts() {
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        for _ in 0..<50 { a.record(microseconds: 10) }
        for _ in 0..<50 { b.record(microseconds: 1000) }
        a.merge(b)
        #expect(a.total == 100)
        #expect(a.percentile(0.5) == 10)
        #expect(a.percentile(0.51) >= 1000)
        #expect(a.maximum == 1000)
    }

    @Test func bucketBounds_containTheirValues() {
        var value: Int64 = 1
        while value < 3_000_000_000 {
            let index = LatencyHistogram.index(for: value)
            #expect(LatencyHistogram.upperBound(of: index) >= value)
            #expect(index == 0 || LatencyHistogram.upperBound(of: index - 1) < value)
            value = value * 3 / 2 + 1
        }
    }
}
