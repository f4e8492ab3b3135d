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

    /// A key column of the parent that is itself a foreign key holds the source's raw id of
    /// the grandparent: the source row's id, which means another row (or none) here. It is
    /// translated to the target's id (the key map, or the same id where keys are kept), or
    /// left out when that is unknown, so a key holding it matches nothing rather than the
    /// wrong row.
    typealias TranslateKey = (_ reference: Reference, _ raw: [Value]) throws -> [Value]?
    /// The live row the sync book knows by a cloudId (one the application inserted after
    /// `prepare`, whose cloudId column is NULL).
    typealias BookKey = (_ cloudId: Value) throws -> [Value]?
    private let translate: TranslateKey?
    private let bookKey: BookKey?

    init(parent: TableDefinition, access: TableAccess, translate: TranslateKey? = nil, bookKey: BookKey? = nil) {
        matcher = IdentityMatcher(table: parent, access: access)
        self.access = access
        self.translate = translate
        self.bookKey = bookKey
    }

    /// The identity's key values in target terms, foreign-key columns translated or left out.
    private func targetKeys(_ identity: Record.ReferenceIdentity) throws -> [String: Value] {
        var keys = Dictionary(identity.keys, uniquingKeysWith: { a, _ in a })
        guard let translate else { return keys }
        for reference in matcher.table.references where reference.columns.allSatisfy({ keys[$0] != nil }) {
            let raw = reference.columns.map { keys[$0]! }
            if raw.contains(where: \.isNull) { continue }
            if let translated = try translate(reference, raw) {
                for (column, value) in zip(reference.columns, translated) { keys[column] = value }
            } else {
                for column in reference.columns { keys[column] = nil }
            }
        }
        return keys
    }

    /// The values of the parent's `to` columns in the target.
    func resolve(_ identity: Record.ReferenceIdentity, to columns: [String]) throws -> Resolution {
        let cacheKey = CacheKey(identity: identity, columns: columns)
        if let cached = cache[cacheKey] { return .resolved(cached) }
        // A cloudId first: the column, then the book (a row whose cloudId only the book
        // holds), and only then the keys, which may hold the source's ids.
        var match = IdentityMatcher.Match.none
        if !identity.cloudId.isNull {
            match = try matcher.match(cloudId: identity.cloudId, checkDrift: false, fromReference: true) { _ in nil }
            if case .none = match, let key = try bookKey?(identity.cloudId) { match = .found(key: key) }
        }
        if case .none = match {
            let keys = try targetKeys(identity)
            match = try matcher.match(cloudId: .null, checkDrift: false, fromReference: true) { keys[$0] }
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
