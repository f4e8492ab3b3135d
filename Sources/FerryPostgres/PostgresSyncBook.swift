import FerryKit
import FerrySQLite
import Foundation

/// The sync book in PostgreSQL: the same entries as SQLite's (`SQLiteSyncBook`), in
/// `_ferry_tables`, `_ferry_rows` and `_ferry_state` of the store's schema. Keys and
/// identities are kept as their bytes (`bytea`), not packed: PostgreSQL has no column
/// without a type to hold SQLite's mix of integer, text and BLOB keys.
final class PostgresSyncBook: SyncBook {
    private let store: PostgresStore
    private var connection: PostgresConnection { store.connection }
    private let byKey: PostgresStatement
    private let hashByKey: PostgresStatement
    private let byIdentity: PostgresStatement
    private let upsert: PostgresStatement
    private let delete: PostgresStatement
    private let tombstone: PostgresStatement
    private let joinVersions: PostgresStatement
    private let fingerprintByKey: PostgresStatement
    private(set) var changed = false
    private(set) var recorded = 0
    let keepsEntries = true
    let storeId: String
    private(set) var sequence: Int64
    private var savedSequence: Int64
    private static let entryColumns = ["rowKey", "identity", "hash", "digests", "deleted", "versions", "seq", "fingerprint", "inTable"]
    /// `entryColumns` as a SELECT list (`read(_:row:)` reads it): the hash as XXH64's bigint or
    /// a version 1 tombstone's text.
    private static let entrySelect = entryColumns.map { $0 == "hash" ? "coalesce(hash::text, hashText)" : $0 }.joined(separator: ", ")
    private var tableIds: [String: Int64] = [:]
    private var indexedGone = Set<Int64>()
    private var rowByCloudIdStatements: [String: PostgresStatement] = [:]

    static let createSQL = """
        CREATE TABLE IF NOT EXISTS _ferry_tables (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS _ferry_rows (
            tableId bigint NOT NULL, rowKey bytea NOT NULL, identity bytea NOT NULL, hash bigint, hashText text, digests bytea NOT NULL,
            deleted boolean NOT NULL DEFAULT false, versions text NOT NULL DEFAULT '', seq bigint NOT NULL DEFAULT 0,
            changedAt bigint NOT NULL DEFAULT 0, fingerprint bigint, inTable boolean NOT NULL DEFAULT false,
            PRIMARY KEY (tableId, rowKey));
        CREATE INDEX IF NOT EXISTS _ferry_rows_identity ON _ferry_rows (tableId, identity) WHERE deleted OR NOT inTable;
        CREATE INDEX IF NOT EXISTS _ferry_rows_tombstones ON _ferry_rows (tableId, seq) WHERE deleted;
        CREATE TABLE IF NOT EXISTS _ferry_state (key text PRIMARY KEY, value text NOT NULL);
        """

    static func open(_ store: PostgresStore) throws -> PostgresSyncBook? {
        guard try store.tableExists("_ferry_rows") else { return nil }
        return try PostgresSyncBook(store: store)
    }

    private init(store: PostgresStore) throws {
        self.store = store
        let connection = store.connection
        byKey = try connection.prepare("SELECT \(Self.entrySelect) FROM _ferry_rows WHERE tableId = $1 AND rowKey = $2")
        hashByKey = try connection.prepare("SELECT coalesce(hash::text, hashText), seq, fingerprint FROM _ferry_rows WHERE tableId = $1 AND rowKey = $2 AND NOT deleted")
        fingerprintByKey = try connection.prepare("UPDATE _ferry_rows SET fingerprint = $3 WHERE tableId = $1 AND rowKey = $2 AND fingerprint IS DISTINCT FROM $3")
        byIdentity = try connection.prepare("SELECT \(Self.entrySelect) FROM _ferry_rows WHERE tableId = $1 AND identity = $2 AND (deleted OR NOT inTable) LIMIT 16")
        upsert = try connection.prepare("""
            INSERT INTO _ferry_rows AS r (tableId, rowKey, identity, hash, hashText, digests, deleted, versions, fingerprint, inTable, seq, changedAt)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $7 THEN extract(epoch FROM now())::bigint ELSE 0 END)
            ON CONFLICT (tableId, rowKey) DO UPDATE SET identity = excluded.identity, hash = excluded.hash, hashText = excluded.hashText,
                digests = excluded.digests, deleted = excluded.deleted, versions = excluded.versions, seq = excluded.seq,
                changedAt = excluded.changedAt, fingerprint = excluded.fingerprint, inTable = excluded.inTable
            WHERE r.identity IS DISTINCT FROM excluded.identity OR r.hash IS DISTINCT FROM excluded.hash OR r.hashText IS DISTINCT FROM excluded.hashText
                OR r.digests IS DISTINCT FROM excluded.digests OR r.deleted IS DISTINCT FROM excluded.deleted
                OR r.versions IS DISTINCT FROM excluded.versions OR r.inTable IS DISTINCT FROM excluded.inTable
            """)
        delete = try connection.prepare("DELETE FROM _ferry_rows WHERE tableId = $1 AND rowKey = $2")
        tombstone = try connection.prepare("""
            UPDATE _ferry_rows SET deleted = true, versions = coalesce($3, versions), seq = $4, changedAt = extract(epoch FROM now())::bigint
            WHERE tableId = $1 AND rowKey = $2 AND (NOT deleted OR versions IS DISTINCT FROM coalesce($3, versions))
            """)
        joinVersions = try connection.prepare("""
            UPDATE _ferry_rows SET versions = $3, seq = $4, changedAt = CASE WHEN deleted THEN extract(epoch FROM now())::bigint ELSE 0 END
            WHERE tableId = $1 AND rowKey = $2 AND versions IS DISTINCT FROM $3
            """)
        // A copy of the database (pg_dump restored as another database) carries the book and
        // its store id: it takes a new id, as a copied SQLite file does (SQLiteSyncBook).
        let place = try connection.scalar("SELECT current_database() || ':' || (SELECT oid FROM pg_database WHERE datname = current_database())::text || ':' || current_schema()")?.string
        let recordedPlace = try Self.state(connection, "file")
        if let id = try Self.state(connection, "storeId"), recordedPlace == nil || recordedPlace == place {
            storeId = id
        } else {
            storeId = SyncState.newStoreId()
            try Self.setState(connection, "storeId", storeId)
        }
        if let place, place != recordedPlace { try Self.setState(connection, "file", place) }
        sequence = try Self.state(connection, SyncState.sequence).flatMap { Int64($0) } ?? 0
        savedSequence = sequence
    }

