/// A vault kept in a PostgreSQL database, as `--vault` or `TOKENVAULT_PATH` names it:
///
///     postgresql://app@db.example/app?sslmode=verify-full        a libpq URI (also postgres://)
///     postgresql:host=db.example dbname=app sslmode=verify-full   a libpq keyword string
///     postgresql:                                                 nothing: PGHOST, PGSERVICE, … decide
///
/// Whatever libpq understands works (PGHOST, PGSERVICE, `~/.pgpass`, `sslmode`, several hosts),
/// because the connection string goes to libpq as given, less one parameter of TokenVault's own:
/// `vault=NAME` (a URI query parameter or a keyword) names the vault when several share one
/// database; without it the vault is `default`. Names follow the profile-name rule.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    /// What libpq connects with: the URI or keyword string given, without `vault=`.
    let connectionString: String
    /// The vault's name: its row in `tokenvault_vaults`.
    public let vaultName: String
    /// The address for messages: as given, without a password and without `vault=` when it is
    /// the default.
    public let description: String

    /// The vault name used when the address names none.
    public static let defaultVaultName = "default"

    /// Whether `text` names a PostgreSQL vault (and not a file): it starts with `postgresql:` or
    /// `postgres://`.
    public static func isAddress(_ text: String) -> Bool {
        text.hasPrefix("postgresql:") || text.hasPrefix("postgres://")
    }

    /// Parses `text`, which `isAddress` accepted.
    public init(_ text: String) throws(PostgresAddressError) {
        if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
            try self.init(uri: text)
        } else {
            try self.init(keywords: String(text.dropFirst("postgresql:".count)))
        }
    }

    private init(uri: String) throws(PostgresAddressError) {
        var base = Substring(uri)
        var parameters: [Substring] = []
        if let question = uri.firstIndex(of: "?") {
            base = uri[..<question]
            parameters = uri[uri.index(after: question)...].split(separator: "&", omittingEmptySubsequences: true)
        }
        var name: String?
        var kept: [Substring] = []
        for parameter in parameters {
            let key = parameter.prefix { $0 != "=" }
            if key == "vault" {
                name = String(parameter.dropFirst(key.count + 1))
            } else {
                kept.append(parameter)
            }
        }
        vaultName = try Self.checkedName(name)
        connectionString = String(base) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        let shown = kept.filter { $0.prefix { $0 != "=" } != "password" }
            + (vaultName == Self.defaultVaultName ? [] : ["vault=" + Substring(vaultName)])
        description = Self.withoutPassword(base) + (shown.isEmpty ? "" : "?" + shown.joined(separator: "&"))
    }

    private init(keywords text: String) throws(PostgresAddressError) {
        let pairs = try Self.keywordPairs(text)
        let name = pairs.last { $0.key == "vault" }?.value
        vaultName = try Self.checkedName(name)
        let kept = pairs.filter { $0.key != "vault" }
        connectionString = kept.map { "\($0.key)=\(Self.quoted($0.value))" }.joined(separator: " ")
        let shown = kept.filter { $0.key != "password" }.map { "\($0.key)=\(Self.quoted($0.value))" }
            + (vaultName == Self.defaultVaultName ? [] : ["vault=\(vaultName)"])
        description = "postgresql:" + shown.joined(separator: " ")
    }

    private static func checkedName(_ name: String?) throws(PostgresAddressError) -> String {
        guard let name else { return defaultVaultName }
        guard ProfileName.isValid(name) else { throw .badVaultName(PrintableText.clean(name, limit: 80)) }
        return name
    }

    /// `scheme://user:password@host/…` without `:password`.
    private static func withoutPassword(_ base: Substring) -> String {
        guard let schemeEnd = base.firstRange(of: "://") else { return String(base) }
        let rest = base[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@") else { return String(base) }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return String(base) }
        return String(base[..<colon]) + String(base[at...])
    }

    /// libpq's keyword string: `key = value` pairs separated by blanks; a value is bare (up to a
    /// blank) or single-quoted, with `\` escaping the next character in either.
    static func keywordPairs(_ text: String) throws(PostgresAddressError) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        var characters = Array(text)[...]
        func skipBlanks() { while let first = characters.first, first.isWhitespace { characters.removeFirst() } }
        while true {
            skipBlanks()
            guard !characters.isEmpty else { return pairs }
            let key = String(characters.prefix { !$0.isWhitespace && $0 != "=" })
            characters.removeFirst(key.count)
            skipBlanks()
            guard !key.isEmpty, characters.first == "=" else { throw .badKeywordString("'\(PrintableText.clean(key, limit: 40))' has no '= value'") }
            characters.removeFirst()
            skipBlanks()
            var value = ""
            if characters.first == "'" {
                characters.removeFirst()
                var closed = false
                while let next = characters.popFirst() {
                    if next == "\\", let escaped = characters.popFirst() { value.append(escaped); continue }
                    if next == "'" { closed = true; break }
                    value.append(next)
                }
                guard closed else { throw .badKeywordString("the value of '\(PrintableText.clean(key, limit: 40))' has no closing quote") }
            } else {
                while let next = characters.first, !next.isWhitespace {
                    characters.removeFirst()
                    if next == "\\", let escaped = characters.popFirst() { value.append(escaped); continue }
                    value.append(next)
                }
            }
            pairs.append((key, value))
        }
    }

    private static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { !$0.isWhitespace && $0 != "'" && $0 != "\\" }
        if plain { return value }
        return "'" + value.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }

    public static func == (lhs: PostgresAddress, rhs: PostgresAddress) -> Bool {
        lhs.connectionString == rhs.connectionString && lhs.vaultName == rhs.vaultName
    }
}

/// Why a `postgresql:` vault address cannot be used. Never holds the address itself, which may
/// carry a password.
public enum PostgresAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `vault=` names a vault outside the profile-name rule.
    case badVaultName(String)
    /// The keyword string cannot be parsed; what is wrong with it.
    case badKeywordString(String)

    /// What is wrong, for a person.
    public var description: String {
        switch self {
        case .badVaultName(let name):
            return "the vault name '\(name)' in the PostgreSQL address is not valid (1-64 of A-Z a-z 0-9 - _ ., not starting with '.')"
        case .badKeywordString(let detail):
            return "the PostgreSQL keyword string cannot be read: \(detail)"
        }
    }
}
