/// Resolves the identity a record carries for a foreign key (`refs`) to the target's own
/// key values of the referenced row.
final class ReferenceResolver {
    enum Resolution {
        case resolved([Value])
        case unresolved
        case ambiguous(String)
    }

    private let matcher: IdentityMatcher
    private let access: TableAccess
    /// Keyed by the identity and the columns asked for: one parent table can be referenced
    /// by its key from one child and by a UNIQUE column from another (player.team_id →
    /// team.id, sponsor.team_code → team.code), and each must get its own values.
    private var cache: [CacheKey: [Value]] = [:]
    private struct CacheKey: Hashable {
        let identity: Record.ReferenceIdentity
        let columns: [String]
    }
    /// Bounded so memory stays flat however many distinct parents a table points at.
    private static let cacheLimit = 10_000

    init(parent: TableDefinition, access: TableAccess) {
        matcher = IdentityMatcher(table: parent, access: access)
        self.access = access
    }

    /// The values of the parent's `to` columns in the target.
    func resolve(_ identity: Record.ReferenceIdentity, to columns: [String]) throws -> Resolution {
        let cacheKey = CacheKey(identity: identity, columns: columns)
        if let cached = cache[cacheKey] { return .resolved(cached) }
        let match = try matcher.match(cloudId: identity.cloudId, checkDrift: false, fromReference: true) { column in
            identity.keys.first { $0.0 == column }?.1
        }
        switch match {
        case .found(let key):
            let values = columns == access.keyColumns ? key : try access.values(columns, at: key)
            guard let values else { return .unresolved }
            if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[cacheKey] = values
            return .resolved(values)
        case .ambiguous(let set, let count):
            return .ambiguous("\(count)+ rows of \(matcher.table.name) match (\(set.joined(separator: ", ")))")
        case .drift, .none:
            return .unresolved
        }
    }
}

extension Record.ReferenceIdentity: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(table)
        hasher.combine(cloudId)
        for (key, value) in keys {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}