    private func read(_ result: PostgresResult, row: Int) -> SyncBookEntry {
        func bytes(_ column: Int) -> [UInt8] {
            switch result.value(row: row, column: column) {
            case .blob(let value), .text(let value): return value
            default: return []
            }
        }
        var hash = result.string(row: row, column: 2) ?? ""
        if let bits = Int64(hash) { hash = PortableRow.hex(UInt64(bitPattern: bits)) }
        var entry = SyncBookEntry(rowKey: bytes(0), identity: bytes(1), hash: hash, digests: ColumnDigests(blob: bytes(3)),
                                  deleted: result.value(row: row, column: 4) == .integer(1),
                                  versions: (try? VersionVector(decoding: bytes(5))) ?? VersionVector())
        if case .integer(let sequence) = result.value(row: row, column: 6) { entry.sequence = sequence }
        if case .integer(let fingerprint) = result.value(row: row, column: 7) { entry.fingerprint = fingerprint }
        entry.inTable = result.value(row: row, column: 8) == .integer(1)
        return entry
    }

    private func entries(_ result: PostgresResult) -> [SyncBookEntry] {
        (0..<result.rowCount).map { read(result, row: $0) }
    }

    private func tableId(_ table: String, create: Bool = false) throws -> Int64? {
        if let id = tableIds[table] { return id }
        if !create, tablesWithoutId.contains(table) { return nil }
        var found = try connection.scalar("SELECT id FROM _ferry_tables WHERE name = $1", [.text(table)])
        if found == nil && create { found = try connection.scalar("INSERT INTO _ferry_tables (name) VALUES ($1) RETURNING id", [.text(table)]) }
        guard case .integer(let id)? = found else {
            // Inside a transaction only this book names tables: the answer holds until it
            // does (a table's first import after prepare asked once a row).
            if connection.isInTransaction { tablesWithoutId.insert(table) }
            return nil
        }
        tableIds[table] = id
        tablesWithoutId.remove(table)
        return id
    }
    private var tablesWithoutId = Set<String>()

    private static func versionsText(_ versions: VersionVector) -> Value { .text(versions.isEmpty ? [] : versions.bytes) }

    func entry(table: String, rowKey: [UInt8]) throws -> SyncBookEntry? {
        if let known = prefetched(table)?.byKey[.blob(rowKey)] { return known?.entry }
        guard let id = try tableId(table) else { return nil }
        try writePending(before: id)
        return entries(try connection.run(byKey, [.integer(id), .blob(rowKey)])).first
    }

    func hash(table: String, rowKey: [UInt8]) throws -> (hash: String, sequence: Int64, fingerprint: Int64?)? {
        try writePending()
        guard let id = try tableId(table) else { return nil }
        store.bookLookupsByKey += 1
        let result = try connection.run(hashByKey, [.integer(id), .blob(rowKey)])
        guard result.rowCount > 0 else { return nil }
        var hash = result.string(row: 0, column: 0) ?? ""
        if let bits = Int64(hash) { hash = PortableRow.hex(UInt64(bitPattern: bits)) }
        var fingerprint: Int64?
        if case .integer(let value) = result.value(row: 0, column: 2) { fingerprint = value }
        guard case .integer(let sequence) = result.value(row: 0, column: 1) else { return (hash, 0, fingerprint) }
        return (hash, sequence, fingerprint)
    }

