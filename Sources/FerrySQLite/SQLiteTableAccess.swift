import FerryKit
import CSQLite

/// Row access to one SQLite table. Statements are prepared once per column set and
/// reused for every row (a small cache keyed by the columns' names).
final class SQLiteTableAccess: TableAccess {
    let keyColumns: [String]
    private let database: SQLiteDatabase
    private let table: String
    private var cache: [StatementKey: SQLiteStatement] = [:]
    /// The statement used last for each kind: a caller passes the same column array row after
    /// row, and comparing an array with itself is one pointer check, where the cache's key
    /// hashes every column name.
    private var recent: [StatementKind: (columns: [String], statement: SQLiteStatement)] = [:]

    private enum StatementKind: Hashable {
        case keys(limit: Int, nullsEqual: Bool)
        /// `keys` that also reads the row's `valueColumns` (see `found`).
        case keysWithValues(limit: Int, nullsEqual: Bool)
        case expressionKeys(limit: Int, templates: [String?])
        case values, insert, insertReturning, update, delete
    }

    /// What a cached statement does and to which columns (hashed, never joined into a string per call).
    private struct StatementKey: Hashable {
        let kind: StatementKind
        let columns: [String]
    }

    private let tableName: String

    /// The store's switches and counters (`insertsInSets`); nil for an access made alone.
    private weak var store: SQLiteStore?

    init(database: SQLiteDatabase, table: TableDefinition, store: SQLiteStore? = nil) {
        self.database = database
        self.store = store
        self.table = Identifier.quote(table.name)
        tableName = table.name
        keyColumns = table.primaryKey.isEmpty ? ["rowid"] : table.primaryKey
        keyAffinities = table.primaryKey.isEmpty ? [nil] : table.primaryKey.map { name in SQLiteAffinity(declared: table.column(named: name)?.type ?? "") }
        declaredKeyType = table.primaryKey.count == 1 ? table.column(named: table.primaryKey[0])?.type ?? "" : ""
        keyLimit = table.integerKeyLimit
    }

    /// Whether SQLite stores `value` in a key column of `affinity` exactly as bound
    /// (https://www.sqlite.org/datatype3.html#type_affinity), so `insert` knows the stored
    /// key without asking (`RETURNING` costs SQLite an ephemeral table per statement: a
    /// fifth of an import's applying thread on a narrow schema): a blob always, text in a
    /// TEXT or untyped column, an integer where no conversion to text or real applies, a
    /// real only where it cannot become an integer or text.
    private static func keeps(_ value: Value, _ affinity: SQLiteAffinity) -> Bool {
        switch (value, affinity) {
        case (.blob, _): return true
        case (.text, .text), (.text, .blob): return true
        case (.integer, .integer), (.integer, .numeric), (.integer, .blob): return true
        case (.real, .real), (.real, .blob): return true
        default: return false
        }
    }
    /// The declared type of a one-column key ("" otherwise), and the largest id it holds.
    private let declaredKeyType: String
    private let keyLimit: Int64
    /// Each key column's affinity; nil for the rowid of a table without a declared key.
    private let keyAffinities: [SQLiteAffinity?]
    /// Where each key column sits in the last column list `insert` was given.
    private var keyPositions: (columns: [String], positions: [Int?])?
    /// `insert(_:rows:)`'s statements by their number of rows.
    private var rowSets: [Int: (columns: [String], statement: SQLiteStatement)] = [:]
    private struct SetDiffers: Error {}

    private func statement(_ kind: StatementKind, _ columns: [String], _ make: () -> String) throws -> SQLiteStatement {
        if let last = recent[kind], last.columns == columns {
            last.statement.reset()
            return last.statement
        }
        let cacheKey = StatementKey(kind: kind, columns: columns)
        let statement: SQLiteStatement
        if let cached = cache[cacheKey] {
            cached.reset()
            statement = cached
        } else {
            statement = try database.prepare(make())
            cache[cacheKey] = statement
        }
        recent[kind] = (columns, statement)
        return statement
    }

    private var keySQL: String { keyColumns.map { $0 == "rowid" ? "rowid" : Identifier.quote($0) }.joined(separator: ", ") }

    /// `"a" = ?1 AND "b" = ?2`, numbered from `first` (`IS` when NULL equals NULL).
    private func equality(_ columns: [String], from first: Int, nullsEqual: Bool = false) -> String {
        columns.enumerated().map { index, column in
            "\(column == "rowid" ? "rowid" : Identifier.quote(column)) \(nullsEqual ? "IS" : "=") ?\(first + index)"
        }.joined(separator: " AND ")
    }

