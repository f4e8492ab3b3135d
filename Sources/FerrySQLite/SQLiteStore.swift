import FerryKit
import CSQLite
import Foundation

/// The SQLite store: a file on disk, through the C API.
public final class SQLiteStore: Store {
    /// Off: every row of a table filled by inserts first goes in alone (the tests compare
    /// both ways).
    package var insertsInSets = true
    /// New rows of a table that was not empty held for a set too: off, as SQLite pays no
    /// round trip a statement and the holding costs more than the statement starts it saves
    /// (3.71–4.27 s held against 3.24–3.61 s alone, 75,000 new rows among 75,110 matched).
    /// The tests turn it on to run the importer's rules for holding them on SQLite as well.
    package var newRowsInSets = false
    /// Rows inserted a set at a time (`TableAccess.insert(_:rows:)`), for the tests.
    package var rowsInsertedTogether = 0
    /// Tables `foreignKeyViolations` scanned (tests: which checks an import ran).
    package var foreignKeyChecks = 0
    /// Scratch indexes an import added (`addLookupIndex`), for tests.
    package var lookupIndexesAdded = 0
    public let database: SQLiteDatabase
    public var kind: String { "sqlite" }
    public var displayName: String { (database.path as NSString).lastPathComponent }
    public var filePath: String? { database.path.isEmpty || database.path == ":memory:" ? nil : database.path }

    /// Run once when this store goes: a snapshot reader gives its cache budget back here.
    private var onRelease: (() -> Void)?
    /// Per table whose stamps `suspendRowStampingTriggers` dropped: the triggers after the
    /// first of them still there (dropped again first), and every trigger from that first
    /// one on, in order, to make again (`restoreTriggers`).
    var suspendedTriggers: [(dropFirst: [String], create: [String])] = []

    public init(path: String, mode: SQLiteDatabase.Mode) throws {
        database = try SQLiteDatabase(path: path, mode: mode)
    }

    deinit { onRelease?() }

    public func tableExists(_ name: String) throws -> Bool {
        try database.scalar("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", [.text(name)]) != nil
    }

    /// SQLite finds a table by its name in any case (`roles` is `Roles`): the name as the file spells it.
    public func tableName(matching name: String) throws -> String? {
        try database.scalar("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE ORDER BY name = ? DESC LIMIT 1",
                            [.text(name), .text(name)])?.string
    }

    public func rowCount(_ table: String) throws -> Int {
        guard case .integer(let count)? = try database.scalar("SELECT count(*) FROM \(Identifier.quote(table))") else { return 0 }
        return Int(count)
    }

    public func isEmpty(_ table: String) throws -> Bool {
        try database.scalar("SELECT 1 FROM \(Identifier.quote(table)) LIMIT 1") == nil
    }

