internal import CPostgres

extension PostgresAddress {
    /// The libpq parameters this address sets itself, by keyword, as libpq parses them
    /// (`PQconninfoParse`: a URI's user information, host list and query, or a keyword string),
    /// without libpq's defaults or the PG* environment. A password is never returned: its
    /// keyword maps to an empty value when the address holds one.
    package func parameters() throws(DatabaseFailure) -> [String: String] {
        let api = try PostgresLibrary.api.get()
        var error: UnsafeMutablePointer<CChar>?
        guard let options = api.pointee.conninfo_parse(connectionString, &error) else {
            let reason = error.map { String(cString: $0) } ?? "the address cannot be parsed"
            if let error { api.pointee.freemem(error) }
            throw .refused(PrintableText.clean(reason, limit: 300))
        }
        defer { api.pointee.conninfo_free(options) }
        var parameters: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let name = String(cString: keyword)
                parameters[name] = name == "password" ? "" : String(cString: value)
            }
            option += 1
        }
        return parameters
    }
}
