import Foundation

/// The sync book in SQLite: `_ferry_rows` (one entry per row that crossed, tombstones
/// included) and `_ferry_state` (this store's id, its change counter, and the counter at
/// each export). Both are `_ferry_*`, so never exported.
final class SQLiteSyncBook: SyncBook {
    private let database: SQLiteDatabase
    private let byKey: SQLiteStatement
    private let hashByKey: SQLiteStatement
    private let byIdentity: SQLiteStatement
    private let upsert: SQLiteStatement
    private let delete: SQLiteStatement
    private let tombstone: SQLiteStatement
    private let joinVersions: SQLiteStatement
    private let moveAside: SQLiteStatement
    private(set) var changed = false
    private(set) var recorded = 0
    let keepsEntries = true
    private var identityIndexDeferred = false
    let storeId: String
    private(set) var sequence: Int64
    private var savedSequence: Int64

    static let identityIndexSQL = "CREATE INDEX IF NOT EXISTS _ferry_rows_identity ON _ferry_rows (tableName, identity);"
    /// Tombstones are few: a partial index finds them (and those since a changeset) without a scan.
    static let tombstoneIndexSQL = "CREATE INDEX IF NOT EXISTS _ferry_rows_tombstones ON _ferry_rows (tableName, seq) WHERE deleted = 1;"
    static let createSQL = """
        CREATE TABLE IF NOT EXISTS _ferry_rows (
            tableName TEXT NOT NULL, rowKey TEXT NOT NULL, identity TEXT NOT NULL, hash TEXT NOT NULL, base TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0, versions TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL DEFAULT 0,
            changedAt INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (tableName, rowKey)) WITHOUT ROWID;
        \(identityIndexSQL)
        CREATE TABLE IF NOT EXISTS _ferry_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        """

    /// Opens the book of a store that has one (`ferry prepare` creates it); nil otherwise.
    static func open(_ database: SQLiteDatabase) throws -> SQLiteSyncBook? {
        guard try database.scalar("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_ferry_rows'") != nil else { return nil }
        // A book from before tombstones and versions were kept is upgraded in place: its
        // entries are alive, with no versions (they sync by hash and base, as they did).
        for (column, definition) in [("deleted", "INTEGER NOT NULL DEFAULT 0"), ("versions", "TEXT NOT NULL DEFAULT ''"), ("seq", "INTEGER NOT NULL DEFAULT 0"),
                                     ("changedAt", "INTEGER NOT NULL DEFAULT 0")]
        where try database.scalar("SELECT 1 FROM pragma_table_info('_ferry_rows') WHERE name = ?", [.text(column)]) == nil {
            try database.execute("ALTER TABLE _ferry_rows ADD COLUMN \(column) \(definition)")
        }
        try database.execute(tombstoneIndexSQL)
        return try SQLiteSyncBook(database: database)
    }

