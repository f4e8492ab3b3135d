/// How to recognise rows, per table: derived from the schema, extended by a profile file.
public struct Profile: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        /// Fallback composites, tried after cloudId and natural keys.
        public var match: [[String]]?
        /// Columns never exported nor compared.
        public var skip: [String]?
        /// Overrides the profile's cloudId column name for this table.
        public var cloudId: String?
        /// The column `newer-wins` compares (detected as updatedAt / updated_at when nil).
        public var updatedAt: String?
        /// This table's conflict policy, over the import's `--on-conflict`.
        public var onConflict: ConflictPolicy?
        /// Columns an export redacts: column → rule (`null`, `drop`, `mask`, `hash`), as `--redact` does.
        public var redact: [String: String]?

        public init(match: [[String]]? = nil, skip: [String]? = nil, cloudId: String? = nil, updatedAt: String? = nil, onConflict: ConflictPolicy? = nil) {
            self.match = match
            self.skip = skip
            self.cloudId = cloudId
            self.updatedAt = updatedAt
            self.onConflict = onConflict
        }
    }

    /// The cloudId column name; `cloudId` and `cloud_id` are detected when nil.
    public var cloudId: String?
    public var tables: [String: Table]
    public var exclude: [String]
    /// Tables Ferry leaves out by default (`bookkeepingTables`) that are to be synced all the same.
    public var include: [String]
    /// The conflict policy of tables that name none.
    public var onConflict: ConflictPolicy?

    /// Frameworks' migration bookkeeping: each database keeps its own record of the
    /// migrations run on it, so these are never synced unless the profile's `include` (or
    /// `export --tables`) names them. `sqlite_*` tables (sqlite_stat1, …) are never synced.
    public static let bookkeepingTables: Set<String> = [
        "_prisma_migrations", "django_migrations", "schema_migrations", "ar_internal_metadata", "alembic_version",
        "knex_migrations", "knex_migrations_lock", "__efmigrationshistory", "flyway_schema_history", "goose_db_version",
    ]

    public init(cloudId: String? = nil, tables: [String: Table] = [:], exclude: [String] = [], include: [String] = [], onConflict: ConflictPolicy? = nil) {
        self.cloudId = cloudId
        self.tables = tables
        self.exclude = exclude
        self.include = include
        self.onConflict = onConflict
    }

    /// Whether `table` is left out: excluded by name, or bookkeeping not included. Names
    /// match in any case, as Ferry matches table names everywhere else (SQLite's `X` is
    /// `x`; an exclude of `x` let `X` through).
    public func excludes(_ table: String) -> Bool {
        let name = table.lowercased()
        return exclude.contains { $0.lowercased() == name } || (Self.bookkeepingTables.contains(name) && !include.contains { $0.lowercased() == name })
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cloudId = try container.decodeIfPresent(String.self, forKey: .cloudId)
        tables = try container.decodeIfPresent([String: Table].self, forKey: .tables) ?? [:]
        exclude = try container.decodeIfPresent([String].self, forKey: .exclude) ?? []
        include = try container.decodeIfPresent([String].self, forKey: .include) ?? []
        onConflict = try container.decodeIfPresent(ConflictPolicy.self, forKey: .onConflict)
    }

    public static let empty = Profile()
}

/// What import does with a row changed on both sides since they last exchanged it.
public enum ConflictPolicy: String, Codable, Sendable, CaseIterable {
    /// The target keeps its version; the conflict is recorded (exit 3) to settle later.
    case `defer`
    case sourceWins = "source-wins"
    case targetWins = "target-wins"
    /// The side whose updatedAt column is later wins.
    case newerWins = "newer-wins"
    /// Roll back the whole import.
    case abort
}