    public func withReadSnapshot<T>(_ body: () throws -> T) throws -> T {
        try database.execute("BEGIN DEFERRED")
        defer { try? database.execute("COMMIT") }
        // A deferred transaction takes its snapshot at the first read; read now so it is taken here.
        _ = try database.scalar("SELECT count(*) FROM sqlite_schema")
        return try body()
    }

    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        try database.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try database.execute("COMMIT")
            return result
        } catch {
            if database.isInTransaction { try? database.execute("ROLLBACK") }
            suspendedTriggers = [] // the roll-back brought them back
            throw error
        }
    }

    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], _ body: (RowCursor) throws -> Void) throws {
        try scan(table, columns: columns, joining: references, where: "", body)
    }

    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], within positions: ClosedRange<Int64>,
                     _ body: (RowCursor) throws -> Void) throws {
        guard let rowid = Self.rowidAlias(of: table) else {
            throw FerryError(.schema, "table \(table.name) has no rowid alias free (its columns take _rowid_, rowid and oid), so it cannot be scanned by position.")
        }
        try scan(table, columns: columns, joining: references, where: " WHERE t.\(rowid) BETWEEN \(positions.lowerBound) AND \(positions.upperBound)", body)
    }

    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], withBookEntriesOf bookTable: Int64,
                     _ body: (RowCursor) throws -> Void) throws {
        try scan(table, columns: columns, joining: references, where: "", bookTable: bookTable, body)
    }

    private func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], where filter: String,
                      bookTable: Int64? = nil, _ body: (RowCursor) throws -> Void) throws {
        var (select, joins) = ReferenceJoin.scanSQL(columns: columns, joining: references, table: Identifier.quote)
        if let bookTable, !table.primaryKey.isEmpty {
            // The book keeps a one-column key of an integer or plain text as the value itself,
            // any other as the JSON array of its values (BookPacking), which json_array writes
            // alike for integers and plain text. A BLOB key (which json_array refuses) or a
            // value written otherwise finds nothing here, and the caller asks the book itself.
            // `+` drops the column's affinity: the comparison is then the book's (none), and
            // SQLite seeks its key instead of scanning the book for every row.
            let key = table.primaryKey.count == 1 ? "+t.\(Identifier.quote(table.primaryKey[0]))"
                : "CAST(json_array(" + table.primaryKey.map { "iif(typeof(t.\(Identifier.quote($0))) = 'blob', NULL, t.\(Identifier.quote($0)))" }.joined(separator: ", ") + ") AS BLOB)"
            select += ["b.hash", "b.seq", "b.fingerprint"]
            joins += " LEFT JOIN _ferry_rows AS b ON b.tableId = \(bookTable) AND b.rowKey = \(key) AND b.deleted = 0"
        }
        let statement = try database.prepare("SELECT \(select.joined(separator: ", ")) FROM \(Identifier.quote(table.name)) AS t\(joins)\(filter)")
        let cursor = SQLiteRowCursor(statement: statement)
        while try statement.step() {
            try body(cursor)
        }
    }

    public func hiddenRowKey(of table: TableDefinition) -> String? {
        table.primaryKey.isEmpty ? Self.rowidAlias(of: table) : nil
    }

    /// The first of SQLite's names for the rowid that no column of `table` takes.
    static func rowidAlias(of table: TableDefinition) -> String? {
        let taken = Set(table.columnNames.map { $0.lowercased() })
        return ["_rowid_", "rowid", "oid"].first { !taken.contains($0) }
    }

    public func scanPositions(of table: TableDefinition) throws -> ClosedRange<Int64>? {
        guard let rowid = Self.rowidAlias(of: table) else { return nil }
        // A WITHOUT ROWID table refuses the alias at prepare: it is scanned whole instead.
        guard let statement = try? database.prepare("SELECT min(\(rowid)), max(\(rowid)) FROM \(Identifier.quote(table.name))"),
              try statement.step(),
              case .integer(let first) = statement.value(at: 0), case .integer(let last) = statement.value(at: 1) else { return nil }
        return first...last
    }

    public func openSnapshotReader() throws -> Store? {
        // Two connections read one snapshot only if no commit can land between their first
        // reads. With a rollback journal, this connection's shared lock holds every commit
        // off. In WAL mode a writer commits past it, and pinning the snapshot needs
        // sqlite3_snapshot_open, which Debian's SQLite is built without.
        guard database.isInTransaction, !database.path.isEmpty, database.path != ":memory:",
              try database.scalar("PRAGMA journal_mode")?.string?.lowercased() != "wal" else { return nil }
        let reader = try SQLiteStore(path: database.path, mode: .readOnly)
        reader.database.setBusyTimeout(milliseconds: 0)
        // The two connections share the one page cache's budget, so peak memory stays put;
        // this connection has its whole cache back once the reader is gone.
        let half = SQLiteDatabase.mainCacheSize / 2
        try database.execute("PRAGMA main.cache_size = \(half)")
        try reader.database.execute("PRAGMA main.cache_size = \(half)")
        reader.onRelease = { [database] in try? database.execute("PRAGMA main.cache_size = \(SQLiteDatabase.mainCacheSize)") }
        do {
            try reader.database.execute("BEGIN DEFERRED")
            _ = try reader.database.scalar("SELECT count(*) FROM sqlite_schema")
        } catch {
            // A writer is waiting to commit (its pending lock refuses new readers): one
            // connection scans alone rather than wait on it.
            return nil
        }
        return reader
    }

    public func hasIndex(on table: String, startingWith columns: [String]) throws -> Bool {
        let wanted = Set(columns.map { $0.lowercased() })
        for row in try database.rows("SELECT name FROM pragma_index_list(?) WHERE partial = 0", [.text(table)]) {
            guard let index = row[0].string else { continue }
            let indexed = try database.rows("SELECT name FROM pragma_index_info(?) ORDER BY seqno", [.text(index)]).map { $0[0].string?.lowercased() }
            if indexed.count >= columns.count, Set(indexed.prefix(columns.count).compactMap { $0 }) == wanted { return true }
        }
        return false
    }

    public func addLookupIndex(on table: String, columns: [String]) throws -> String? {
        if try hasIndex(on: table, startingWith: columns) { return nil }
        let name = "_ferry_lookup_" + UUID().uuidString.prefix(8).lowercased()
        try database.execute("CREATE INDEX \(Identifier.quote(name)) ON \(Identifier.quote(table)) (\(Identifier.quoteList(columns)))")
        lookupIndexesAdded += 1
        return name
    }

    public var addsLookupIndexesWhileImporting: Bool { true }

    public func dropLookupIndex(_ name: String) throws {
        try database.execute("DROP INDEX \(Identifier.quote(name))")
    }

    public func foreignKeyViolations(in table: String) throws -> ForeignKeyViolations {
        foreignKeyChecks += 1
        let statement = try database.prepare("SELECT \"table\", rowid, parent, fkid FROM pragma_foreign_key_check(?)")
        try statement.bind([.text(table)])
        var violations = ForeignKeyViolations()
        while try statement.step() {
            violations.add("row \(statement.value(at: 1)) of \(table) points at a missing row of \(statement.value(at: 2).string ?? "?")")
        }
        return violations
    }

    /// Any trigger at all: the import writes Ferry's own tables too (the book), and a trigger
    /// there fires as well (found by a tester).
    public func hasTriggers() throws -> Bool {
        try database.scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'") != .integer(0)
    }

    /// SQLite enforces no foreign key on a connection that did not ask (Ferry never does):
    /// the import checks them itself at the end (`foreignKeyViolations`).
    public func checksReferenceAtCommit(_ reference: Reference, of table: String) throws -> Bool {
        try database.scalar("PRAGMA foreign_keys") == .integer(0)
    }

    public func makeTableAccess(_ table: TableDefinition) throws -> TableAccess {
        SQLiteTableAccess(database: database, table: table, store: self)
    }

    public func syncBook(create: Bool) throws -> SyncBook? {
        if create { try database.execute(SQLiteSyncBook.createSQL) }
        return try SQLiteSyncBook.open(database)
    }

    /// Opens a database that must already exist: a wrong --db path is a clear error, not an
    /// empty database created by accident (SQLite's read-write open would create one).
    public static func existing(path: String, mode: SQLiteDatabase.Mode) throws -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FerryError(.io, "no database at \(path). Check the --db path.")
        }
        try SQLiteDatabase.checkIsFile(path)
        if mode != .readOnly { try SQLiteDatabase.checkWritable(path) }
        return try SQLiteStore(path: path, mode: mode)
    }

    /// Opens a database to export from: read-only, unless it keeps a sync book (made by
    /// `ferry prepare`), which export updates; application rows are never written.
    public static func openForExport(path: String) throws -> SQLiteStore {
        let store = try existing(path: path, mode: .readOnly)
        guard try store.database.scalar("SELECT 1 FROM sqlite_schema WHERE name = '_ferry_rows'") != nil else { return store }
        return try SQLiteStore(path: path, mode: .readWrite)
    }

    public func makeKeyMap() throws -> KeyMap {
        try SQLiteKeyMap(database: database)
    }

    public func makeKeySet(purpose: KeySetPurpose) throws -> KeySet {
        try SQLiteKeySet(database: database, purpose: purpose)
    }

    public func autoincrementSequence(of table: String) throws -> Int64? {
        guard try tableExists("sqlite_sequence") else { return nil }
        guard case .integer(let value)? = try database.scalar("SELECT seq FROM sqlite_sequence WHERE name = ?", [.text(table)]) else { return nil }
        return value
    }

    public func raiseAutoincrementSequence(of table: String, to value: Int64) throws {
        guard try tableExists("sqlite_sequence") else { return } // no AUTOINCREMENT table here
        let update = try database.prepare("UPDATE sqlite_sequence SET seq = max(seq, ?2) WHERE name = ?1")
        try update.bind([.text(table), .integer(value)])
        try update.step()
        // SQLite adds a table's row with its first insert: an empty table has none yet.
        if database.changes == 0 {
            let insert = try database.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)")
            try insert.bind([.text(table), .integer(value)])
            try insert.step()
        }
    }

    public func addCloudIdColumn(_ column: String, to table: String) throws {
        try database.execute("ALTER TABLE \(Identifier.quote(table)) ADD COLUMN \(Identifier.quote(column)) TEXT")
        try database.execute("CREATE UNIQUE INDEX \(Identifier.quote("\(table)_\(column)_key")) ON \(Identifier.quote(table)) (\(Identifier.quote(column)))")
    }
}