    private init(database: SQLiteDatabase) throws {
        self.database = database
        let columns = "rowKey, identity, hash, base, deleted, versions, seq"
        byKey = try database.prepare("SELECT \(columns) FROM _ferry_rows WHERE tableName = ? AND rowKey = ?")
        // A tombstone has no hash to compare with: a row at its key is new.
        hashByKey = try database.prepare("SELECT hash, seq FROM _ferry_rows WHERE tableName = ? AND rowKey = ? AND deleted = 0")
        // INDEXED BY: without statistics the planner prefers scanning the primary key's
        // tableName prefix (every row of the table) to this index; measured 100x slower.
        byIdentity = try database.prepare("SELECT \(columns) FROM _ferry_rows INDEXED BY _ferry_rows_identity WHERE tableName = ? AND identity = ? LIMIT 16")
        upsert = try database.prepare("""
            INSERT INTO _ferry_rows (tableName, rowKey, identity, hash, base, deleted, versions, seq, changedAt)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, unixepoch())
            ON CONFLICT (tableName, rowKey) DO UPDATE SET identity = excluded.identity, hash = excluded.hash, base = excluded.base,
                deleted = excluded.deleted, versions = excluded.versions, seq = excluded.seq, changedAt = excluded.changedAt
            WHERE identity IS NOT excluded.identity OR hash IS NOT excluded.hash OR base IS NOT excluded.base
                OR deleted IS NOT excluded.deleted OR versions IS NOT excluded.versions
            """) // an unchanged entry is not rewritten, so a replay leaves the file byte-identical
        delete = try database.prepare("DELETE FROM _ferry_rows WHERE tableName = ? AND rowKey = ?")
        tombstone = try database.prepare("UPDATE _ferry_rows SET deleted = 1, versions = coalesce(?3, versions), seq = ?4, changedAt = unixepoch() WHERE tableName = ?1 AND rowKey = ?2 AND (deleted = 0 OR versions IS NOT coalesce(?3, versions))")
        joinVersions = try database.prepare("UPDATE _ferry_rows SET versions = ?3, seq = ?4, changedAt = unixepoch() WHERE tableName = ?1 AND rowKey = ?2 AND versions IS NOT ?3")
        moveAside = try database.prepare("UPDATE OR REPLACE _ferry_rows SET rowKey = ?3, deleted = max(deleted, ?4) WHERE tableName = ?1 AND rowKey = ?2")
        // The file this book lives in (device and inode). A copy of the file (a backup
        // restored beside the original, a cloned development database) carries the same
        // book, store id included: two stores with one id would count their changes as one
        // store's, and a conflict between them would go unseen. A book found in another
        // file than the one it recorded takes a new id; for a file that was only moved, a
        // new id costs one more entry in the versions of the rows it changes next.
        let file = Self.fileIdentity(of: database.path)
        let recordedFile = try database.scalar("SELECT value FROM _ferry_state WHERE key = 'file'")?.string
        if let id = try database.scalar("SELECT value FROM _ferry_state WHERE key = 'storeId'")?.string,
           recordedFile == nil || file == nil || recordedFile == file {
            storeId = id
        } else {
            // 48 random bits: stores that sync together never share one.
            var generator = SystemRandomNumberGenerator()
            storeId = String(UInt64.random(in: 0..<(1 << 48), using: &generator), radix: 16).leftPadded(to: 12)
            try Self.setState(database, "storeId", storeId)
        }
        if let file, file != recordedFile { try Self.setState(database, "file", file) }
        sequence = try database.scalar("SELECT value FROM _ferry_state WHERE key = 'sequence'")?.string.flatMap { Int64($0) } ?? 0
        savedSequence = sequence
    }

    private func read(_ statement: SQLiteStatement) -> SyncBookEntry {
        func bytes(_ index: Int) -> [UInt8] { if case .text(let b) = statement.value(at: index) { return b } else { return [] } }
        var entry = SyncBookEntry(rowKey: bytes(0), identity: bytes(1), hash: statement.value(at: 2).string ?? "", base: bytes(3),
                                  deleted: statement.value(at: 4) == .integer(1),
                                  versions: (try? VersionVector(decoding: bytes(5))) ?? VersionVector())
        if case .integer(let sequence) = statement.value(at: 6) { entry.sequence = sequence }
        return entry
    }

    func entry(table: String, rowKey: [UInt8]) throws -> SyncBookEntry? {
        try byKey.bind([.text(table), .text(rowKey)])
        defer { byKey.reset() }
        return try byKey.step() ? read(byKey) : nil
    }

    func hash(table: String, rowKey: [UInt8]) throws -> (hash: String, sequence: Int64)? {
        try hashByKey.bind([.text(table), .text(rowKey)])
        defer { hashByKey.reset() }
        guard try hashByKey.step(), let hash = hashByKey.value(at: 0).string else { return nil }
        if case .integer(let sequence) = hashByKey.value(at: 1) { return (hash, sequence) }
        return (hash, 0)
    }

    func entries(table: String, identity: [UInt8]) throws -> [SyncBookEntry] {
        if identityIndexDeferred { return [] }
        try byIdentity.bind([.text(table), .text(identity)])
        defer { byIdentity.reset() }
        var result: [SyncBookEntry] = []
        while try byIdentity.step() { result.append(read(byIdentity)) }
        return result
    }

    /// Runs a statement whose last parameter is the next sequence number; the counter moves
    /// only when a row changed, so a replay that changes nothing leaves the book as it was.
    private func stepCounted(_ statement: SQLiteStatement, _ arguments: [Value]) throws {
        try statement.bind(arguments + [.integer(sequence + 1)])
        defer { statement.reset() }
        try statement.step()
        if database.changes > 0 {
            sequence += 1
            recorded += 1
            changed = true
        }
    }

    func record(table: String, entry: SyncBookEntry) throws {
        try stepCounted(upsert, [.text(table), .text(entry.rowKey), .text(entry.identity), .text(entry.hash), .text(entry.base),
                                 .integer(entry.deleted ? 1 : 0), .text(entry.versions.bytes)])
    }

    func markDeleted(table: String, rowKey: [UInt8], versions: VersionVector?) throws {
        try stepCounted(tombstone, [.text(table), .text(rowKey), versions.map { .text($0.bytes) } ?? .null])
    }

