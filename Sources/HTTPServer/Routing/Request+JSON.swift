import FoundationEssentials

extension Request {
    /// Decodes the body as JSON into `type`.
    ///
    /// Throws `HTTPError(.badRequest, …)` when the body is empty, is not JSON, or does not fit the type, with a
    /// reason that names the problem and where it is (`field "user.age": expected Int`), so the client can fix
    /// its request. Key names are used as they are (no snake-case conversion); dates must be ISO 8601.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !body.isEmpty else {
            throw HTTPError(.badRequest, "the request has no body; expected JSON")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: Data(body))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, Self.explain(error))
        }
    }

    /// One line a client can act on, for each kind of decoding failure.
    static func explain(_ error: DecodingError) -> String {
        func field(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = (path + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            let joined = keys.reduce("") { text, key in
                key.hasPrefix("[") || text.isEmpty ? text + key : text + "." + key
            }
            return joined.isEmpty ? "the body" : "field \"\(joined)\""
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "the body is not valid JSON"
        case .dataCorrupted(let context):
            return "\(field(context.codingPath)) has an invalid value"
        case .keyNotFound(let key, let context):
            return "\(field(context.codingPath, key)) is missing"
        case .typeMismatch(let type, let context):
            return "\(field(context.codingPath)): expected \(Self.jsonKind(type))"
        case .valueNotFound(let type, let context):
            return "\(field(context.codingPath)) is null; expected \(Self.jsonKind(type))"
        @unknown default:
            return "the body does not match the expected JSON"
        }
    }

    /// How a Swift type looks in JSON, for messages read by people who write JSON.
    private static func jsonKind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default:
            switch String(describing: type) {
            case let name where name.hasPrefix("Array"): "an array"
            case let name where name.hasPrefix("Dictionary"): "an object"
            case let name: name
            }
        }
    }
}