    /// The scan joins this book by the key's bytes rebuilt in SQL (`PostgresStore.scan(…,
    /// withBookEntriesOf:)`), where SQL can spell them as Ferry's JSON does.
    func scanKey(of table: String) throws -> Int64? { try tableId(table) }

    func setFingerprint(table: String, rowKey: [UInt8], _ fingerprint: Int64) throws {
        try writePending()
        guard let id = try tableId(table) else { return }
        try connection.run(fingerprintByKey, [.integer(id), .blob(rowKey), .integer(fingerprint)])
        if batch?.table == table {
            if case var known?? = batch?.byKey[.blob(rowKey)] {
                known.entry.fingerprint = fingerprint
                batch?.byKey[.blob(rowKey)] = known
            }
            batch?.byIdentity = [:] // their copies of the entry
        }
    }

    func entries(table: TableDefinition, identity: [UInt8]) throws -> [SyncBookEntry] {
        var result: [SyncBookEntry]
        if let listed = prefetched(table.name)?.byIdentity[.blob(identity)] {
            result = listed
        } else {
            guard let id = try tableId(table.name) else { return [] }
            try writePending(before: id)
            try indexRowsGoneHere(table, id)
            result = entries(try connection.run(byIdentity, [.integer(id), .blob(identity)]))
        }
        if let column = table.cloudId, !table.primaryKey.isEmpty, let cloudId = PortableRow.cloudId(inIdentity: identity) {
            for key in try rows(of: table, column, holding: cloudId) {
                guard let entry = try entry(table: table.name, rowKey: PortableRow.rowKey(key)), entry.inTable, !entry.deleted,
                      entry.identity == identity, !result.contains(where: { $0.rowKey == entry.rowKey }) else { continue }
                result.append(entry)
            }
        }
        return result
    }

    /// The keys of the rows whose cloudId column holds `cloudId`: through the import's own
    /// access to the table, whose batch lookups have mostly answered it, else asked.
    private func rows(of table: TableDefinition, _ column: String, holding cloudId: Value) throws -> [[Value]] {
        if let access = store.accessMade(for: table.name), access.prefetches {
            return try access.keys(where: [column], equal: [cloudId], limit: 16, nullsEqual: false)
        }
        try writePending()
        let rows = try connection.run(try rowByCloudId(table, column), [cloudId])
        return (0..<rows.rowCount).map { row in table.primaryKey.indices.map { rows.value(row: row, column: $0) } }
    }

    private func rowByCloudId(_ table: TableDefinition, _ column: String) throws -> PostgresStatement {
        if let statement = rowByCloudIdStatements[table.name] { return statement }
        let statement = try connection.prepare("SELECT \(Identifier.quoteList(table.primaryKey)) FROM \(store.qualified(table.name)) WHERE \(Identifier.quote(column)) = $1 LIMIT 16")
        rowByCloudIdStatements[table.name] = statement
        return statement
    }

    /// SQL that holds when row `t` is the row of entry `b`, comparing each key column's text
    /// with the element of the entry's JSON key: an equality of text, which PostgreSQL joins
    /// by hashing, once for the whole table. A value whose text differs from its JSON (a
    /// BLOB, a REAL written `1.0`) finds no row; callers check such entries one by one.
    /// A character(n) key's text drops the padding its JSON keeps (`'D'` against `"D   "`,
    /// which PostgreSQL calls equal): its element is compared without trailing spaces.
    /// An entry moved aside (`asideKey`, `["\u0000retired",…]`) is no row's key, and jsonb
    /// refuses `\u0000` ("unsupported Unicode escape sequence"): its element is NULL, which
    /// equals no row, as SQLite's json_extract of it does.
    private func rowOfEntry(_ table: TableDefinition) throws -> String {
        let types = try store.columnTypes(of: table.name)
        return table.primaryKey.enumerated().map { index, column in
            let element = "(CASE WHEN position('\\x5c7530303030'::bytea IN b.rowKey) > 0 THEN NULL ELSE convert_from(b.rowKey, 'UTF8')::jsonb ->> \(index) END)"
            return "t.\(Identifier.quote(column))::text = \(types[column] == PostgresTypes.bpchar ? "rtrim(\(element), ' ')" : element)"
        }.joined(separator: " AND ")
    }

