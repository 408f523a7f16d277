import HTTPServer
import Testing

/// Conditional requests (RFC 9110 §13): `If-None-Match`, `If-Modified-Since` and `If-Range`.
@Suite struct ValidatorsTests {
    /// A file of 1234 bytes modified at 1994-11-06 08:49:37 UTC.
    let validators = Validators(size: 1234, modifiedSeconds: 784_111_777, modifiedNanoseconds: 5_000_000)
    let modifiedText = "Sun, 06 Nov 1994 08:49:37 GMT"

    @Test func etag_isStrongAndChangesWithSizeAndTime() {
        #expect(validators.etag.hasPrefix("\""))
        #expect(validators.etag.hasSuffix("\""))
        #expect(validators.etag != Validators(size: 1235, modifiedSeconds: 784_111_777, modifiedNanoseconds: 5_000_000).etag)
        #expect(validators.etag != Validators(size: 1234, modifiedSeconds: 784_111_778, modifiedNanoseconds: 5_000_000).etag)
        #expect(validators.etag != Validators(size: 1234, modifiedSeconds: 784_111_777, modifiedNanoseconds: 6_000_000).etag)
        #expect(validators.modified == 784_111_777)
    }

    @Test func ifNoneMatch_sameTag_isNotModified() {
        #expect(validators.notModified(["If-None-Match": validators.etag]))
    }

    @Test func ifNoneMatch_comparesWeakly() {
        #expect(validators.notModified(["If-None-Match": "W/" + validators.etag]))
    }

    @Test func ifNoneMatch_listContainingTheTag_isNotModified() {
        #expect(validators.notModified(["If-None-Match": "\"other\", \(validators.etag) , \"third\""]))
    }

    @Test func ifNoneMatch_star_isNotModified() {
        #expect(validators.notModified(["If-None-Match": "*"]))
    }

    @Test func ifNoneMatch_otherTag_isModified() {
        #expect(!validators.notModified(["If-None-Match": "\"something-else\""]))
        #expect(!validators.notModified(["If-None-Match": validators.etag.dropLast() + "x\""]))
    }

    @Test func ifNoneMatch_winsOverIfModifiedSince() {
        let headers: HTTPHeaders = ["If-None-Match": "\"something-else\"", "If-Modified-Since": modifiedText]
        #expect(!validators.notModified(headers))
    }

    @Test func ifModifiedSince_sameOrLaterDate_isNotModified() {
        #expect(validators.notModified(["If-Modified-Since": modifiedText]))
        #expect(validators.notModified(["If-Modified-Since": "Mon, 07 Nov 1994 08:49:37 GMT"]))
    }

    @Test func ifModifiedSince_earlierDate_isModified() {
        #expect(!validators.notModified(["If-Modified-Since": "Sun, 06 Nov 1994 08:49:36 GMT"]))
    }

    @Test func ifModifiedSince_unparseable_isIgnored() {
        #expect(!validators.notModified(["If-Modified-Since": "yesterday"]))
        #expect(!validators.notModified(["If-Modified-Since": "Sunday, 06-Nov-94 08:49:37 GMT"]))
    }

    @Test func noConditions_isModified() {
        #expect(!validators.notModified(HTTPHeaders()))
    }

    @Test func ifRange_absent_allowsTheRange() {
        #expect(validators.rangeAllowed(HTTPHeaders()))
    }

    @Test func ifRange_sameStrongTag_allowsTheRange() {
        #expect(validators.rangeAllowed(["If-Range": validators.etag]))
    }

    @Test func ifRange_otherOrWeakTag_refusesTheRange() {
        #expect(!validators.rangeAllowed(["If-Range": "\"other\""]))
        // A weak tag never matches for If-Range (strong comparison, RFC 9110 §13.1.5).
        #expect(!validators.rangeAllowed(["If-Range": "W/" + validators.etag]))
    }

    @Test func ifRange_sameDate_allowsTheRange_otherDateRefuses() {
        #expect(validators.rangeAllowed(["If-Range": modifiedText]))
        #expect(!validators.rangeAllowed(["If-Range": "Mon, 07 Nov 1994 08:49:37 GMT"]))
        #expect(!validators.rangeAllowed(["If-Range": "not a date"]))
    }
}