    /// The row the last lookup found alone, read with `valueColumns`, and SQLite's count of
    /// changes then. A reconcile reads the row it has just found by its natural key or
    /// cloudId; answering from here saves that statement (a seek into the key's index and
    /// one into the table, and a statement's setup) per record. Any write since, to any
    /// table (a cascade, a trigger, the key map), makes it stale.
    private var found: (key: [Value], values: [Value], changes: Int64)?
    /// The columns `values` was asked for at the row a lookup had just found: what a
    /// lookup reads beside the key. Learnt a few times at most (`learnt`), so callers
    /// asking for other columns cannot make every lookup prepare a new statement.
    private var valueColumns: [String]?
    private var learnt = 0
    /// How many `values` calls the lookup before answered (tests see the saving happen).
    private(set) var rowsReadWithTheirLookup = 0
    private var rowsReadAhead = 0

    func keys(where columns: [String], equal values: [Value], limit: Int, nullsEqual: Bool) throws -> [[Value]] {
        guard let valueColumns else {
            let statement = try statement(.keys(limit: limit, nullsEqual: nullsEqual), columns) {
                "SELECT \(keySQL) FROM \(table) WHERE \(equality(columns, from: 1, nullsEqual: nullsEqual)) LIMIT \(limit)"
            }
            let keys = try collectKeys(statement, values)
            // No columns read yet: `values` at this key learns which to read.
            found = keys.count == 1 ? (keys[0], [], -1) : nil
            return keys
        }
        let statement = try statement(.keysWithValues(limit: limit, nullsEqual: nullsEqual), columns) {
            "SELECT \(keySQL), \(valueColumns.isEmpty ? "1" : Identifier.quoteList(valueColumns)) FROM \(table) WHERE \(equality(columns, from: 1, nullsEqual: nullsEqual)) LIMIT \(limit)"
        }
        var row: [Value] = []
        let keys = try collectKeys(statement, values) { row = valueColumns.indices.map { statement.value(at: self.keyColumns.count + $0) } }
        found = keys.count == 1 ? (keys[0], row, database.totalChanges) : nil
        if keys.count == 1 {
            rowsReadAhead += 1
            // Rows read ahead that nobody asks for cost more than they save: stop reading them.
            if rowsReadAhead == 1_000, rowsReadWithTheirLookup < 500 {
                self.valueColumns = nil
                learnt = .max
            }
        }
        return keys
    }

    /// Binds `values`, steps through every row, and returns each row's key columns;
    /// `firstRow` reads the rest of the first row while it is at hand.
    private func collectKeys(_ statement: SQLiteStatement, _ values: [Value], firstRow: (() -> Void)? = nil) throws -> [[Value]] {
        defer { statement.reset() }
        try statement.bind(values)
        var result: [[Value]] = []
        while try statement.step() {
            result.append((0..<keyColumns.count).map { statement.value(at: $0) })
            if result.count == 1 { firstRow?() }
        }
        return result
    }

    func keys(where key: ExpressionKey, equal values: [Value], limit: Int) throws -> [[Value]] {
        let statement = try statement(.expressionKeys(limit: limit, templates: key.templates), key.columns) {
            // A template is one expression of an index SQLite accepted in this database (a
            // changeset's index ran under the DDL authorizer), split out at its top-level commas.
            let conditions = zip(key.columns, key.templates).enumerated().map { index, part in
                let column = Identifier.quote(part.0)
                guard let template = part.1 else { return "\(column) = ?\(index + 1)" }
                return "(\(ExpressionKey.fill(template, with: column))) = (\(ExpressionKey.fill(template, with: "?\(index + 1)")))"
            }
            return "SELECT \(keySQL) FROM \(table) WHERE \(conditions.joined(separator: " AND ")) LIMIT \(limit)"
        }
        return try collectKeys(statement, values)
    }