    /// As in SQLiteSyncBook: entries kept out of the identity index because their row held
    /// their cloudId go back into it once that row no longer does.
    private func indexRowsGoneHere(_ table: TableDefinition, _ id: Int64) throws {
        guard !indexedGone.contains(id) else { return }
        indexedGone.insert(id)
        guard let column = table.cloudId, !table.primaryKey.isEmpty else { return }
        // The server keeps only entries whose row no longer spells their identity (the result
        // is held whole, so it must be the few, not the table); Swift confirms each below, as
        // the server's JSON escaping may differ from Ferry's (a false "lost" only puts an
        // entry back in the index).
        let cloudId = "t.\(Identifier.quote(column))"
        let rows = try connection.query("""
            SELECT b.rowKey, b.identity, \(cloudId) FROM _ferry_rows AS b
            LEFT JOIN \(store.qualified(table.name)) AS t ON \(try rowOfEntry(table))
            WHERE b.tableId = $1 AND b.inTable AND NOT b.deleted
              AND (\(cloudId) IS NULL OR b.identity <> convert_to('{"cloudId":' || to_json(\(cloudId)::text)::text || '}', 'UTF8'))
            """, [.integer(id)])
        for row in 0..<rows.rowCount {
            let cloudId = rows.value(row: row, column: 2)
            guard cloudId.isNull || .blob(PortableRow.identity(cloudId: cloudId, keys: [])) != rows.value(row: row, column: 1) else { continue }
            try connection.query("UPDATE _ferry_rows SET inTable = false WHERE tableId = $1 AND rowKey = $2", [.integer(id), rows.value(row: row, column: 0)])
        }
    }

    private func runCounted(_ statement: PostgresStatement, _ arguments: [Value]) throws {
        if try connection.run(statement, arguments + [.integer(sequence + 1)]).affectedRows > 0 {
            sequence += 1
            recorded += 1
            changed = true
        }
    }

    func record(table: String, entry: SyncBookEntry) throws {
        let id = try tableId(table, create: true)!
        let stored = StoredEntry(entry)
        var parameters: [Value] {
            [.integer(id), .blob(entry.rowKey), .blob(stored.identity), stored.hash, stored.hashText, .blob(stored.digests),
             .integer(stored.deleted ? 1 : 0), .text(stored.versions), entry.fingerprint.map { .integer($0) } ?? .null, .integer(stored.inTable ? 1 : 0)]
        }
        if let known = prefetched(table)?.byKey[.blob(entry.rowKey)] {
            // The entry there is known: the upsert's "only when it differs" is decided here,
            // so the entry can wait to go in with others under its sequence number.
            if let known, known.stored == stored { return }
            sequence += 1
            recorded += 1
            changed = true
            let key = PendingKey(table: id, rowKey: .blob(entry.rowKey))
            if pendingNewKeys.contains(key) || pendingUpsertKeys.contains(key) { try writePending() }
            pendingUpserts.append(parameters + [.integer(sequence)])
            if known == nil { pendingInserts += 1 }
            pendingUpsertKeys.insert(key)
            var written = entry
            written.hash = SQLiteSyncBook.hashText(stored.hash.isNull ? stored.hashText : stored.hash)
            written.digests = ColumnDigests(blob: stored.digests)
            written.inTable = stored.inTable
            written.sequence = sequence
            notePrefetchedWrite(table, entry.rowKey, now: CachedEntry(entry: written, stored: stored), was: known)
            if pendingUpserts.count >= Self.setSize { try writePending() }
            return
        }
        try writePending()
        try runCounted(upsert, parameters)
        // Its key was not read ahead; an identity's list may now lack or hold it.
        forgetPrefetched(table, entry.rowKey)
    }

    // MARK: Entries read and written a batch at a time

    /// The columns the upsert compares (its WHERE) as stored: XXH64 as a bigint, a version 1
    /// tombstone's sha256 as the text it is.
    private struct StoredEntry: Equatable {
        var identity: [UInt8]
        var hash: Value
        var hashText: Value
        var digests: [UInt8]
        var deleted: Bool
        var versions: [UInt8]
        var inTable: Bool

        init(_ entry: SyncBookEntry) {
            identity = entry.identity
            let stored = SQLiteSyncBook.storedHash(entry.hash)
            (hash, hashText) = if case .integer = stored { (stored, .null) } else { (.null, stored) }
            digests = entry.digests.blob
            deleted = entry.deleted
            versions = entry.versions.isEmpty ? [] : entry.versions.bytes
            inTable = entry.inTable && !entry.deleted
        }

        /// As read: the columns of `prefetchSelect` after the entry's (inTable as the column
        /// holds it: a tombstone may keep it true).
        init(_ result: PostgresResult, row: Int) {
            let first = PostgresSyncBook.entryColumns.count
            func value(_ column: Int) -> Value { result.value(row: row, column: first + column) }
            func bytes(_ column: Int) -> [UInt8] {
                switch value(column) {
                case .blob(let value), .text(let value): return value
                default: return []
                }
            }
            identity = bytes(0)
            hash = value(1)
            hashText = value(2)
            digests = bytes(3)
            deleted = value(4) == .integer(1)
            versions = bytes(5)
            inTable = value(6) == .integer(1)
        }
    }

