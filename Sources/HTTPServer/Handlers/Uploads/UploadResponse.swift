/// The `201 Created` answers of `POST /upload`: JSON naming what was stored, with `Location` on the (first) file.
enum UploadResponse {
    /// One stored file as the client sees it.
    struct File {
        let stored: UploadStore.Stored
        /// The file name the client sent, for a form part.
        let original: String?
    }

    /// `{"status":"success","name":…,"filepath":"/uploads/…","size":N}` for a JSON document.
    static func document(_ stored: UploadStore.Stored, mount: String) -> Response {
        let path = url(stored.name, mount: mount)
        let body = "{\"status\":\"success\",\"name\":\(quoted(stored.name)),\"filepath\":\(quoted(path)),"
            + "\"size\":\(stored.size)}\n"
        return created(body, location: path)
    }

    /// `{"status":"success","files":[{"name":…,"filepath":…,"size":N,"original":…}],"fields":{…}}` for a form.
    /// A field sent more than once becomes an array of its values.
    static func form(_ files: [File], fields: [(name: String, value: String)], mount: String) -> Response {
        let entries = files.map { file in
            var entry = "{\"name\":\(quoted(file.stored.name)),\"filepath\":\(quoted(url(file.stored.name, mount: mount))),"
                + "\"size\":\(file.stored.size)"
            if let original = file.original { entry += ",\"original\":\(quoted(original))" }
            return entry + "}"
        }
        var names: [String] = []
        var values: [String: [String]] = [:]
        for (name, value) in fields {
            if values[name] == nil { names.append(name) }
            values[name, default: []].append(value)
        }
        let members = names.map { name in
            let list = values[name] ?? []
            let value = list.count == 1 ? quoted(list[0]) : "[" + list.map(quoted).joined(separator: ",") + "]"
            return "\(quoted(name)):\(value)"
        }
        let body = "{\"status\":\"success\",\"files\":[\(entries.joined(separator: ","))],"
            + "\"fields\":{\(members.joined(separator: ","))}}\n"
        return created(body, location: files.first.map { url($0.stored.name, mount: mount) })
    }

    private static func created(_ body: String, location: String?) -> Response {
        var response = Response(status: .created, contentType: "application/json", text: body)
        if let location { response.headers.add("Location", location) }
        response.headers.add("Cache-Control", "no-store")
        return response
    }

    /// The stored file's URL path, percent-encoded so it works as a link and a `Location`.
    private static func url(_ name: String, mount: String) -> String {
        mount + PercentEncoding.encodePath(name)
    }

    private static func quoted(_ text: String) -> String {
        JSONText.quoted(text)
    }
}
