import FerryKit
import Foundation

/// The sync book in SQLite: `_ferry_rows` (one entry per row that crossed, tombstones
/// included) and `_ferry_state` (this store's id, its change counter, and the counter at
/// each export). Both are `_ferry_*`, so never exported.
package final class SQLiteSyncBook: SyncBook {
    private let database: SQLiteDatabase
    private let byKey: SQLiteStatement
    private let hashByKey: SQLiteStatement
    private let byIdentity: SQLiteStatement
    private let upsert: SQLiteStatement
    /// `upsert` for a key the book had no entry at, as a plain insert (a first export writes
    /// one per row); the upsert runs only when the key is there after all (rows with a NULL
    /// in their key share one entry).
    private let insertNew: SQLiteStatement
    private let delete: SQLiteStatement
    private let tombstone: SQLiteStatement
    private let joinVersions: SQLiteStatement
    private let moveAside: SQLiteStatement
    private let fingerprintByKey: SQLiteStatement
    package private(set) var changed = false
    package private(set) var recorded = 0
    package let keepsEntries = true
    private var identityIndexDeferred = false
    package let storeId: String
    package private(set) var sequence: Int64
    private var savedSequence: Int64
    /// The columns `read` decodes, in its order.
    private static let entryColumns = ["rowKey", "identity", "hash", "digests", "deleted", "versions", "seq", "fingerprint", "inTable"]
    /// Table name → its number in `_ferry_tables`: an entry names its table in a byte or two.
    private var tableIds: [String: Int64] = [:]

    /// Partial: an entry whose row holds its identity in the table's own cloudId column is
    /// found through that column's index (most entries of a prepared store), so only
    /// tombstones, entries moved aside, rows known by natural keys and cloudIds only the
    /// book holds take room here.
    package static let identityIndexSQL = "CREATE INDEX IF NOT EXISTS _ferry_rows_identity ON _ferry_rows (tableId, identity) WHERE deleted = 1 OR inTable = 0;"
    /// Tombstones are few: a partial index finds them (and those since a changeset) without a scan.
    package static let tombstoneIndexSQL = "CREATE INDEX IF NOT EXISTS _ferry_rows_tombstones ON _ferry_rows (tableId, seq) WHERE deleted = 1;"
    /// Version 2 of the book (docs/decisions.md, "Sync book v2"): a row's version is its
    /// hash (XXH64, an INTEGER) and one 4-byte digest per column, not the row itself.
    package static let createSQL = """
        CREATE TABLE IF NOT EXISTS _ferry_tables (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS _ferry_rows (
            tableId INTEGER NOT NULL, rowKey NOT NULL, identity NOT NULL, hash NOT NULL, digests BLOB NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0, versions NOT NULL DEFAULT '', seq INTEGER NOT NULL DEFAULT 0,
            changedAt INTEGER NOT NULL DEFAULT 0, fingerprint INTEGER, inTable INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (tableId, rowKey)) WITHOUT ROWID;
        \(identityIndexSQL)
        \(tombstoneIndexSQL)
        CREATE TABLE IF NOT EXISTS _ferry_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        """

    /// Opens the book of a store that has one (`ferry prepare` creates it); nil otherwise.
    package static func open(_ database: SQLiteDatabase) throws -> SQLiteSyncBook? {
        guard try database.scalar("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_ferry_rows'") != nil else { return nil }
        if try database.scalar("SELECT 1 FROM pragma_table_info('_ferry_rows') WHERE name = 'base'") != nil {
            // A savepoint makes the rewrite all or nothing, inside the command's transaction
            // or, where the book is opened before it (export), on its own.
            try database.execute("SAVEPOINT ferry_book_upgrade")
            do {
                try upgradeFromVersion1(database)
                try database.execute("RELEASE ferry_book_upgrade")
            } catch {
                try? database.execute("ROLLBACK TO ferry_book_upgrade; RELEASE ferry_book_upgrade")
                throw error
            }
        }
        return try SQLiteSyncBook(database: database)
    }

    /// A book from before version 2 keeps each row's portable form as its `base` (and, older
    /// still, no tombstones or versions): it is rewritten in place, within the transaction
    /// that opened it. Each entry's hash and digests are computed from its form, so the
    /// rows it tracks are as unchanged as they were (docs/decisions.md, "Sync book v2").
    private static func upgradeFromVersion1(_ database: SQLiteDatabase) throws {
        func has(_ column: String) throws -> Bool {
            try database.scalar("SELECT 1 FROM pragma_table_info('_ferry_rows_v1') WHERE name = ?", [.text(column)]) != nil
        }
        try database.execute("""
            DROP INDEX IF EXISTS _ferry_rows_identity; DROP INDEX IF EXISTS _ferry_rows_tombstones;
            ALTER TABLE _ferry_rows RENAME TO _ferry_rows_v1;
            \(createSQL)
            """)
        let optional = [("deleted", "0"), ("versions", "''"), ("seq", "0"), ("changedAt", "0")]
        let select = try database.prepare("SELECT tableName, rowKey, identity, hash, base, "
            + (try optional.map { try has($0.0) ? $0.0 : $0.1 }.joined(separator: ", ")) + " FROM _ferry_rows_v1")
        let insert = try database.prepare("INSERT OR REPLACE INTO _ferry_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)")
        var ids: [String: Int64] = [:]
        func text(_ index: Int) -> [UInt8] { if case .text(let bytes) = select.value(at: index) { return bytes } else { return [] } }
        while try select.step() {
            let name = select.value(at: 0).string ?? ""
            let id = try ids[name] ?? tableId(database, name, create: true)!
            ids[name] = id
            let base = text(4)
            let form = base.isEmpty ? nil : try? JSONParser.parse(base)
            let hash = form == nil ? select.value(at: 3) : storedHash(PortableRow.hash(PortableRow.canonicalForm(base)))
            let digests = form.map { ColumnDigests(portableForm: $0) } ?? ColumnDigests()
            let versions = BookPacking.unpack(versions: select.value(at: 6))
            try insert.bind([.integer(id), BookPacking.pack(rowKey: text(1)), BookPacking.pack(identity: text(2)), hash, .blob(digests.blob),
                             select.value(at: 5), BookPacking.pack(versions: versions), select.value(at: 7), select.value(at: 8)])
            try insert.step()
            insert.reset()
        }
        try database.execute("DROP TABLE _ferry_rows_v1")
    }

    /// A hash as the book stores it: 16 hex digits (XXH64) as an INTEGER, anything else
    /// (a version 1 tombstone's sha256) as the text it is.
    package static func storedHash(_ hash: String) -> Value {
        if hash.utf8.count == 16, let value = UInt64(hash, radix: 16) { return .integer(Int64(bitPattern: value)) }
        return .text(hash)
    }

    package static func hashText(_ value: Value) -> String {
        switch value {
        case .integer(let bits): return PortableRow.hex(UInt64(bitPattern: bits))
        default: return value.string ?? ""
        }
    }

    private static func tableId(_ database: SQLiteDatabase, _ name: String, create: Bool) throws -> Int64? {
        if case .integer(let id)? = try database.scalar("SELECT id FROM _ferry_tables WHERE name = ?", [.text(name)]) { return id }
        guard create, case .integer(let id)? = try database.scalar("INSERT INTO _ferry_tables (name) VALUES (?) RETURNING id", [.text(name)]) else { return nil }
        return id
    }

    /// The number of `table` in this book; nil when no entry of it was ever written (and
    /// `create` is false).
    private func tableId(_ table: String, create: Bool = false) throws -> Int64? {
        if let id = tableIds[table] { return id }
        guard let id = try Self.tableId(database, table, create: create) else { return nil }
        tableIds[table] = id
        return id
    }

    private init(database: SQLiteDatabase) throws {
        self.database = database
        let columns = Self.entryColumns.joined(separator: ", ")
        byKey = try database.prepare("SELECT \(columns) FROM _ferry_rows WHERE tableId = ? AND rowKey = ?")
        // A tombstone has no hash to compare with: a row at its key is new.
        hashByKey = try database.prepare("SELECT hash, seq, fingerprint FROM _ferry_rows WHERE tableId = ? AND rowKey = ? AND deleted = 0")
        fingerprintByKey = try database.prepare("UPDATE _ferry_rows SET fingerprint = ?3 WHERE tableId = ?1 AND rowKey = ?2 AND fingerprint IS NOT ?3")
        // INDEXED BY: without statistics the planner prefers scanning the primary key's
        // tableId prefix (every row of the table) to this index; measured 100x slower.
        byIdentity = try database.prepare("SELECT \(columns) FROM _ferry_rows INDEXED BY _ferry_rows_identity WHERE tableId = ? AND identity = ? AND (deleted = 1 OR inTable = 0) LIMIT 16")
        upsert = try database.prepare("""
            INSERT INTO _ferry_rows (tableId, rowKey, identity, hash, digests, deleted, versions, fingerprint, inTable, seq, changedAt)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CASE WHEN ?6 THEN unixepoch() ELSE 0 END)
            ON CONFLICT (tableId, rowKey) DO UPDATE SET identity = excluded.identity, hash = excluded.hash, digests = excluded.digests,
                deleted = excluded.deleted, versions = excluded.versions, seq = excluded.seq, changedAt = excluded.changedAt,
                fingerprint = excluded.fingerprint, inTable = excluded.inTable
            WHERE identity IS NOT excluded.identity OR hash IS NOT excluded.hash OR digests IS NOT excluded.digests
                OR deleted IS NOT excluded.deleted OR versions IS NOT excluded.versions OR inTable IS NOT excluded.inTable
            """) // an unchanged entry is not rewritten, so a replay leaves the file byte-identical
        insertNew = try database.prepare("""
            INSERT INTO _ferry_rows (tableId, rowKey, identity, hash, digests, deleted, versions, fingerprint, inTable, seq, changedAt)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)
            """)
        delete = try database.prepare("DELETE FROM _ferry_rows WHERE tableId = ? AND rowKey = ?")
        // Only a tombstone keeps when it was made (`ferry compact`, `inspect`); a live entry
        // spends no bytes on it.
        tombstone = try database.prepare("UPDATE _ferry_rows SET deleted = 1, versions = coalesce(?3, versions), seq = ?4, changedAt = unixepoch() WHERE tableId = ?1 AND rowKey = ?2 AND (deleted = 0 OR versions IS NOT coalesce(?3, versions))")
        joinVersions = try database.prepare("UPDATE _ferry_rows SET versions = ?3, seq = ?4, changedAt = CASE WHEN deleted THEN unixepoch() ELSE 0 END WHERE tableId = ?1 AND rowKey = ?2 AND versions IS NOT ?3")
        moveAside = try database.prepare("UPDATE OR REPLACE _ferry_rows SET rowKey = ?3, deleted = max(deleted, ?4), inTable = 0 WHERE tableId = ?1 AND rowKey = ?2")
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
            storeId = SyncState.newStoreId()
            try Self.setState(database, "storeId", storeId)
        }
        if let file, file != recordedFile { try Self.setState(database, "file", file) }
        sequence = try database.scalar("SELECT value FROM _ferry_state WHERE key = 'sequence'")?.string.flatMap { Int64($0) } ?? 0
        savedSequence = sequence
    }

    private func read(_ statement: SQLiteStatement) -> SyncBookEntry {
        let digests: [UInt8]
        if case .blob(let blob) = statement.value(at: 3) { digests = blob } else { digests = [] }
        var entry = SyncBookEntry(rowKey: BookPacking.unpack(rowKey: statement.value(at: 0)), identity: BookPacking.unpack(identity: statement.value(at: 1)), hash: Self.hashText(statement.value(at: 2)),
                                  digests: ColumnDigests(blob: digests), deleted: statement.value(at: 4) == .integer(1),
                                  versions: BookPacking.unpack(versions: statement.value(at: 5)))
        if case .integer(let sequence) = statement.value(at: 6) { entry.sequence = sequence }
        if case .integer(let fingerprint) = statement.value(at: 7) { entry.fingerprint = fingerprint }
        entry.inTable = statement.value(at: 8) == .integer(1)
        return entry
    }

    package func entry(table: String, rowKey: [UInt8]) throws -> SyncBookEntry? {
        guard let id = try tableId(table) else { return nil }
        try byKey.bind([.integer(id), BookPacking.pack(rowKey: rowKey)])
        defer { byKey.reset() }
        return try byKey.step() ? read(byKey) : nil
    }

    package func hash(table: String, rowKey: [UInt8]) throws -> (hash: String, sequence: Int64, fingerprint: Int64?)? {
        guard let id = try tableId(table) else { return nil }
        try hashByKey.bind([.integer(id), BookPacking.pack(rowKey: rowKey)])
        defer { hashByKey.reset() }
        guard try hashByKey.step() else { return nil }
        let hash = Self.hashText(hashByKey.value(at: 0))
        var fingerprint: Int64?
        if case .integer(let value) = hashByKey.value(at: 2) { fingerprint = value }
        if case .integer(let sequence) = hashByKey.value(at: 1) { return (hash, sequence, fingerprint) }
        return (hash, 0, fingerprint)
    }

    package func scanKey(of table: String) throws -> Int64? {
        try tableId(table)
    }

    package func setFingerprint(table: String, rowKey: [UInt8], _ fingerprint: Int64) throws {
        guard let id = try tableId(table) else { return }
        try fingerprintByKey.bind([.integer(id), BookPacking.pack(rowKey: rowKey), .integer(fingerprint)])
        defer { fingerprintByKey.reset() }
        try fingerprintByKey.step()
    }

    package func entries(table: TableDefinition, identity: [UInt8]) throws -> [SyncBookEntry] {
        if identityIndexDeferred { return [] }
        guard let id = try tableId(table.name) else { return [] }
        try indexRowsGoneHere(table, id)
        var result: [SyncBookEntry] = []
        try byIdentity.bind([.integer(id), BookPacking.pack(identity: identity)])
        while try byIdentity.step() { result.append(read(byIdentity)) }
        byIdentity.reset()
        // An entry the identity index leaves out: its row holds the cloudId.
        if let column = table.cloudId, !table.primaryKey.isEmpty, let cloudId = PortableRow.cloudId(inIdentity: identity) {
            let lookup = try rowByCloudId(table, column)
            try lookup.bind([cloudId])
            var keys: [[Value]] = []
            while try lookup.step() { keys.append(table.primaryKey.indices.map { lookup.value(at: $0) }) }
            lookup.reset()
            for key in keys {
                guard let entry = try entry(table: table.name, rowKey: PortableRow.rowKey(key)), entry.inTable, !entry.deleted,
                      entry.identity == identity, !result.contains(where: { $0.rowKey == entry.rowKey }) else { continue }
                result.append(entry)
            }
        }
        return result
    }

    private var rowByCloudIdStatements: [String: SQLiteStatement] = [:]
    private func rowByCloudId(_ table: TableDefinition, _ column: String) throws -> SQLiteStatement {
        if let statement = rowByCloudIdStatements[table.name] { return statement }
        let statement = try database.prepare("SELECT \(table.primaryKey.map { Identifier.quote($0) }.joined(separator: ", ")) FROM \(Identifier.quote(table.name)) WHERE \(Identifier.quote(column)) = ? LIMIT 16")
        rowByCloudIdStatements[table.name] = statement
        return statement
    }

    /// SQL that holds when row `t` of `table` is the row of book entry `b`: a key kept as
    /// its value compares as it is, one kept as a JSON array (BookPacking) by its elements.
    private static func rowOfEntry(_ table: TableDefinition) -> String {
        table.primaryKey.count == 1
            ? "t.\(Identifier.quote(table.primaryKey[0])) = iif(typeof(b.rowKey) = 'blob', json_extract(CAST(b.rowKey AS TEXT), '$[0]'), b.rowKey)"
            : table.primaryKey.enumerated().map { "t.\(Identifier.quote($1)) = json_extract(CAST(b.rowKey AS TEXT), '$[\($0)]')" }.joined(separator: " AND ")
    }

    /// Tables whose entries of rows that no longer hold their cloudId were put back in the
    /// identity index.
    private var indexedGone = Set<Int64>()

    /// An entry kept out of the identity index because its row held its cloudId is lost to
    /// lookups once that row no longer does: deleted here, or its cloudId cleared or
    /// rewritten (by the application, a migration), until the next export records it
    /// again. Before the first lookup in a table, one pass over its entries (a key lookup
    /// each, as the export's anti-join) puts such entries back in the index.
    private func indexRowsGoneHere(_ table: TableDefinition, _ id: Int64) throws {
        guard !indexedGone.contains(id) else { return }
        indexedGone.insert(id)
        guard let column = table.cloudId, !table.primaryKey.isEmpty else { return }
        let statement = try database.prepare("""
            SELECT b.rowKey, b.identity, t.\(Identifier.quote(column)) FROM _ferry_rows AS b
            LEFT JOIN \(Identifier.quote(table.name)) AS t ON \(Self.rowOfEntry(table))
            WHERE b.tableId = ? AND b.inTable = 1 AND b.deleted = 0
            """)
        try statement.bind([.integer(id)])
        var lost: [Value] = []
        while try statement.step() {
            let cloudId = statement.value(at: 2)
            if cloudId.isNull || BookPacking.pack(identity: PortableRow.identity(cloudId: cloudId, keys: [])) != statement.value(at: 1) {
                lost.append(statement.value(at: 0))
            }
        }
        guard !lost.isEmpty else { return }
        let clear = try database.prepare("UPDATE _ferry_rows SET inTable = 0 WHERE tableId = ? AND rowKey = ?")
        for rowKey in lost {
            try clear.bind([.integer(id), rowKey])
            try clear.step()
            clear.reset()
        }
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

    package func record(table: String, entry: SyncBookEntry) throws {
        try stepCounted(upsert, [.integer(try tableId(table, create: true)!)] + Self.packed(entry))
    }

    /// An entry's values as `upsert` binds them after its table's number.
    private static func packed(_ entry: SyncBookEntry, versions: Value? = nil) -> [Value] {
        [BookPacking.pack(rowKey: entry.rowKey), BookPacking.pack(identity: entry.identity), storedHash(entry.hash), .blob(entry.digests.blob),
         .integer(entry.deleted ? 1 : 0), versions ?? BookPacking.pack(versions: entry.versions), entry.fingerprint.map { .integer($0) } ?? .null,
         .integer(entry.inTable && !entry.deleted ? 1 : 0)]
    }

    package var newEntryPacker: (@Sendable (SyncBookEntry) -> PackedBookEntry)? {
        // A first export gives every entry the same versions: packed once.
        let last = LastPackedVersions()
        return { entry in .values(Self.packed(entry, versions: last.packed(entry.versions))) }
    }

    package func recordNew(table: String, packed: PackedBookEntry) throws {
        let values: [Value]
        switch packed {
        case .entry(let entry): return try record(table: table, entry: entry)
        case .values(let packed): values = packed
        }
        let id = try tableId(table, create: true)!
        // A tombstone keeps its time: the upsert writes it.
        guard case .integer(0)? = values.dropFirst(4).first else { return try stepCounted(upsert, [.integer(id)] + values) }
        do {
            // Bound around the packed values, without a new array per entry.
            try insertNew.bind(values, startingAt: 2)
            try insertNew.bind(.integer(id), at: 1)
            try insertNew.bind(.integer(sequence + 1), at: Int32(values.count + 2))
            defer { insertNew.reset() }
            try insertNew.step()
            sequence += 1
            recorded += 1
            changed = true
        } catch let error as FerryError where error.storeFailure?.kind == .unique {
            // Rows with a NULL in their key share one entry: the second finds it there.
            try stepCounted(upsert, [.integer(id)] + values)
        }
    }

    package func markDeleted(table: String, rowKey: [UInt8], versions: VersionVector?) throws {
        guard let id = try tableId(table) else { return }
        try stepCounted(tombstone, [.integer(id), BookPacking.pack(rowKey: rowKey), versions.map { BookPacking.pack(versions: $0) } ?? .null])
    }

    package func recordTombstone(table: String, identity: [UInt8], hash: String, digests: ColumnDigests, versions: VersionVector) throws {
        try record(table: table, entry: SyncBookEntry(rowKey: Self.asideKey(identity: identity, hash: hash), identity: identity,
                                                      hash: hash, digests: digests, deleted: true, versions: versions))
    }

    package func joinTombstone(table: String, rowKey: [UInt8], versions: VersionVector) throws {
        guard let id = try tableId(table) else { return }
        try stepCounted(joinVersions, [.integer(id), BookPacking.pack(rowKey: rowKey), BookPacking.pack(versions: versions)])
    }

    /// `["\u0000retired", identity, hash]`: a key for an entry whose row is not here, which can
    /// be no row's key (rowKey arrays hold the key's values).
    package static func asideKey(identity: [UInt8], hash: String) -> [UInt8] {
        var aside = JSONBuffer()
        aside.append(raw: #"["\u0000retired","#)
        aside.appendString(String(decoding: identity, as: UTF8.self))
        aside.append(UInt8(ascii: ","))
        aside.appendString(hash)
        aside.append(UInt8(ascii: "]"))
        return aside.bytes
    }

    package func retire(table: String, rowKey: [UInt8], unless identity: [UInt8], shipped: Bool) throws {
        guard let existing = try entry(table: table, rowKey: rowKey), existing.identity != identity, !existing.identity.isEmpty else { return }
        guard let id = try tableId(table) else { return }
        try moveAside.bind([.integer(id), BookPacking.pack(rowKey: rowKey), BookPacking.pack(rowKey: Self.asideKey(identity: existing.identity, hash: existing.hash)),
                            .integer(shipped ? 1 : 0)])
        defer { moveAside.reset() }
        try moveAside.step()
        changed = true
    }

    package func remove(table: String, rowKey: [UInt8]) throws {
        guard let id = try tableId(table) else { return }
        try delete.bind([.integer(id), BookPacking.pack(rowKey: rowKey)])
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
    package func deferIdentityIndexIfEmpty() throws -> Bool {
        if try database.scalar("PRAGMA journal_mode")?.string?.lowercased() == "wal" { return false }
        guard try database.scalar("SELECT 1 FROM _ferry_rows LIMIT 1") == nil else { return false }
        try database.execute("DROP INDEX IF EXISTS _ferry_rows_identity")
        identityIndexDeferred = true
        return true
    }

    package func buildIdentityIndex() throws {
        // SQLite's sorter takes as much memory as the page cache allows, on top of it:
        // a small cache while sorting keeps peak RSS where the import had it.
        try database.execute("PRAGMA main.cache_size = -2048; \(Self.identityIndexSQL) PRAGMA main.cache_size = \(SQLiteDatabase.mainCacheSize)")
        identityIndexDeferred = false
    }

    package func hasEntries(table: String) throws -> Bool {
        guard let id = try tableId(table) else { return false }
        return try database.scalar("SELECT 1 FROM _ferry_rows WHERE tableId = ? LIMIT 1", [.integer(id)]) != nil
    }

    package func vanished(from table: TableDefinition, _ body: (SyncBookEntry) throws -> Void) throws {
        guard !table.primaryKey.isEmpty, let id = try tableId(table.name) else { return }
        // An anti-join finds entries whose row is gone.
        let statement = try database.prepare("""
            SELECT \(Self.entryColumns.map { "b.\($0)" }.joined(separator: ", ")) FROM _ferry_rows AS b
            WHERE b.tableId = ? AND b.deleted = 0 AND NOT EXISTS (SELECT 1 FROM \(Identifier.quote(table.name)) AS t WHERE \(Self.rowOfEntry(table)))
            """)
        try statement.bind([.integer(id)])
        var gone: [SyncBookEntry] = []
        while try statement.step() { gone.append(read(statement)) }
        // A BLOB key is written `{"$base64":…}` in rowKey, which SQL cannot compare with
        // the blob: the anti-join calls every such row gone, so each is looked up by its
        // decoded key (else every export would ship its delete and the row again).
        let blobKeyed = Array("\"$base64\"".utf8)
        if gone.contains(where: { $0.rowKey.firstRange(of: blobKeyed) != nil }) {
            let lookup = try database.prepare("SELECT 1 FROM \(Identifier.quote(table.name)) WHERE "
                + table.primaryKey.map { "\(Identifier.quote($0)) = ?" }.joined(separator: " AND "))
            gone = try gone.filter { entry in
                guard entry.rowKey.firstRange(of: blobKeyed) != nil, let key = PortableRow.keyValues(ofRowKey: entry.rowKey),
                      key.count == table.primaryKey.count else { return true }
                try lookup.bind(key)
                defer { lookup.reset() }
                return try !lookup.step()
            }
        }
        for entry in gone { try body(entry) }
    }

    package func tombstones(of table: String, after sequence: Int64?, _ body: (SyncBookEntry) throws -> Void) throws {
        guard let id = try tableId(table) else { return }
        let statement = try database.prepare("""
            SELECT \(Self.entryColumns.joined(separator: ", ")) FROM _ferry_rows INDEXED BY _ferry_rows_tombstones
            WHERE tableId = ? AND deleted = 1 AND seq > ? ORDER BY seq
            """)
        try statement.bind([.integer(id), .integer(sequence ?? -1)])
        var found: [SyncBookEntry] = []
        while try statement.step() { found.append(read(statement)) }
        for entry in found { try body(entry) }
    }

    package func compactTombstones(before sequence: Int64?) throws -> Int {
        let statement = try database.prepare("DELETE FROM _ferry_rows WHERE deleted = 1 AND seq <= ?")
        try statement.bind([.integer(sequence ?? .max)])
        try statement.step()
        if database.changes > 0 { changed = true }
        return database.changes
    }

    package func liveEntryCount(table: String) throws -> Int {
        guard let id = try tableId(table) else { return 0 }
        if case .integer(let count)? = try database.scalar("SELECT count(*) FROM _ferry_rows WHERE tableId = ? AND deleted = 0", [.integer(id)]) { return Int(count) }
        return 0
    }

    package func tombstoneCount() throws -> Int {
        if case .integer(let count)? = try database.scalar("SELECT count(*) FROM _ferry_rows WHERE deleted = 1") { return Int(count) }
        return 0
    }

    package func saveSequence() throws {
        guard sequence != savedSequence else { return }
        try setState(SyncState.sequence, String(sequence))
        savedSequence = sequence
    }

    package func exportSequence(of id: String) throws -> Int64? {
        try state(SyncState.exportPrefix + id.lowercased()).flatMap { Int64($0) }
    }

    package func recordExport(_ id: String) throws {
        try saveSequence()
        try setState(SyncState.exportPrefix + id.lowercased(), String(sequence))
    }

    package func state(_ key: String) throws -> String? {
        try database.scalar("SELECT value FROM _ferry_state WHERE key = ?", [.text(key)])?.string
    }

    /// `DEVICE:INODE` of the database file; nil for a database without one (in memory).
    package static func fileIdentity(of path: String) -> String? {
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

    package func setState(_ key: String, _ value: String) throws {
        try Self.setState(database, key, value)
    }
}

/// The versions a packer packed last, with their packed form. One packer is called from
/// one thread at a time (the export's encoding thread).
private final class LastPackedVersions: @unchecked Sendable {
    private var last: (versions: VersionVector, packed: Value)?

    func packed(_ versions: VersionVector) -> Value {
        if let last, last.versions == versions { return last.packed }
        let packed = BookPacking.pack(versions: versions)
        last = (versions, packed)
        return packed
    }
}