    func values(_ columns: [String], at key: [Value]) throws -> [Value]? {
        if let row = found, row.key == key {
            if let valueColumns, columns == valueColumns, row.changes == database.totalChanges {
                rowsReadWithTheirLookup += 1
                return row.values
            }
            if learnt < 4, !columns.isEmpty, columns != valueColumns {
                // The row a lookup just found, asked for with other columns: lookups read these from now on.
                learnt += 1
                valueColumns = columns
                found = nil // read for the columns learnt before (found by a tester)
                cache = cache.filter { if case .keysWithValues = $0.key.kind { return false } else { return true } }
                recent = recent.filter { if case .keysWithValues = $0.key { return false } else { return true } }
            }
        }
        // A table whose every column is in its key (a join table) has no other column to
        // read: the question is only whether the row exists.
        let statement = try statement(.values, columns) {
            "SELECT \(columns.isEmpty ? "1" : Identifier.quoteList(columns)) FROM \(table) WHERE \(equality(keyColumns, from: 1))"
        }
        defer { statement.reset() }
        try statement.bind(key)
        guard try statement.step() else { return nil }
        return columns.indices.map { statement.value(at: $0) }
    }

    func insert(_ columns: [String], _ values: [Value]) throws -> [Value] {
        if let key = try insertKnowingKey(columns, values) { return key }
        let statement = try statement(.insertReturning, columns) {
            "INSERT INTO \(table) (\(Identifier.quoteList(columns))) VALUES (\(columns.indices.map { "?\($0 + 1)" }.joined(separator: ", "))) RETURNING \(keySQL)"
        }
        defer { statement.reset() }
        try statement.bind(values)
        guard try statement.step() else { return [] }
        let key = (0..<keyColumns.count).map { statement.value(at: $0) }
        // RETURNING rows come before the statement completes; finish it so constraints are checked.
        while try statement.step() {}
        return key
    }

    /// Inserts without `RETURNING` when the stored key is known without asking: every key
    /// column is bound to a value its affinity keeps as it is, or the key is the rowid
    /// of a table without a declared key (read back as the last inserted rowid).
    /// nil, having written nothing, when the key must be read back.
    private func insertKnowingKey(_ columns: [String], _ values: [Value]) throws -> [Value]? {
        let positions: [Int?]
        if let last = keyPositions, last.columns == columns {
            positions = last.positions
        } else {
            positions = keyColumns.map { columns.firstIndex(of: $0) }
            keyPositions = (columns, positions)
        }
        var key: [Value] = []
        key.reserveCapacity(keyColumns.count)
        var rowidFromSQLite = false
        for (index, position) in positions.enumerated() {
            let affinity = keyAffinities[index]
            guard let affinity else {
                // A table without a declared key: its rowid is SQLite's to give, unless this
                // insert names it (a replay keeping the hidden row number): then read back.
                guard position == nil else { return nil }
                rowidFromSQLite = true
                continue
            }
            // A declared key left unbound (an alias of the rowid, or a default) is read back.
            guard let position, values[position] != .null, Self.keeps(values[position], affinity) else { return nil }
            key.append(values[position])
        }
        let statement = try statement(.insert, columns) {
            "INSERT INTO \(table) (\(Identifier.quoteList(columns))) VALUES (\(columns.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))"
        }
        defer { statement.reset() }
        try statement.bind(values)
        try statement.step()
        // A schema's `ON CONFLICT IGNORE` skips the row without an error: no key then.
        guard database.changes > 0 else { return [] }
        return rowidFromSQLite ? [.integer(database.lastInsertRowid)] : key
    }

    /// Only where nothing but Ferry's statement writes: a trigger of the table (one the import
    /// did not set aside) would see a set's rows go in together, and a BEFORE trigger could
    /// change a key this access takes as bound.
    var insertsRowsTogether: Bool {
        guard store?.insertsInSets ?? true else { return false }
        return (try? database.rows("SELECT 1 FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE UNION ALL SELECT 1 FROM sqlite_temp_schema WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE", [.text(tableName), .text(tableName)]).isEmpty) ?? false
    }

    var holdsNewRowsForSets: Bool { store?.newRowsInSets ?? false }

