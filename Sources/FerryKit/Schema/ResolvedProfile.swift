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
                               updatedAt: table.updatedAt, onConflict: profile.tables[table.name]?.onConflict))
        }, uniquingKeysWith: { a, _ in a })
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
