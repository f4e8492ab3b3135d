import Foundation

/// What Ferry will use to recognise rows, per table: the schema's keys plus the profile.
/// `ferry profile` prints it; the manifest embeds its profile-file form.
public struct ResolvedProfile: Codable, Sendable {
    public struct Table: Codable, Sendable {
        public var cloudId: String?
        public var primaryKey: [String]
        public var naturalKeys: [[String]]
        public var match: [[String]]
        public var references: [Reference]
        public var skip: [String]
        public var updatedAt: String?
        public var onConflict: ConflictPolicy?
        /// How a row is recognised, in the order Ferry tries: a person's reading of the above.
        public var recognisedBy: [String]
    }

    public var cloudId: String?
    public var exclude: [String]
    public var include: [String]
    public var onConflict: ConflictPolicy?
    public var tables: [String: Table]

    public init(tables definitions: [TableDefinition], profile: Profile) {
        cloudId = profile.cloudId
        exclude = profile.exclude
        include = profile.include
        onConflict = profile.onConflict
        tables = Dictionary(definitions.map { table in
            (table.name, Table(cloudId: table.cloudId, primaryKey: table.primaryKey, naturalKeys: table.matchSets,
                               match: table.fallbackMatchSets, references: table.references, skip: profile.tables[table.name]?.skip ?? [],
                               updatedAt: table.updatedAt, onConflict: profile.tables[table.name]?.onConflict,
                               recognisedBy: Self.recognition(of: table)))
        }, uniquingKeysWith: { a, _ in a })
    }

    /// "cloudId", "natural key (email)", …, or why the table has no identity and what fixes it.
    static func recognition(of table: TableDefinition) -> [String] {
        var steps: [String] = []
        if let cloudId = table.cloudId { steps.append("cloudId column \(cloudId)") }
        for set in table.matchSets {
            let nullable = set.contains { table.column(named: $0)?.notNull != true }
            steps.append("natural key (\(set.joined(separator: ", ")))\(nullable ? ", when none of it is NULL" : "")")
        }
        for key in table.expressionKeys {
            steps.append("unique expression (\(zip(key.columns, key.templates).map { column, template in template.map { ExpressionKey.fill($0, with: column) } ?? column }.joined(separator: ", ")))")
        }
        for set in table.fallbackMatchSets { steps.append("match (\(set.joined(separator: ", "))), when exactly one row matches") }
        if table.identifiedByPrimaryKey {
            let byForeignKeys = table.primaryKey.allSatisfy { table.reference(for: $0) != nil }
            steps.append("primary key (\(table.primaryKey.joined(separator: ", ")))\(byForeignKeys ? ", the parents' identities" : "")")
        }
        if let warning = PrimaryKeyIdentity.warning(for: table) { steps.append("warning: \(warning)") }
        if table.identifiedByWholeRow {
            steps.append("every column: a row equal to a target row in every column is that row; any edit makes it another row. Add a \"match\" line for \(table.name) to a profile file, or give it a cloudId with `ferry prepare --tables \(table.name)`, to follow edits.")
        }
        return steps
    }

    /// The profile-file form (Schemas/profile.schema.json) that reproduces this resolution.
    public var profile: Profile {
        Profile(cloudId: cloudId, tables: tables.mapValues { table in
            Profile.Table(match: table.match.isEmpty ? nil : table.match, skip: table.skip.isEmpty ? nil : table.skip, cloudId: table.cloudId,
                          updatedAt: table.updatedAt, onConflict: table.onConflict)
        }, exclude: exclude, include: include, onConflict: onConflict)
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