    /// One `INSERT … VALUES (…), (…)` for the lot (several past SQLite's limit of bound
    /// parameters), in a savepoint, so the set goes in all or none. Each statement costs
    /// SQLite a VDBE program start and a cursor on each B-tree, paid once for the set
    /// instead of once a row. nil, having written nothing, when SQLite wrote fewer rows than
    /// it was given (a conflict clause of the schema skipped one).
    func insert(_ columns: [String], rows: [[Value]]) throws -> [[Value]]? {
        guard rows.count > 1, !columns.isEmpty, keyAffinities.allSatisfy({ $0 != nil }) else { return nil }
        let positions = keyColumns.compactMap { columns.firstIndex(of: $0) }
        guard positions.count == keyColumns.count else { return nil }
        var keys: [[Value]] = []
        keys.reserveCapacity(rows.count)
        for row in rows {
            var key: [Value] = []
            key.reserveCapacity(positions.count)
            for (index, position) in positions.enumerated() {
                // The key as bound must be the key as stored (`keeps`), else row by row.
                guard row[position] != .null, let affinity = keyAffinities[index], Self.keeps(row[position], affinity) else { return nil }
                key.append(row[position])
            }
            keys.append(key)
        }
        let limit = Int(sqlite3_limit(database.handle, SQLITE_LIMIT_VARIABLE_NUMBER, -1))
        let perStatement = max(1, limit / columns.count)
        let chunks = stride(from: 0, to: rows.count, by: perStatement).map { $0..<min($0 + perStatement, rows.count) }
        func run(_ chunk: Range<Int>) throws {
            let statement: SQLiteStatement
            if let last = rowSets[chunk.count], last.columns == columns {
                statement = last.statement
            } else {
                let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
                statement = try database.prepare("INSERT INTO \(table) (\(Identifier.quoteList(columns))) VALUES " + Array(repeating: tuple, count: chunk.count).joined(separator: ", "))
                // A few sizes recur (a full batch, its halves); a wide table's statement of
                // hundreds of rows is large, so no more are kept.
                if rowSets.count >= 4 { rowSets.removeAll() }
                rowSets[chunk.count] = (columns, statement)
            }
            defer { statement.reset() }
            try statement.bind(all: rows[chunk].joined())
            try statement.step()
            // A row the schema skipped itself (an ON CONFLICT IGNORE clause Ferry did not
            // see): the set is not what the rows one by one would be.
            if database.changes != chunk.count { throw SetDiffers() }
        }
        try database.execute("SAVEPOINT ferry_rows")
        do {
            for chunk in chunks { try run(chunk) }
            try database.execute("RELEASE ferry_rows")
        } catch {
            try database.execute("ROLLBACK TO ferry_rows")
            try database.execute("RELEASE ferry_rows")
            if error is SetDiffers { return nil } // row by row, as without sets
            throw error
        }
        store?.rowsInsertedTogether += rows.count
        return keys
    }

    func update(at key: [Value], _ columns: [String], _ values: [Value], previous: [Value]?) throws {
        guard !columns.isEmpty else { return }
        let statement = try statement(.update, columns) {
            let assignments = columns.enumerated().map { "\(Identifier.quote($1)) = ?\($0 + 1)" }.joined(separator: ", ")
            // No "AND column IS NOT ?" guard: it compares under the column's collation, and
            // under NOCASE 'bob@x.com' IS NOT 'Bob@X.com' is false, so a change of case was
            // reported as applied and never written. The reconciler writes only columns whose
            // bytes differ.
            return "UPDATE \(table) SET \(assignments) WHERE \(equality(keyColumns, from: columns.count + 1))"
        }
        defer { statement.reset() }
        try statement.bind(values + key)
        try statement.step()
    }

    /// A moment of a PostgreSQL `timestamp` (`2024-01-05 10:30:00.123`) bound for a
    /// date-time column whose rows here hold integers (Prisma's SQLite connector keeps a
    /// DateTime as milliseconds) is that count, so an untouched row compares equal and a
    /// changed one is written as this table writes it. Only for a column whose changeset
    /// type is PostgreSQL's (`pg:`) bound for one that is not, so a SQLite value, or
    /// PostgreSQL text kept exactly in SQLite, crosses as it is. (jsonb's spacing needs no
    /// adapting here: PostgreSQL reads jsonb without it, `PostgresTypes.value`.)
    /// A column whose rows spell moments as text (Django, Rails) gets the moment in that
    /// spelling instead (`MomentSpelling`), so `2023-12-01 09:00:00+00` from PostgreSQL
    /// equals Django's `2023-12-01 09:00:00`.
    func adapted(_ row: [Value], columns: [String], sourceTypes: [String], sourceUnits: [Int64?]) throws -> [Value] {
        var row = row
        for (index, form) in try momentPositions(columns, sourceTypes) {
            guard case .text(let bytes) = row[index] else { continue }
            switch form {
            case .count(let unit):
                guard let milliseconds = EpochMilliseconds.parse(String(decoding: bytes, as: UTF8.self)), unit == 1 || milliseconds % 1000 == 0 else { continue } // a fraction a count of seconds cannot hold
                row[index] = .integer(milliseconds / unit)
            case .text(let spelling):
                guard let moment = MomentSpelling.parse(bytes)?.moment, let spelled = spelling.spell(moment) else { continue }
                row[index] = .text(Array(spelled.utf8))
            }
        }
        return row
    }

