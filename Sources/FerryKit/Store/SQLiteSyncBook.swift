/// The sync book in SQLite: `_ferry_rows` (one entry per row that crossed) and
/// `_ferry_state` (the last export's id). Both are `_ferry_*`, so never exported.
final class SQLiteSyncBook: SyncBook {
    private let database: SQLiteDatabase
    private let byKey: SQLiteStatement
    private let hashByKey: SQLiteStatement
    private let byIdentity: SQLiteStatement
    private let upsert: SQLiteStatement
    private let delete: SQLiteStatement
    private let tombstone: SQLiteStatement
    private let moveAside: SQLiteStatement
    private(set) var changed = false
    private var identityIndexDeferred = false

    static let identityIndexSQL = "CREATE INDEX IF NOT EXISTS _ferry_rows_identity ON _ferry_rows (tableName, identity);"
    static let createSQL = """
        CREATE TABLE IF NOT EXISTS _ferry_rows (
            tableName TEXT NOT NULL, rowKey TEXT NOT NULL, identity TEXT NOT NULL, hash TEXT NOT NULL, base TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (tableName, rowKey)) WITHOUT ROWID;
        \(identityIndexSQL)
        CREATE TABLE IF NOT EXISTS _ferry_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        """

    /// Opens the book of a store that has one (`ferry prepare` creates it); nil otherwise.
    static func open(_ database: SQLiteDatabase) throws -> SQLiteSyncBook? {
        guard try database.scalar("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_ferry_rows'") != nil else { return nil }
        // A book from before tombstones were kept is upgraded in place; its entries are all alive.
        if try database.scalar("SELECT 1 FROM pragma_table_info('_ferry_rows') WHERE name = 'deleted'") == nil {
            try database.execute("ALTER TABLE _ferry_rows ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0")
        }
        return try SQLiteSyncBook(database: database)
    }

    private init(database: SQLiteDatabase) throws {
        self.database = database
        byKey = try database.prepare("SELECT rowKey, identity, hash, base, deleted FROM _ferry_rows WHERE tableName = ? AND rowKey = ?")
        // A tombstone has no hash to compare with: a row at its key is new.
        hashByKey = try database.prepare("SELECT hash FROM _ferry_rows WHERE tableName = ? AND rowKey = ? AND deleted = 0")
        // INDEXED BY: without statistics the planner prefers scanning the primary key's
        // tableName prefix (every row of the table) to this index; measured 100x slower.
        byIdentity = try database.prepare("SELECT rowKey, identity, hash, base, deleted FROM _ferry_rows INDEXED BY _ferry_rows_identity WHERE tableName = ? AND identity = ? LIMIT 16")
        upsert = try database.prepare("""
            INSERT INTO _ferry_rows (tableName, rowKey, identity, hash, base, deleted) VALUES (?, ?, ?, ?, ?, 0)
            ON CONFLICT (tableName, rowKey) DO UPDATE SET identity = excluded.identity, hash = excluded.hash, base = excluded.base, deleted = 0
            WHERE identity IS NOT excluded.identity OR hash IS NOT excluded.hash OR base IS NOT excluded.base OR deleted <> 0
            """) // an unchanged entry is not rewritten, so a replay leaves the file byte-identical
        delete = try database.prepare("DELETE FROM _ferry_rows WHERE tableName = ? AND rowKey = ?")
        tombstone = try database.prepare("UPDATE _ferry_rows SET deleted = 1 WHERE tableName = ? AND rowKey = ? AND deleted = 0")
        moveAside = try database.prepare("UPDATE OR REPLACE _ferry_rows SET rowKey = ?3, deleted = max(deleted, ?4) WHERE tableName = ?1 AND rowKey = ?2")
    }

    private func read(_ statement: SQLiteStatement) -> SyncBookEntry {
        func bytes(_ index: Int) -> [UInt8] { if case .text(let b) = statement.value(at: index) { return b } else { return [] } }
        return SyncBookEntry(rowKey: bytes(0), identity: bytes(1), hash: statement.value(at: 2).string ?? "", base: bytes(3),
                             deleted: statement.value(at: 4) == .integer(1))
    }

    func entry(table: String, rowKey: [UInt8]) throws -> SyncBookEntry? {
        try byKey.bind([.text(table), .text(rowKey)])
        defer { byKey.reset() }
        return try byKey.step() ? read(byKey) : nil
    }

    func hash(table: String, rowKey: [UInt8]) throws -> String? {
        try hashByKey.bind([.text(table), .text(rowKey)])
        defer { hashByKey.reset() }
        return try hashByKey.step() ? hashByKey.value(at: 0).string : nil
    }

