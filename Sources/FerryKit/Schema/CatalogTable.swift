/// A table as a store's catalog describes it, before any profile: what every store reads
/// from its own catalog (SQLite's pragmas, PostgreSQL's pg_catalog). The profile is applied
/// here, once for every store (`definition(profile:)`).
public struct CatalogTable: Sendable, Equatable {
    public var name: String
    /// Every column a row is written with, in table order (generated columns left out).
    public var columns: [ColumnDefinition]
    /// UNIQUE keys over plain columns, in declaration order (a primary key may repeat here).
    public var uniqueKeys: [[String]]
    /// UNIQUE keys over expressions of one column each (`lower(email)`).
    public var expressionKeys: [ExpressionKey]
    public var references: [Reference]
    /// The statements that create the table and its indexes in a store of the same kind.
    public var create: String
    public var indexes: [String]
    /// The schema resolves a colliding insert itself (SQLite's `ON CONFLICT REPLACE`), so
    /// an insert that succeeds proves no absence of a collision.
    public var resolvesConflictsItself: Bool

    public init(name: String, columns: [ColumnDefinition], uniqueKeys: [[String]], expressionKeys: [ExpressionKey], references: [Reference],
                create: String, indexes: [String], resolvesConflictsItself: Bool = false) {
        self.name = name
        self.columns = columns
        self.uniqueKeys = uniqueKeys
        self.expressionKeys = expressionKeys
        self.references = references
        self.create = create
        self.indexes = indexes
        self.resolvesConflictsItself = resolvesConflictsItself
    }

    /// The table as Ferry matches it under `profile`: skipped columns gone, the cloudId
    /// column chosen, natural keys and fallback composites, the `updatedAt` column.
    public func definition(profile: Profile) throws -> TableDefinition {
        let tableProfile = profile.tables[name]
        let skip = Set(tableProfile?.skip ?? [])
        let columns = columns.filter { !skip.contains($0.name) }
        let primaryKey = columns.filter { $0.primaryKey > 0 }.sorted { $0.primaryKey < $1.primaryKey }.map(\.name)
        let cloudId = Self.cloudIdColumn(in: columns, table: name, profile: profile)

        var matchSets: [[String]] = []
        for key in uniqueKeys {
            // The cloudId index is the first step of matching already; the primary key never matches across stores.
            if key == primaryKey || key == [cloudId] { continue }
            if key.contains(where: { skip.contains($0) }) { continue }
            if !matchSets.contains(key) { matchSets.append(key) }
        }
        var fallbacks: [[String]] = []
        // A composite that repeats a natural key whose columns may be NULL stays a fallback:
        // the key identifies nothing where a NULL is, the composite (NULL equals NULL) does.
        let completeKeys = matchSets.filter { set in set.allSatisfy { name in columns.first { $0.name == name }?.notNull == true } }.map(Set.init)
        for composite in tableProfile?.match ?? [] where !completeKeys.contains(Set(composite)) && !fallbacks.contains(composite) {
            for column in composite where !columns.contains(where: { $0.name == column }) {
                throw FerryError(.usage, "profile: table \(name) has no column \"\(column)\" for its match set \(composite). Fix the profile's \"match\" for \(name).")
            }
            fallbacks.append(composite)
        }

        var definition = TableDefinition(name: name, columns: columns, primaryKey: primaryKey, cloudId: cloudId, matchSets: matchSets,
                                         fallbackMatchSets: fallbacks, references: references, create: create, indexes: indexes)
        definition.expressionKeys = expressionKeys.filter { !$0.columns.contains(where: skip.contains) }
        definition.cloudIdIsUnique = cloudId.map { uniqueKeys.contains([$0]) } ?? false
        definition.resolvesConflictsItself = resolvesConflictsItself
        if let named = tableProfile?.updatedAt {
            guard columns.contains(where: { $0.name == named }) else {
                throw FerryError(.usage, "profile: table \(name) has no column \"\(named)\" for \"updatedAt\". Fix the profile.")
            }
            definition.updatedAt = named
        } else {
            definition.updatedAt = columns.first { ["updatedat", "updated_at"].contains($0.name.lowercased()) }?.name
        }
        return definition
    }

    private static func cloudIdColumn(in columns: [ColumnDefinition], table: String, profile: Profile) -> String? {
        let wanted = profile.tables[table]?.cloudId ?? profile.cloudId
        let candidates = wanted.map { [$0] } ?? ["cloudId", "cloud_id"]
        for candidate in candidates {
            // Column names compare without case in SQLite, and a profile is typed by hand.
            if let column = columns.first(where: { $0.name.lowercased() == candidate.lowercased() }) { return column.name }
        }
        return nil
    }
}

extension Store {
    /// User tables (no store-internal or `_ferry_*` ones) with their keys and references,
    /// under `profile`.
    public func tables(profile: Profile) throws -> [TableDefinition] {
        let catalog = try catalog().filter { !profile.excludes($0.name) }
        // Columns are checked where a table is used (`UnicodeNames.refuseLookalikeColumns`):
        // `--tables other` is no business of a table it leaves out.
        try UnicodeNames.refuseLookalikes(catalog.map(\.name), what: "tables", place: displayName)
        let definitions = try catalog.map { try $0.definition(profile: profile) }
        return Self.resolvingImplicitReferenceTargets(definitions)
    }

    /// `REFERENCES parent` without columns means the parent's primary key; spell it out.
    private static func resolvingImplicitReferenceTargets(_ tables: [TableDefinition]) -> [TableDefinition] {
        let keys = Dictionary(tables.map { ($0.name.lowercased(), $0.primaryKey) }, uniquingKeysWith: { a, _ in a })
        return tables.map { table in
            var table = table
            table.references = table.references.map { reference in
                var reference = reference
                if reference.to.contains(""), let parentKey = keys[reference.table.lowercased()], parentKey.count == reference.columns.count {
                    reference.to = parentKey
                }
                return reference
            }
            return table
        }
    }
}