    /// How a date-time column here keeps moments: counts in a unit, or text in a spelling.
    enum MomentKeeping {
        case count(Int64)
        case text(MomentSpelling)
    }

    /// The positions of PostgreSQL timestamps bound for date-time columns here, with how
    /// each keeps moments (counts in a unit, or text in a spelling), worked out once per
    /// column list (the reconciler passes the same lists for every record of a table).
    private func momentPositions(_ columns: [String], _ sourceTypes: [String]) throws -> [(Int, MomentKeeping)] {
        // Compared in place: the lists are the reconciler's own (the same buffers each
        // record), where a copy of the cached tuple retained and released three arrays a row.
        if lastMomentPositions?.columns == columns, lastMomentPositions?.sourceTypes == sourceTypes, let positions = lastMomentPositions?.positions { return positions }
        var positions: [(Int, MomentKeeping)] = []
        for (index, column) in columns.enumerated() where index < sourceTypes.count {
            guard let source = Self.postgresType(sourceTypes[index]), source.hasPrefix("timestamp") else { continue }
            let here = try declaredType(column)
            guard !here.hasPrefix("PG:"), !here.hasPrefix("PGBLOB:") else { continue }
            if let unit = try epochUnit(column) {
                positions.append((index, .count(unit)))
            } else if let spelling = try momentSpelling(column) {
                positions.append((index, .text(spelling)))
            }
        }
        lastMomentPositions = (columns, sourceTypes, positions)
        return positions
    }
    private var lastMomentPositions: (columns: [String], sourceTypes: [String], positions: [(Int, MomentKeeping)])?

    /// The spelling the text of a date-time column's rows share (up to 200 are read), nil
    /// when they do not share one, hold anything but text, or there are none.
    /// An empty column takes the spelling the database's other date-time columns of text
    /// share (`databaseMomentSpelling`): Django's own `django_migrations.applied` says it.
    private func momentSpelling(_ column: String) throws -> MomentSpelling? {
        guard SQLiteMoments.isMomentType(try declaredType(column)) else { return nil }
        guard let samples = try Self.textMoments(in: column, of: table, database: database, limit: 200) else { return nil }
        return samples.isEmpty ? try databaseMomentSpelling() : MomentSpelling.learn(samples, django: try SQLiteMoments.isMigratedByDjango(database))
    }

    /// Up to `limit` values of a column, nil when one of them is not text.
    private static func textMoments(in column: String, of table: String, database: SQLiteDatabase, limit: Int) throws -> [String]? {
        let name = Identifier.quote(column)
        var samples: [String] = []
        for row in try database.rows("SELECT \(name) FROM \(table) WHERE \(name) IS NOT NULL LIMIT \(limit)") {
            guard case .text(let bytes) = row[0] else { return nil }
            samples.append(String(decoding: bytes, as: UTF8.self))
        }
        return samples
    }

    /// The spelling every date-time column of text in the database shares (up to fifty
    /// values of each), as `databaseEpochUnit` asks: tables named `_…` and columns of
    /// PostgreSQL's types are left out; nil when a column holds anything but text, or
    /// they spell moments apart.
    private func databaseMomentSpelling() throws -> MomentSpelling? {
        if let known = databaseMomentSpellingFound { return known }
        var samples: [String] = [], consistent = true
        for (table, column) in try SQLiteMoments.columns(of: database) {
            guard let found = try Self.textMoments(in: column, of: table, database: database, limit: 50) else { consistent = false; break }
            samples += found
        }
        let spelling = consistent && !samples.isEmpty ? MomentSpelling.learn(samples, django: try SQLiteMoments.isMigratedByDjango(database)) : nil
        databaseMomentSpellingFound = .some(spelling)
        return spelling
    }
    private var databaseMomentSpellingFound: MomentSpelling??