    func entries(table: String, identity: [UInt8]) throws -> [SyncBookEntry] {
        if identityIndexDeferred { return [] }
        try byIdentity.bind([.text(table), .text(identity)])
        defer { byIdentity.reset() }
        var result: [SyncBookEntry] = []
        while try byIdentity.step() { result.append(read(byIdentity)) }
        return result
    }

    func record(table: String, entry: SyncBookEntry) throws {
        try upsert.bind([.text(table), .text(entry.rowKey), .text(entry.identity), .text(entry.hash), .text(entry.base)])
        defer { upsert.reset() }
        try upsert.step()
        if database.changes > 0 { changed = true }
    }

    func markDeleted(table: String, rowKey: [UInt8]) throws {
        try tombstone.bind([.text(table), .text(rowKey)])
        defer { tombstone.reset() }
        try tombstone.step()
        if database.changes > 0 { changed = true }
    }

    func retire(table: String, rowKey: [UInt8], unless identity: [UInt8], shipped: Bool) throws {
        guard let existing = try entry(table: table, rowKey: rowKey), existing.identity != identity, !existing.identity.isEmpty else { return }
        // ["\u0000retired", identity, hash] can be no row's key: rowKey arrays hold the key's values.
        var aside = JSONBuffer()
        aside.append(raw: #"["\u0000retired","#)
        aside.appendString(String(decoding: existing.identity, as: UTF8.self))
        aside.append(UInt8(ascii: ","))
        aside.appendString(existing.hash)
        aside.append(UInt8(ascii: "]"))
        try moveAside.bind([.text(table), .text(rowKey), .text(aside.bytes), .integer(shipped ? 1 : 0)])
        defer { moveAside.reset() }
        try moveAside.step()
        changed = true
    }

    func remove(table: String, rowKey: [UInt8]) throws {
        try delete.bind([.text(table), .text(rowKey)])
        defer { delete.reset() }
        try delete.step()
        if database.changes > 0 { changed = true }
    }

    /// Random inserts into the identity index grew to 28% of a 1.5M-row replay; building
    /// it once at the end sorts instead (docs/decisions.md).
    ///
    /// Not in WAL mode: there, SQLite 3.40's statement journal fails a CREATE INDEX that
    /// follows a large write in the same transaction with SQLITE_FULL ("database or disk is
    /// full") once the journal spills from memory to a file (reproduced from 120k rows with
    /// the 4 MiB spill Ferry configures; docs/decisions.md, "WAL targets").
    func deferIdentityIndexIfEmpty() throws -> Bool {
        if try database.scalar("PRAGMA journal_mode")?.string?.lowercased() == "wal" { return false }
        guard try database.scalar("SELECT 1 FROM _ferry_rows LIMIT 1") == nil else { return false }
        try database.execute("DROP INDEX IF EXISTS _ferry_rows_identity")
        identityIndexDeferred = true
        return true
    }

    func buildIdentityIndex() throws {
        // SQLite's sorter takes as much memory as the page cache allows, on top of it:
        // a small cache while sorting keeps peak RSS where the import had it.
        try database.execute("PRAGMA main.cache_size = -2048; \(Self.identityIndexSQL) PRAGMA main.cache_size = \(SQLiteDatabase.mainCacheSize)")
        identityIndexDeferred = false
    }

    func hasEntries(table: String) throws -> Bool {
        try database.scalar("SELECT 1 FROM _ferry_rows WHERE tableName = ? LIMIT 1", [.text(table)]) != nil
    }

    func vanished(from table: TableDefinition, _ body: (SyncBookEntry) throws -> Void) throws {
        guard !table.primaryKey.isEmpty else { return }
        // rowKey is a JSON array of the key values: an anti-join finds entries whose row is gone.
        let on = table.primaryKey.enumerated().map { "t.\(Identifier.quote($1)) = json_extract(b.rowKey, '$[\($0)]')" }.joined(separator: " AND ")
        let statement = try database.prepare("""
            SELECT b.rowKey, b.identity, b.hash, b.base, b.deleted FROM _ferry_rows AS b
            WHERE b.tableName = ? AND b.deleted = 0 AND NOT EXISTS (SELECT 1 FROM \(Identifier.quote(table.name)) AS t WHERE \(on))
            """)
        try statement.bind([.text(table.name)])
        var gone: [SyncBookEntry] = []
        while try statement.step() { gone.append(read(statement)) }
        for entry in gone { try body(entry) }
    }

    func state(_ key: String) throws -> String? {
        try database.scalar("SELECT value FROM _ferry_state WHERE key = ?", [.text(key)])?.string
    }

    func setState(_ key: String, _ value: String) throws {
        let statement = try database.prepare("INSERT INTO _ferry_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        try statement.bind([.text(key), .text(value)])
        try statement.step()
    }
}
