/// One JSON object of a document, its members looked up by name: each member's name is compared
/// byte for byte where it lies (no `String` per member), and of a repeated name the last counts
/// (SECURITY.md, "How tokenvault reads"). The one way members are looked up, but for the
/// profiles of a vault payload, which `ProfileFields` reads in the order the writer wrote them
/// (the hot path of opening a vault of many profiles).
struct JSONObject {
    let document: JSONDocument
    let members: [(key: Range<Int>, value: JSONValue)]

    /// `value` as an object of `document`; `nil` when it is not an object.
    init?(_ value: JSONValue, in document: JSONDocument) {
        guard case .object(let members) = value else { return nil }
        self.document = document
        self.members = members
    }

    /// The document's top-level value as an object; `nil` when it is not one.
    init?(root document: JSONDocument) {
        self.init(document.root, in: document)
    }

    /// The value of the last member called `name`; `nil` when there is none.
    subscript(_ name: String) -> JSONValue? {
        var name = name
        return name.withUTF8 { wanted in
            members.last { document.buffer.bytes(in: $0.key).elementsEqual(UnsafeRawBufferPointer(wanted)) }?.value
        }
    }

    /// The string member `name` as text (replacing bytes that are not UTF-8); `nil` when it is
    /// absent or not a string.
    func string(_ name: String) -> String? {
        guard case .string(let range)? = self[name] else { return nil }
        return document.string(range)
    }

    /// The string elements of the array member `name` (other elements skipped); empty when it is
    /// absent or not an array.
    func strings(_ name: String) -> [String] {
        guard case .array(let items)? = self[name] else { return [] }
        return items.compactMap { item in
            if case .string(let range) = item { return document.string(range) }
            return nil
        }
    }

    /// The object member `name`; `nil` when it is absent or not an object.
    func object(_ name: String) -> JSONObject? {
        self[name].flatMap { JSONObject($0, in: document) }
    }

    /// The members whose values are objects, with their names as text, in the order written
    /// (of a repeated name, the last).
    var objectMembers: [(name: String, object: JSONObject)] {
        var seen = Set<String>()
        var result: [(name: String, object: JSONObject)] = []
        for member in members.reversed() {
            let name = document.string(member.key)
            guard seen.insert(name).inserted, let object = JSONObject(member.value, in: document) else { continue }
            result.append((name, object))
        }
        return result.reversed()
    }
}