    /// The PostgreSQL type of a changeset's `pg:` / `pgblob:` column type, lowercased (the
    /// marks FerryPostgres gives its own types: `PostgresTypes.sqliteDeclaredType`).
    private static func postgresType(_ declared: String) -> String? {
        for prefix in ["pg:", "pgblob:"] where declared.hasPrefix(prefix) { return declared.dropFirst(prefix.count).lowercased() }
        return nil
    }

    private var declaredTypes: [String: String] = [:]
    private func declaredType(_ column: String) throws -> String {
        if let known = declaredTypes[column] { return known }
        let type = (try database.scalar("SELECT type FROM pragma_table_xinfo(?) WHERE name = ?", [.text(tableName), .text(column)])?.string ?? "").uppercased()
        declaredTypes[column] = type
        return type
    }


    /// For a column declared as a date or time whose rows all hold integers: the count's
    /// unit in milliseconds (1: milliseconds, as Prisma keeps a DateTime; 1000: Unix
    /// seconds), as `SQLiteMoments.unit` tells it from the counts. nil when the column is
    /// no such column, or mixes integers with text:
    /// then nothing is converted, so no row is rewritten into another form. An empty column
    /// says nothing itself: it takes the form the database's other date-time columns agree
    /// on (`databaseEpochUnit`). A Prisma database's new table got the cloud's moments as
    /// text, and its own rows then mixed with them, so every later row crossed as a change.
    private func epochUnit(_ column: String) throws -> Int64? {
        if let known = epochUnits[column] { return known == 0 ? nil : known }
        var unit: Int64?
        if SQLiteMoments.isMomentType(try declaredType(column)) {
            switch try SQLiteMoments.form(of: column, in: table, database: database) {
            case .units(let found)?: unit = found
            case nil: unit = try databaseEpochUnit()
            case .mixed?: unit = nil
            }
        }
        epochUnits[column] = unit ?? 0
        return unit
    }
    /// Each column's `epochUnit`, 0 for none.
    private var epochUnits: [String: Int64] = [:]

    /// The unit every date-time column of the database that holds values keeps its moments
    /// in (up to a thousand values each are read), when they agree on integers of one unit;
    /// nil when any holds text or they disagree. Tables whose names begin with `_` are
    /// bookkeeping (`_prisma_migrations` keeps text, Ferry's own) and are not asked; nor
    /// are columns declared with PostgreSQL's types, which keep its text. When no column
    /// holds a moment yet, a database Prisma migrates (`_prisma_migrations`) keeps them as
    /// its native connector writes a DateTime, in milliseconds; any other keeps what comes.
    private func databaseEpochUnit() throws -> Int64? {
        if let known = databaseEpochUnitFound { return known == 0 ? nil : known }
        var units = Set<Int64>(), mixed = false
        for (table, column) in try SQLiteMoments.columns(of: database) {
            switch try SQLiteMoments.form(of: column, in: table, database: database, limit: 1000) {
            case .units(let unit)?: units.insert(unit)
            case .mixed?: mixed = true
            case nil: break
            }
        }
        var unit = !mixed && units.count == 1 ? units.first : nil
        if !mixed, units.isEmpty, try SQLiteMoments.isMigratedByPrisma(database) { unit = 1 }
        databaseEpochUnitFound = unit ?? 0
        return unit
    }
    private var databaseEpochUnitFound: Int64?

    func freshIntegerKey() throws -> FreshIntegerKey {
        // An INTEGER key of a table with a rowid is the rowid: SQLite hands one out, keeping
        // AUTOINCREMENT's counter. Any other (`INT`, `BIGINT`, a WITHOUT ROWID table's, a
        // type from PostgreSQL) has its own index, named with origin 'pk'.
        let declaresRowid = try database.rows("SELECT count(*) FROM pragma_index_list(?1) WHERE origin = 'pk'", [.text(tableName)]).first?.first == .integer(0)
        if declaresRowid && declaredKeyType.uppercased() == "INTEGER" { return .handedOut }
        let column = Identifier.quote(keyColumns[0])
        return try FreshIntegerKey.after(try database.rows("SELECT max(\(column)) FROM \(table)").first?.first, limit: keyLimit) {
            try database.rows(FreshIntegerKey.firstFreeQuery(column: column, table: table, limit: keyLimit)).first?.first
        }
    }

    func delete(at key: [Value]) throws {
        let statement = try statement(.delete, []) {
            "DELETE FROM \(table) WHERE \(equality(keyColumns, from: 1))"
        }
        defer { statement.reset() }
        try statement.bind(key)
        try statement.step()
    }
}
