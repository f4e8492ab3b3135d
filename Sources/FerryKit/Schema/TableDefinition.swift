/// A column as the changeset describes it.
public struct ColumnDefinition: Codable, Sendable, Equatable {
    public var name: String
    /// The declared type, as written in the schema; empty when the column has none.
    public var type: String
    public var notNull: Bool
    /// 0 when not part of the primary key, else the 1-based position in it.
    public var primaryKey: Int
    /// The default's SQL text, or nil.
    public var `default`: String?
    /// For a date-time column whose values at the source are integer counts since 1970: the
    /// count's unit in milliseconds (1: milliseconds, as Prisma keeps a DateTime; 1000: Unix
    /// seconds), told from the whole column at export. nil for any other column. A store
    /// that keeps moments otherwise (PostgreSQL's timestamp) reads each count by it; alone,
    /// a count's size cannot tell a 1970 moment in milliseconds from one in seconds.
    public var epochUnit: Int64?

    public init(name: String, type: String, notNull: Bool, primaryKey: Int, default: String?, epochUnit: Int64? = nil) {
        self.name = name
        self.type = type
        self.notNull = notNull
        self.primaryKey = primaryKey
        self.default = `default`
        self.epochUnit = epochUnit
    }

    public var affinity: SQLiteAffinity { SQLiteAffinity(declared: type) }
    public var hasIntegerAffinity: Bool { affinity == .integer }
    public var hasTextAffinity: Bool { affinity == .text }

    private enum CodingKeys: String, CodingKey {
        case name, type, notNull, primaryKey, `default`, epochUnit
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(String.self, forKey: .type)
        notNull = try container.decode(Bool.self, forKey: .notNull)
        primaryKey = try container.decode(Int.self, forKey: .primaryKey)
        self.default = try container.decodeIfPresent(String.self, forKey: .default)
        epochUnit = try container.decodeIfPresent(Int64.self, forKey: .epochUnit)
        // A stranger's unit of 0 would turn every moment of the column into 1970.
        if let epochUnit, epochUnit != 1, epochUnit != 1000 {
            throw DecodingError.dataCorruptedError(forKey: .epochUnit, in: container,
                                                   debugDescription: "column \(name): epochUnit is \(epochUnit); a changeset says 1 (milliseconds) or 1000 (seconds), or nothing")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encode(notNull, forKey: .notNull)
        try container.encode(primaryKey, forKey: .primaryKey)
        try container.encode(self.default, forKey: .default) // null, not absent
        try container.encodeIfPresent(epochUnit, forKey: .epochUnit)
    }
}

/// SQLite's affinity of a declared type name
/// (https://www.sqlite.org/datatype3.html#determination_of_column_affinity): INT anywhere
/// makes INTEGER; else CHAR, CLOB or TEXT makes TEXT; else BLOB, or no type at all, makes
/// BLOB (values kept as given); else REAL, FLOA or DOUB makes REAL; else NUMERIC.
public enum SQLiteAffinity: Sendable, Equatable {
    case integer, text, blob, real, numeric

    public init(declared: String) {
        let upper = declared.uppercased()
        if upper.contains("INT") { self = .integer }
        else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") { self = .text }
        else if upper.contains("BLOB") || upper.trimmingCharacters(in: .whitespaces).isEmpty { self = .blob }
        else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") { self = .real }
        else { self = .numeric }
    }
}

/// A foreign key: `columns` of this table point at `to` of `table`.
public struct Reference: Codable, Sendable, Equatable {
    public var columns: [String]
    public var table: String
    public var to: [String]
    public var onDelete: String?
    public var onUpdate: String?

    public init(columns: [String], table: String, to: [String], onDelete: String? = nil, onUpdate: String? = nil) {
        self.columns = columns
        self.table = table
        self.to = to
        self.onDelete = onDelete
        self.onUpdate = onUpdate
    }
}

/// A UNIQUE index over expressions, each of one column: `lower(email)` is the column
/// `email` under the template `lower(•)`, where the placeholder stands for the column, or
/// for a value to compare with it. A plain column part has no template.
public struct ExpressionKey: Sendable, Equatable {
    public var columns: [String]
    public var templates: [String?]
    /// The index's name in its store, when read from one: a collision names it.
    public var index: String?

    /// A control character no SQL text contains outside a literal it was not typed into.
    public static let placeholder = "\u{1}"

    /// The template with its placeholder replaced by `text` (a quoted column, a parameter).
    public static func fill(_ template: String, with text: String) -> String {
        template.replacingOccurrences(of: placeholder, with: text)
    }

    public init(columns: [String], templates: [String?], index: String? = nil) {
        self.columns = columns
        self.templates = templates
        self.index = index
    }
}

/// Everything Ferry knows about a table's shape: columns, keys, references and the SQL that creates it.
public struct TableDefinition: Sendable, Equatable {
    public var name: String
    public var columns: [ColumnDefinition]
    /// Primary-key columns in key order; empty for a rowid table without a declared key.
    public var primaryKey: [String]
    /// The cloudId column, when the table has one.
    public var cloudId: String?
    /// Natural keys: UNIQUE indexes and constraints, in declaration order. Any match is the match.
    public var matchSets: [[String]]
    /// Fallback composites from the profile: used only when exactly one row matches.
    public var fallbackMatchSets: [[String]]
    /// UNIQUE indexes over expressions of columns (`ON person(lower(email))`), matched after
    /// the plain natural keys. Read from the target's own schema at import; not in the manifest.
    public var expressionKeys: [ExpressionKey] = []
    public var references: [Reference]
    public var create: String
    public var indexes: [String]