    private struct CachedEntry {
        var entry: SyncBookEntry
        var stored: StoredEntry
    }

    /// One table's entries read for the batch being applied (`prefetch`): by key (nil: the
    /// book has none there), and by identity, the entries its identity index lists
    /// (deleted, or not found through the table's cloudId). This book's writes keep them
    /// true; a write whose effect is not worked out here forgets what it touches.
    private struct Prefetched {
        let table: String
        var byKey: [Value: CachedEntry?] = [:]
        var byIdentity: [Value: [SyncBookEntry]] = [:]
    }
    private var batch: Prefetched?

    private func prefetched(_ table: String) -> Prefetched? {
        guard let batch, batch.table == table else { return nil }
        return batch
    }

    private struct PendingKey: Hashable {
        let table: Int64
        let rowKey: Value // .blob: a byte array's own hash takes a call per byte
    }
    /// Changed entries waiting to go in together (`record` of a key read ahead), each its
    /// parameters, sequence number included.
    private var pendingUpserts: [[Value]] = []
    private var pendingUpsertKeys = Set<PendingKey>()
    private var pendingNewKeys = Set<PendingKey>()
    /// Of the waiting changed entries, those at a key that had none (inserts).
    private var pendingInserts = 0
    private static let setSize = 256

    var readsAhead: Bool { store.readsBookAhead && connection.isInTransaction }

    /// An entry, then the columns the upsert compares as they are stored (`StoredEntry`).
    private static let prefetchSelect = entrySelect + ", identity, hash, hashText, digests, deleted, versions, inTable"

    func prefetch(table: TableDefinition, rowKeys: [[UInt8]], identities: [[UInt8]]) throws {
        batch = nil
        try writePending()
        guard readsAhead else { return }
        var batch = Prefetched(table: table.name)
        let keys = Array(Set(rowKeys)), identities = Array(Set(identities))
        guard let id = try tableId(table.name) else {
            // The book has no entry of this table yet (its first import after prepare):
            // every key and identity is known to have none.
            for key in keys { batch.byKey[.blob(key)] = .some(nil) }
            for identity in identities { batch.byIdentity[.blob(identity)] = [] }
            self.batch = batch
            return
        }
        try indexRowsGoneHere(table, id)
        if !keys.isEmpty {
            let statement = try prefetchByKey ?? connection.prepare(
                "SELECT \(Self.prefetchSelect) FROM _ferry_rows WHERE tableId = $1 AND rowKey = ANY (ARRAY (SELECT decode(k, 'hex') FROM unnest($2::text[]) AS k))")
            prefetchByKey = statement
            let result = try connection.run(statement, [.integer(id), .text(Self.hexArray(keys))])
            for key in keys { batch.byKey[.blob(key)] = .some(nil) }
            for row in 0..<result.rowCount {
                let entry = read(result, row: row)
                batch.byKey[.blob(entry.rowKey)] = CachedEntry(entry: entry, stored: StoredEntry(result, row: row))
            }
        }
        if !identities.isEmpty {
            let statement = try prefetchByIdentity ?? connection.prepare(
                "SELECT \(Self.prefetchSelect) FROM _ferry_rows WHERE tableId = $1 AND (deleted OR NOT inTable) AND identity = ANY (ARRAY (SELECT decode(k, 'hex') FROM unnest($2::text[]) AS k))")
            prefetchByIdentity = statement
            let result = try connection.run(statement, [.integer(id), .text(Self.hexArray(identities))])
            for identity in identities { batch.byIdentity[.blob(identity)] = [] }
            for row in 0..<result.rowCount {
                let entry = read(result, row: row)
                // As the single lookup (LIMIT 16): a few entries an identity.
                if batch.byIdentity[.blob(entry.identity), default: []].count < 16 { batch.byIdentity[.blob(entry.identity), default: []].append(entry) }
            }
        }
        store.bookBatchesReadAhead += 1
        self.batch = batch
    }
    private var prefetchByKey: PostgresStatement?
    private var prefetchByIdentity: PostgresStatement?