/// A row of a SQLite scan: reads straight from the statement's column buffers.
struct SQLiteRowCursor: RowCursor {
    let statement: SQLiteStatement

    func value(at index: Int) -> Value { statement.value(at: index) }
    func isNull(at index: Int) -> Bool { statement.columnType(at: index) == SQLITE_NULL }

    func appendJSON(at index: Int, to buffer: inout JSONBuffer) {
        // One column lookup, then the value's own accessors: the sqlite3_column_* calls each
        // look the column up again and check for allocation failures. The value is
        // "unprotected" (no mutex), which is safe here: one thread uses a connection at a time.
        let value = sqlite3_column_value(statement.handle, Int32(index))
        switch sqlite3_value_type(value) {
        case SQLITE_INTEGER: buffer.appendInteger(sqlite3_value_int64(value))
        case SQLITE_FLOAT: buffer.appendReal(sqlite3_value_double(value))
        case SQLITE_TEXT:
            let text = Self.bytes(UnsafeRawPointer(sqlite3_value_text(value)), sqlite3_value_bytes(value))
            if SQLiteStatement.isNaNText(text, declared: sqlite3_column_decltype(statement.handle, Int32(index))) { buffer.appendReal(.nan) } else { buffer.appendText(text) }
        case SQLITE_BLOB: buffer.appendBase64Object(Self.bytes(sqlite3_value_blob(value), sqlite3_value_bytes(value)))
        default: buffer.append(raw: "null")
        }
    }

    func appendRaw(at index: Int, to buffer: inout JSONBuffer) {
        let value = sqlite3_column_value(statement.handle, Int32(index))
        let type = sqlite3_value_type(value)
        buffer.append(UInt8(type))
        switch type {
        case SQLITE_INTEGER: Self.appendWord(UInt64(bitPattern: sqlite3_value_int64(value)), to: &buffer)
        case SQLITE_FLOAT: Self.appendWord(sqlite3_value_double(value).bitPattern, to: &buffer)
        case SQLITE_TEXT, SQLITE_BLOB:
            let pointer = type == SQLITE_TEXT ? UnsafeRawPointer(sqlite3_value_text(value)) : sqlite3_value_blob(value)
            let count = sqlite3_value_bytes(value)
            Self.appendWord(UInt64(count), to: &buffer)
            buffer.append(contentsOf: Self.bytes(pointer, count))
        default: break
        }
    }

    private static func appendWord(_ word: UInt64, to buffer: inout JSONBuffer) {
        withUnsafeBytes(of: word.littleEndian) { buffer.append(contentsOf: $0.bindMemory(to: UInt8.self)) }
    }

    private static func bytes(_ pointer: UnsafeRawPointer?, _ count: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let pointer, count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: Int(count))
    }
}