    func recordTombstone(table: String, identity: [UInt8], hash: String, base: [UInt8], versions: VersionVector) throws {
        try record(table: table, entry: SyncBookEntry(rowKey: Self.asideKey(identity: identity, hash: hash), identity: identity,
                                                      hash: hash, base: base, deleted: true, versions: versions))
    }

    func joinTombstone(table: String, rowKey: [UInt8], versions: VersionVector) throws {
        try stepCounted(joinVersions, [.text(table), .text(rowKey), .text(versions.bytes)])
    }

    /// `["\u0000retired", identity, hash]`: a key for an entry whose row is not here, which can
    /// be no row's key (rowKey arrays hold the key's values).
    private static func asideKey(identity: [UInt8], hash: String) -> [UInt8] {
        var aside = JSONBuffer()
        aside.append(raw: #"["\u0000retired","#)
        aside.appendString(String(decoding: identity, as: UTF8.self))
        aside.append(UInt8(ascii: ","))
        aside.appendString(hash)
        aside.append(UInt8(ascii: "]"))
        return aside.bytes
    }

    func retire(table: String, rowKey: [UInt8], unless identity: [UInt8], shipped: Bool) throws {
        guard let existing = try entry(table: table, rowKey: rowKey), existing.identity != identity, !existing.identity.isEmpty else { return }
        try moveAside.bind([.text(table), .text(rowKey), .text(Self.asideKey(identity: existing.identity, hash: existing.hash)), .integer(shipped ? 1 : 0)])
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
            SELECT b.rowKey, b.identity, b.hash, b.base, b.deleted, b.versions, b.seq FROM _ferry_rows AS b
            WHERE b.tableName = ? AND b.deleted = 0 AND NOT EXISTS (SELECT 1 FROM \(Identifier.quote(table.name)) AS t WHERE \(on))
            """)
        try statement.bind([.text(table.name)])
        var gone: [SyncBookEntry] = []
        while try statement.step() { gone.append(read(statement)) }
        for entry in gone { try body(entry) }
    }

    func tombstones(of table: String, after sequence: Int64?, _ body: (SyncBookEntry) throws -> Void) throws {
        let statement = try database.prepare("""
            SELECT rowKey, identity, hash, base, deleted, versions, seq FROM _ferry_rows INDEXED BY _ferry_rows_tombstones
            WHERE tableName = ? AND deleted = 1 AND seq > ? ORDER BY seq
            """)
        try statement.bind([.text(table), .integer(sequence ?? -1)])
        var found: [SyncBookEntry] = []
        while try statement.step() { found.append(read(statement)) }
        for entry in found { try body(entry) }
    }

    func compactTombstones(before sequence: Int64?) throws -> Int {
        let statement = try database.prepare("DELETE FROM _ferry_rows WHERE deleted = 1 AND seq <= ?")
        try statement.bind([.integer(sequence ?? .max)])
        try statement.step()
        if database.changes > 0 { changed = true }
        return database.changes
    }

    func tombstoneCount() throws -> Int {
        if case .integer(let count)? = try database.scalar("SELECT count(*) FROM _ferry_rows WHERE deleted = 1") { return Int(count) }
        return 0
    }

    func saveSequence() throws {
        guard sequence != savedSequence else { return }
        try setState(SyncState.sequence, String(sequence))
        savedSequence = sequence
    }

    func exportSequence(of id: String) throws -> Int64? {
        try state(SyncState.exportPrefix + id.lowercased()).flatMap { Int64($0) }
    }

    func recordExport(_ id: String) throws {
        try saveSequence()
        try setState(SyncState.exportPrefix + id.lowercased(), String(sequence))
    }

    func state(_ key: String) throws -> String? {
        try database.scalar("SELECT value FROM _ferry_state WHERE key = ?", [.text(key)])?.string
    }

    /// `DEVICE:INODE` of the database file; nil for a database without one (in memory).
    static func fileIdentity(of path: String) -> String? {
        guard !path.isEmpty, path != ":memory:" else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }

    private static func setState(_ database: SQLiteDatabase, _ key: String, _ value: String) throws {
        let statement = try database.prepare("INSERT INTO _ferry_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        try statement.bind([.text(Array(key.utf8)), .text(Array(value.utf8))])
        try statement.step()
    }

    func setState(_ key: String, _ value: String) throws {
        let statement = try database.prepare("INSERT INTO _ferry_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        try statement.bind([.text(key), .text(value)])
        try statement.step()
    }
}