    public init(name: String, columns: [ColumnDefinition], primaryKey: [String], cloudId: String?, matchSets: [[String]], fallbackMatchSets: [[String]] = [], references: [Reference], create: String, indexes: [String]) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.cloudId = cloudId
        self.matchSets = matchSets
        self.fallbackMatchSets = fallbackMatchSets
        self.references = references
        self.create = create
        self.indexes = indexes
    }

    public var columnNames: [String] { columns.map(\.name) }

    /// True when rows can only be recognised by their primary key: no cloudId, no natural
    /// key, no fallback. Such rows keep their key across stores (the replay case).
    public var identifiedByPrimaryKey: Bool {
        cloudId == nil && matchSets.isEmpty && expressionKeys.isEmpty && fallbackMatchSets.isEmpty && !primaryKey.isEmpty
    }

    /// A table with no key of any kind (no primary key, cloudId, UNIQUE index or `match`):
    /// a log, a list of aliases. A row equal to a target row in every column is that row.
    public var identifiedByWholeRow: Bool {
        primaryKey.isEmpty && cloudId == nil && matchSets.isEmpty && expressionKeys.isEmpty && fallbackMatchSets.isEmpty
    }

    /// Whether some natural key (UNIQUE) has only NOT NULL columns, so every row has an
    /// identity. A key that allows NULL identifies nothing in a row that holds one.
    public var hasCompleteNaturalKey: Bool {
        (matchSets + expressionKeys.map(\.columns)).contains { set in set.allSatisfy { column(named: $0)?.notNull == true } }
    }

    /// Whether some complete natural key holds no foreign key: its values mean the same in
    /// every store. A key such as an order's (customer_id, ref) holds ids, which differ
    /// between stores whose integer keys were handed out independently.
    public var hasPortableNaturalKey: Bool {
        (matchSets + expressionKeys.map(\.columns)).contains { set in
            set.allSatisfy { column(named: $0)?.notNull == true && reference(for: $0) == nil }
        }
    }

    /// A join table: its primary key, or one of its UNIQUE keys, consists of foreign keys
    /// only. Such a row is recognised by the rows it links (resolved to the target's ids),
    /// so it needs no cloudId.
    public var identifiedByForeignKeys: Bool {
        ([primaryKey] + matchSets).contains { set in !set.isEmpty && set.allSatisfy { reference(for: $0) != nil } }
    }

    /// The columns a record's `keys` carries: every natural-key and fallback column, or the
    /// primary key when the table has no other identity.
    public var identityColumns: [String] {
        if identifiedByPrimaryKey { return primaryKey }
        var seen = Set<String>()
        return (matchSets + expressionKeys.map(\.columns) + fallbackMatchSets).joined().filter { seen.insert($0).inserted }
    }

    /// The reference whose columns include `column`, if any.
    public func reference(for column: String) -> Reference? {
        references.first { $0.columns.contains(column) }
    }

    /// The schema resolves a colliding insert itself (SQLite's `ON CONFLICT REPLACE`).
    public var resolvesConflictsItself = false

    /// Whether a UNIQUE index covers the cloudId column alone, so a duplicate cloudId fails an insert.
    public var cloudIdIsUnique = false

    /// The column `newer-wins` compares: named in the profile, or updatedAt / updated_at.
    public var updatedAt: String?

    /// A single primary key of an integer type: a local id (SQLite's rowid, a serial, an
    /// identity, Django's and Rails' `id`), which says nothing across stores. A row whose id
    /// another row here holds is given a new one (`TableAccess.freshIntegerKey`).
    public var hasIntegerPrimaryKey: Bool {
        guard primaryKey.count == 1, let type = column(named: primaryKey[0])?.type else { return false }
        var name = type.lowercased().trimmingCharacters(in: .whitespaces)
        // A type PostgreSQL declared (`pg:integer`; ` identity` marks a sequence's column).
        for prefix in ["pg:", "pgblob:"] where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
        if name.hasSuffix(" identity") { name.removeLast(" identity".count) }
        return Self.integerTypes.contains(name)
    }
    /// The largest id the one integer key column's type holds.
    public var integerKeyLimit: Int64 {
        guard let type = primaryKey.first.flatMap({ column(named: $0)?.type }) else { return .max }
        var name = type.lowercased().trimmingCharacters(in: .whitespaces)
        for prefix in ["pg:", "pgblob:"] where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
        if name.hasSuffix(" identity") { name.removeLast(" identity".count) }
        // PostgreSQL's ranges; SQLite's INTEGER holds 64 bits whatever its name.
        guard type.lowercased().hasPrefix("pg") else { return .max }
        switch name {
        case "smallint", "int2", "smallserial", "serial2": return Int64(Int16.max)
        case "integer", "int", "int4", "serial", "serial4": return Int64(Int32.max)
        default: return .max
        }
    }

    /// Type names whose every value is an integer, in SQLite's and PostgreSQL's spellings.
    /// (SQLite's affinity rule would take `interval` and `point` for integers too.)
    static let integerTypes: Set<String> = [
        "integer", "int", "bigint", "smallint", "tinyint", "mediumint", "int2", "int4", "int8",
        "unsigned big int", "big int", "serial", "bigserial", "smallserial", "serial2", "serial4", "serial8",
    ]

    public func column(named name: String) -> ColumnDefinition? {
        columns.first { $0.name == name }
    }

    /// Whether every one of `columns` may hold NULL (none NOT NULL, none in the primary key).
    func allowsNull(_ columns: [String]) -> Bool {
        columns.allSatisfy { column(named: $0).map { !$0.notNull && $0.primaryKey == 0 } ?? false }
    }
}