    /// `{hex,hex}`: a text[] of hex digits needs no quoting.
    private static func hexArray(_ values: [[UInt8]]) -> [UInt8] {
        var literal: [UInt8] = [UInt8(ascii: "{")]
        let digits = Array("0123456789abcdef".utf8)
        for (index, value) in values.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            for byte in value {
                literal.append(digits[Int(byte >> 4)])
                literal.append(digits[Int(byte & 0x0F)])
            }
        }
        literal.append(UInt8(ascii: "}"))
        return literal
    }

    /// Keeps the batch's entries true after `record` wrote `now` at `rowKey` over `was`.
    private func notePrefetchedWrite(_ table: String, _ rowKey: [UInt8], now: CachedEntry, was: CachedEntry?) {
        guard var batch = prefetched(table) else { return }
        self.batch = nil // no copy on write
        batch.byKey[.blob(rowKey)] = now
        if let was { batch.byIdentity[.blob(was.entry.identity)]?.removeAll { $0.rowKey == rowKey } }
        if now.entry.deleted || !now.stored.inTable {
            // Listed under its identity now; a list not read is asked for when wanted.
            let identity = Value.blob(now.entry.identity)
            batch.byIdentity[identity]?.removeAll { $0.rowKey == rowKey }
            batch.byIdentity[identity]?.append(now.entry)
        }
        self.batch = batch
    }

    /// After a write whose effect on the entry at `rowKey` is not worked out here: that
    /// entry, and every identity's list, are read again when asked for.
    private func forgetPrefetched(_ table: String, _ rowKeys: [UInt8]...) {
        guard batch?.table == table else { return }
        for rowKey in rowKeys { batch?.byKey[.blob(rowKey)] = nil }
        batch?.byIdentity = [:]
    }

    /// Writes the waiting entries when a set holds one of table `id`: a read of another
    /// table's entries (a child's parent, asked by its identity) need not send them, or the
    /// sets of a table whose rows are inserted one by one would hold a row each.
    private func writePending(before id: Int64) throws {
        if pendingNewKeys.contains(where: { $0.table == id }) || pendingUpsertKeys.contains(where: { $0.table == id }) { try writePending() }
    }

    /// Writes the waiting entries: new ones, then changed ones, each kind a set at a time.
    private func writePending() throws {
        try writeNewEntries()
        guard !pendingUpserts.isEmpty else { return }
        let rows = pendingUpserts
        pendingUpserts = []
        pendingUpsertKeys = []
        let statement = try setStatement(\.upsertSetStatements, rows: rows.count, width: rows[0].count, after: { p in
            ", CASE WHEN \(p(7))::boolean THEN extract(epoch FROM now())::bigint ELSE 0 END"
        }) { values in """
            INSERT INTO _ferry_rows AS r (tableId, rowKey, identity, hash, hashText, digests, deleted, versions, fingerprint, inTable, seq, changedAt)
            VALUES \(values)
            ON CONFLICT (tableId, rowKey) DO UPDATE SET identity = excluded.identity, hash = excluded.hash, hashText = excluded.hashText,
                digests = excluded.digests, deleted = excluded.deleted, versions = excluded.versions, seq = excluded.seq,
                changedAt = excluded.changedAt, fingerprint = excluded.fingerprint, inTable = excluded.inTable
            """
        }
        let inserted = pendingInserts
        pendingInserts = 0
        try connection.run(statement, Array(rows.joined()))
        store.bookEntriesWrittenTogether += rows.count
        try store.noteGrowth(of: "_ferry_rows", sql: "_ferry_rows", by: inserted)
    }
    private var upsertSetStatements: [Int: PostgresStatement] = [:]

    /// A statement writing `rows` rows of `width` parameters each (`$1`…, row after row, and
    /// `after` the row's own SQL after them, given a row's parameter by its column from 1),
    /// prepared once per number of rows: a set written early, because the book was read,
    /// is smaller than 256.
    private func setStatement(_ cache: ReferenceWritableKeyPath<PostgresSyncBook, [Int: PostgresStatement]>, rows: Int, width: Int,
                              after: ((Int) -> String) -> String = { _ in "" }, _ make: (String) -> String) throws -> PostgresStatement {
        if let statement = self[keyPath: cache][rows] { return statement }
        let values = (0..<rows).map { row in
            let parameter = { (column: Int) in "$\(row * width + column)" }
            return "(" + (1...width).map(parameter).joined(separator: ", ") + after(parameter) + ")"
        }
        let statement = try connection.prepare(make(values.joined(separator: ", ")))
        self[keyPath: cache][rows] = statement
        return statement
    }

    /// New entries waiting to go in together (`recordNew`), each its parameters, sequence
    /// number included: every read and write of the book writes them first.
    private var newEntries: [[Value]] = []

    func recordNew(table: String, entry: SyncBookEntry) throws {
        guard !entry.deleted else { return try record(table: table, entry: entry) }
        let stored = StoredEntry(entry)
        let key = PendingKey(table: try tableId(table, create: true)!, rowKey: .blob(entry.rowKey))
        // One statement cannot write a key twice (its second row would be skipped unseen).
        if pendingUpsertKeys.contains(key) || pendingNewKeys.contains(key) { try writePending() }
        pendingNewKeys.insert(key)
        if case .some(.none) = prefetched(table)?.byKey[.blob(entry.rowKey)] {
            // No entry there before: only the new entry's own identity can list it (after
            // every insert of a tracked import, so the batch's other answers stay).
            batch?.byKey[.blob(entry.rowKey)] = nil
            batch?.byIdentity[.blob(entry.identity)] = nil
        } else {
            forgetPrefetched(table, entry.rowKey)
        }
        sequence += 1
        recorded += 1
        changed = true
        newEntries.append([.integer(key.table), .blob(entry.rowKey), .blob(stored.identity), stored.hash, stored.hashText,
                           .blob(stored.digests), .text(stored.versions), entry.fingerprint.map { .integer($0) } ?? .null,
                           .integer(stored.inTable ? 1 : 0), .integer(sequence)])
        if newEntries.count >= 256 { try writePending() }
    }

    /// Writes the waiting new entries with one statement. An entry whose key the book holds
    /// after all (the caller's word was wrong) is written as `record` writes it.
    private func writeNewEntries() throws {
        guard !newEntries.isEmpty else { return }
        let rows = newEntries
        newEntries = []
        pendingNewKeys = []
        let statement = try setStatement(\.newEntriesStatements, rows: rows.count, width: rows[0].count) { values in """
            INSERT INTO _ferry_rows (tableId, rowKey, identity, hash, hashText, digests, versions, fingerprint, inTable, seq)
            VALUES \(values) ON CONFLICT (tableId, rowKey) DO NOTHING RETURNING tableId, rowKey
            """
        }
        let written = try connection.run(statement, Array(rows.joined()))
        try store.noteGrowth(of: "_ferry_rows", sql: "_ferry_rows", by: written.rowCount)
        guard written.rowCount < rows.count else { return }
        var done = Set<[Value]>()
        for row in 0..<written.rowCount { done.insert([written.value(row: row, column: 0), written.value(row: row, column: 1)]) }
        for row in rows where !done.contains([row[0], row[1]]) {
            // Counted when it waited; counted again if the upsert changes the entry.
            try runCounted(upsert, [row[0], row[1], row[2], row[3], row[4], row[5], .integer(0), row[6], row[7], row[8]])
        }
    }
    private var newEntriesStatements: [Int: PostgresStatement] = [:]

    func markDeleted(table: String, rowKey: [UInt8], versions: VersionVector?) throws {
        try writePending()
        guard let id = try tableId(table) else { return }
        try runCounted(tombstone, [.integer(id), .blob(rowKey), versions.map(Self.versionsText) ?? .null])
        forgetPrefetched(table, rowKey)
    }

    func recordTombstone(table: String, identity: [UInt8], hash: String, digests: ColumnDigests, versions: VersionVector) throws {
        try record(table: table, entry: SyncBookEntry(rowKey: SQLiteSyncBook.asideKey(identity: identity, hash: hash), identity: identity,
                                                      hash: hash, digests: digests, deleted: true, versions: versions))
    }

    func joinTombstone(table: String, rowKey: [UInt8], versions: VersionVector) throws {
        try writePending()
        guard let id = try tableId(table) else { return }
        try runCounted(joinVersions, [.integer(id), .blob(rowKey), Self.versionsText(versions)])
        forgetPrefetched(table, rowKey)
    }

    func retire(table: String, rowKey: [UInt8], unless identity: [UInt8], shipped: Bool) throws {
        // Asked after every insert of a tracked import: a key read ahead that holds no other
        // row's entry needs neither a round trip nor the waiting sets sent.
        if let known = prefetched(table)?.byKey[.blob(rowKey)] {
            guard let existing = known?.entry, existing.identity != identity, !existing.identity.isEmpty else { return }
        }
        try writePending()
        guard let existing = try entry(table: table, rowKey: rowKey), existing.identity != identity, !existing.identity.isEmpty,
              let id = try tableId(table) else { return }
        let aside = SQLiteSyncBook.asideKey(identity: existing.identity, hash: existing.hash)
        // SQLite's UPDATE OR REPLACE: an entry already aside under that key gives way.
        try connection.query("DELETE FROM _ferry_rows WHERE tableId = $1 AND rowKey = $2", [.integer(id), .blob(aside)])
        try connection.query("UPDATE _ferry_rows SET rowKey = $3, deleted = deleted OR $4, inTable = false WHERE tableId = $1 AND rowKey = $2",
                             [.integer(id), .blob(rowKey), .blob(aside), .integer(shipped ? 1 : 0)])
        forgetPrefetched(table, rowKey, aside)
        changed = true
    }

    func remove(table: String, rowKey: [UInt8]) throws {
        try writePending()
        guard let id = try tableId(table) else { return }
        if try connection.run(delete, [.integer(id), .blob(rowKey)]).affectedRows > 0 { changed = true }
        forgetPrefetched(table, rowKey)
    }

    func deferIdentityIndexIfEmpty() throws -> Bool { false }
    func buildIdentityIndex() throws {}

    func hasEntries(table: String) throws -> Bool {
        try writePending()
        guard let id = try tableId(table) else { return false }
        return try connection.scalar("SELECT 1 FROM _ferry_rows WHERE tableId = $1 LIMIT 1", [.integer(id)]) != nil
    }

    func liveEntryCount(table: String) throws -> Int {
        try writePending()
        guard let id = try tableId(table) else { return 0 }
        if case .integer(let count)? = try connection.scalar("SELECT count(*) FROM _ferry_rows WHERE tableId = $1 AND NOT deleted", [.integer(id)]) { return Int(count) }
        return 0
    }

    func vanished(from table: TableDefinition, _ body: (SyncBookEntry) throws -> Void) throws {
        try writePending()
        guard !table.primaryKey.isEmpty, let id = try tableId(table.name) else { return }
        let columns = Self.entryColumns.map { $0 == "hash" ? "coalesce(b.hash::text, b.hashText)" : "b.\($0)" }.joined(separator: ", ")
        // Entries are small (no row values): the ones that look gone are few, and each is
        // confirmed by its decoded key, so a key whose text differs from its JSON is not lost.
        let candidates = entries(try connection.query("""
            SELECT \(columns) FROM _ferry_rows AS b
            WHERE b.tableId = $1 AND NOT b.deleted AND NOT EXISTS (SELECT 1 FROM \(store.qualified(table.name)) AS t WHERE \(try rowOfEntry(table)))
            """, [.integer(id)]))
        guard !candidates.isEmpty else { return }
        let access = try PostgresTableAccess(store: store, table: table)
        for entry in candidates {
            if let key = PortableRow.keyValues(ofRowKey: entry.rowKey), key.count == table.primaryKey.count, try access.values([], at: key) != nil { continue }
            try body(entry)
        }
    }

    func tombstones(of table: String, after sequence: Int64?, _ body: (SyncBookEntry) throws -> Void) throws {
        try writePending()
        guard let id = try tableId(table) else { return }
        let found = entries(try connection.query("SELECT \(Self.entrySelect) FROM _ferry_rows WHERE tableId = $1 AND deleted AND seq > $2 ORDER BY seq",
                                                 [.integer(id), .integer(sequence ?? -1)]))
        for entry in found { try body(entry) }
    }

    func compactTombstones(before sequence: Int64?) throws -> Int {
        try writePending()
        let removed = try connection.query("DELETE FROM _ferry_rows WHERE deleted AND seq <= $1", [.integer(sequence ?? .max)]).affectedRows
        batch = nil
        if removed > 0 { changed = true }
        return removed
    }

    func tombstoneCount() throws -> Int {
        try writePending()
        if case .integer(let count)? = try connection.scalar("SELECT count(*) FROM _ferry_rows WHERE deleted") { return Int(count) }
        return 0
    }

    func saveSequence() throws {
        try writePending()
        guard sequence != savedSequence else { return }
        try setState(SyncState.sequence, String(sequence))
        savedSequence = sequence
    }

    func exportSequence(of id: String) throws -> Int64? {
        try writePending()
        return try state(SyncState.exportPrefix + id.lowercased()).flatMap { Int64($0) }
    }

    func recordExport(_ id: String) throws {
        try writePending()
        try saveSequence()
        try setState(SyncState.exportPrefix + id.lowercased(), String(sequence))
    }

    func state(_ key: String) throws -> String? {
        try writePending()
        return try Self.state(connection, key)
    }
    func setState(_ key: String, _ value: String) throws {
        try writePending()
        try Self.setState(connection, key, value)
    }

    private static func state(_ connection: PostgresConnection, _ key: String) throws -> String? {
        try connection.scalar("SELECT value FROM _ferry_state WHERE key = $1", [.text(key)])?.string
    }

    private static func setState(_ connection: PostgresConnection, _ key: String, _ value: String) throws {
        try connection.query("INSERT INTO _ferry_state VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [.text(key), .text(value)])
    }

    /// What the book holds, for `inspect --db`.
    static func summary(_ store: PostgresStore) throws -> SyncBookSummary? {
        guard try store.tableExists("_ferry_rows") else { return nil }
        let connection = store.connection
        func count(_ sql: String) throws -> Int {
            if case .integer(let value)? = try connection.scalar(sql) { return Int(value) }
            return 0
        }
        var summary = SyncBookSummary(storeId: try state(connection, "storeId"), lastExport: try state(connection, SyncState.lastExport))
        summary.tracked = try count("SELECT count(*) FROM _ferry_rows WHERE NOT deleted")
        summary.tombstones = try count("SELECT count(*) FROM _ferry_rows WHERE deleted")
        if case .integer(let oldest)? = try connection.scalar("SELECT min(changedAt) FROM _ferry_rows WHERE deleted AND changedAt > 0") {
            summary.oldestTombstone = Date(timeIntervalSince1970: TimeInterval(oldest))
        }
        summary.exports = try count("SELECT count(*) FROM _ferry_state WHERE key LIKE 'export:%'")
        return summary
    }
}
