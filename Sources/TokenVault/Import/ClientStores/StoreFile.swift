import SystemPackage

/// One file of a client's store, read into guarded memory and parsed there.
struct StoreFile {
    let path: FilePath
    let contents: Secret
    let root: JSONObject
    /// The file's modification time: what a relative `expires_in` counts from.
    let modified: UnixTime

    init(_ client: MCPClient, _ path: FilePath) throws {
        (contents, modified) = try Self.readFile(client, path)
        self.path = path
        let document: JSONDocument
        do {
            document = try JSONDocument(copying: contents)
        } catch {
            throw ClientStoreError.unrecognized(client: client, path: path.string, reason: "not JSON (\(error))")
        }
        guard let root = JSONObject(root: document) else {
            throw ClientStoreError.unrecognized(client: client, path: path.string, reason: "not a JSON object")
        }
        self.root = root
    }

    private static func readFile(_ client: MCPClient, _ path: FilePath) throws -> (Secret, UnixTime) {
        do {
            return try SecretReader.readStoreFile(path, limit: 4 * 1024 * 1024)
        } catch .io(_, "open", .noSuchFileOrDirectory) {
            throw ClientStoreError.storeMissing(client: client, path: path.string)
        }
    }

    /// The tokens in `object` (OAuth's snake_case members), a relative `expires_in` counted
    /// from the file's modification time; `nil` when it holds neither token.
    func tokens(_ object: JSONObject, client: MCPClient, at place: String) throws(ClientStoreError) -> (ImportedTokens, countedFrom: UnixTime?)? {
        do {
            let tokens = try ImportedTokens(reading: object, now: modified)
            let relative: Bool
            switch object["expires_in"] {
            case nil, .null?: relative = false
            default: relative = true
            }
            return (tokens, relative ? modified : nil)
        } catch .noTokens {
            return nil
        } catch {
            throw .unrecognized(client: client, path: path.string, reason: "\(place): \(error)")
        }
    }
}
