#if canImport(Glibc)
import Glibc
#endif

/// Who may ask the agent for which profiles: `--allow WHO:PROFILE[,PROFILE…]`, where WHO is a
/// user name or uid, or `@` and a group name or gid, and `*` stands for every profile. Names are
/// looked up once, when the list is made. A peer is allowed a profile when an entry names its uid,
/// its primary gid (from `SO_PEERCRED`) or a group the user database lists its user in.
public struct AgentAllowList: Sendable {
    enum Who: Sendable, Equatable {
        case user(uid_t)
        case group(gid_t)
    }

    struct Entry: Sendable {
        let who: Who
        /// `nil`: every profile.
        let profiles: Set<String>?
    }

    let entries: [Entry]

    /// Parses each `--allow` value.
    public init(_ values: [String]) throws(AgentError) {
        entries = try values.map { value throws(AgentError) in try Self.entry(value) }
    }

    private static func entry(_ value: String) throws(AgentError) -> Entry {
        guard let colon = value.firstIndex(of: ":") else {
            throw .badAllowEntry(entry: value, reason: "expected USER:PROFILE[,PROFILE…] or @GROUP:PROFILE[,PROFILE…]")
        }
        let whoText = String(value[..<colon])
        let names = value[value.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !names.isEmpty, names.allSatisfy({ $0 == "*" || ProfileName.isValid($0) }) else {
            throw .badAllowEntry(entry: value, reason: "each profile must be a profile name or *")
        }
        let profiles: Set<String>? = names.contains("*") ? nil : Set(names)
        if whoText.hasPrefix("@") {
            let group = String(whoText.dropFirst())
            if let gid = gid_t(group) { return Entry(who: .group(gid), profiles: profiles) }
            guard let found = getgrnam(group) else { throw .badAllowEntry(entry: value, reason: "no group '\(group)'") }
            return Entry(who: .group(found.pointee.gr_gid), profiles: profiles)
        }
        if let uid = uid_t(whoText) { return Entry(who: .user(uid), profiles: profiles) }
        guard !whoText.isEmpty, let found = getpwnam(whoText) else {
            throw .badAllowEntry(entry: value, reason: "no user '\(whoText)'")
        }
        return Entry(who: .user(found.pointee.pw_uid), profiles: profiles)
    }

    /// Whether the peer may read `profile`.
    func allows(_ peer: PeerCredentials, profile: String) -> Bool {
        let matching = entries.filter { $0.profiles?.contains(profile) ?? true }
        if matching.contains(where: { $0.who == .user(peer.uid) || $0.who == .group(peer.gid) }) { return true }
        let groups = matching.compactMap { entry -> gid_t? in
            if case .group(let gid) = entry.who { return gid }
            return nil
        }
        guard !groups.isEmpty else { return false }
        let memberships = Self.groups(of: peer)
        return groups.contains { memberships.contains($0) }
    }

    /// The groups the user database lists the peer's user in.
    private static func groups(of peer: PeerCredentials) -> Set<gid_t> {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var text = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwuid_r(peer.uid, &entry, &text, text.count, &result) == 0, result != nil else { return [] }
        var count: Int32 = 256
        var groups = [gid_t](repeating: 0, count: Int(count))
        guard getgrouplist(entry.pw_name, peer.gid, &groups, &count) >= 0 else { return [] }
        return Set(groups.prefix(Int(count)))
    }

    /// The profiles named in the list (without `*`), for refreshing ahead of expiry.
    var namedProfiles: Set<String> {
        entries.reduce(into: Set<String>()) { $0.formUnion($1.profiles ?? []) }
    }
}
