import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// A PostgreSQL book reads a batch's entries at once and writes changed entries in sets
/// (`PostgresSyncBook.prefetch`), deciding itself which entries change and numbering them.
/// The model: a second cloud, the same in every row and every SQL edit, whose book reads
/// and writes each entry alone. Both take the same changesets from a prepared SQLite
/// laptop over rounds of edits, deletes and new rows on both sides (generated from a
/// seed), and after every import their reports, rows and books (sequence numbers included)
/// must be equal, and so must the records each ships back.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresBookReadAheadTests {
    private static let cloudSchema = """
        CREATE TABLE users (id text PRIMARY KEY, email text NOT NULL UNIQUE, name text, "cloudId" text UNIQUE);
        CREATE TABLE orders (id text PRIMARY KEY, "userId" text NOT NULL REFERENCES users (id), code text NOT NULL UNIQUE, amount integer, "cloudId" text UNIQUE);
        INSERT INTO users SELECT 't' || i, 'u' || i || '@x', 'cloud ' || i, 'cu' || i FROM generate_series(0, 349) AS i;
        INSERT INTO orders SELECT 'to' || i, 't' || (i % 350), 'o' || i, i, 'co' || i FROM generate_series(0, 699) AS i;
        """

    private struct Cloud {
        let store: PostgresStore
        let name: String

        /// Rows and book (the store id spelled SELF).
        func state() throws -> [String] {
            let storeId = try #require(try store.connection.scalar("SELECT value FROM _ferry_state WHERE key = 'storeId'")?.string)
            var lines: [String] = []
            for query in [
                #"SELECT concat_ws('|', id, email, name, "cloudId") FROM users ORDER BY id COLLATE "C""#,
                #"SELECT concat_ws('|', id, "userId", code, amount, "cloudId") FROM orders ORDER BY id COLLATE "C""#,
                """
                SELECT concat_ws('|', t.name, encode(r.rowKey, 'escape'), encode(r.identity, 'escape'), coalesce(r.hash::text, r.hashText),
                                 encode(r.digests, 'hex'), r.deleted, replace(r.versions, $1, 'SELF'), r.fingerprint, r.inTable)
                FROM _ferry_rows AS r JOIN _ferry_tables AS t ON t.id = r.tableId ORDER BY t.name, r.rowKey
                """,
                // How many numbers were given out, but not which entry holds which: an export
                // numbers the entries it ships in the order PostgreSQL keeps the rows, which
                // updates sent in sets change (and an entry numbered again gives one up).
                "SELECT max(seq)::text FROM _ferry_rows",
                "SELECT key || '=' || value FROM _ferry_state WHERE key IN ('sequence') ORDER BY key",
            ] {
                let result = try store.connection.query(query, query.contains("$1") ? [.text(storeId)] : [])
                lines += (0..<result.rowCount).map { result.string(row: $0, column: 0) ?? "NULL" }
            }
            return lines.map { $0.replacingOccurrences(of: storeId, with: "SELF") }
        }

        func execute(_ sql: [String]) throws {
            for statement in sql { try store.connection.execute(statement) }
        }
    }

    /// The records of a changeset's table files (the exporting book's store id spelled SELF).
    private func records(_ changeset: String, storeId: String) throws -> [String] {
        var lines: [String] = []
        for table in ["users", "orders"] {
            let path = URL(fileURLWithPath: changeset).appendingPathComponent("\(table).ndjson.gz").path
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let text = try gunzip(path)
            lines += text.split(separator: "\n").map { $0.replacingOccurrences(of: storeId, with: "SELF") }
        }
        return lines
    }

    private func gunzip(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func aBookReadAheadEndsAsABookReadEntryByEntry(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            var random = SplitMix64(seed: seed)
            func pick(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }
            func maybe(_ chance: Double) -> Bool { Double.random(in: 0..<1, using: &random) < chance }
            let laptop = try SQLiteStore(path: directory.appendingPathComponent("laptop.db").path, mode: .readWriteCreate)
            try laptop.database.execute("""
                CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, cloudId TEXT UNIQUE);
                CREATE TABLE orders (id TEXT PRIMARY KEY, userId TEXT NOT NULL REFERENCES users (id), code TEXT NOT NULL UNIQUE, amount INTEGER, cloudId TEXT UNIQUE);
                WITH RECURSIVE s(i) AS (SELECT 50 UNION ALL SELECT i + 1 FROM s WHERE i < 399)
                INSERT INTO users SELECT 'l' || i, 'u' || i || '@x', 'laptop ' || i, NULL FROM s;
                WITH RECURSIVE s(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM s WHERE i < 799)
                INSERT INTO orders SELECT 'lo' || i, 'l' || (50 + i % 350), 'o' || i, i * 2, NULL FROM s;
                """)
            _ = try Preparer.prepare(store: laptop, tables: nil, profile: .empty)
            try PostgresTestServer.withDatabase { uriA in
                try PostgresTestServer.withDatabase { uriB in
                    let ahead = Cloud(store: try PostgresStore(uri: uriA), name: "ahead")
                    let alone = Cloud(store: try PostgresStore(uri: uriB), name: "alone")
                    alone.store.readsBookAhead = false
                    for cloud in [ahead, alone] {
                        try cloud.store.connection.execute(Self.cloudSchema)
                        _ = try Preparer.prepare(store: cloud.store, tables: nil, profile: .empty)
                    }
                    // One store id for both: the laptop hears from one cloud, and versions name it.
                    let storeId = try #require(try ahead.store.connection.scalar("SELECT value FROM _ferry_state WHERE key = 'storeId'"))
                    try alone.store.connection.query("UPDATE _ferry_state SET value = $1 WHERE key = 'storeId'", [storeId])
                    #expect(try ahead.state() == alone.state(), "seed \(seed): prepared alike")
                    var nextId = 1000
                    for round in 1...4 {
                        // The laptop: names and amounts edited, orders and users deleted,
                        // new ones, now and then an email moved to a free one.
                        var laptopSQL: [String] = []
                        for _ in 0..<60 { laptopSQL.append("UPDATE users SET name = 'l\(round)-\(pick(0..<9))' WHERE id = 'l\(50 + pick(0..<350))'") }
                        for _ in 0..<60 { laptopSQL.append("UPDATE orders SET amount = \(pick(0..<1000)) WHERE id = 'lo\(100 + pick(0..<700))'") }
                        for _ in 0..<15 { laptopSQL.append("DELETE FROM orders WHERE id = 'lo\(100 + pick(0..<700))'") }
                        for _ in 0..<3 {
                            let user = "l\(50 + pick(0..<350))"
                            laptopSQL.append("DELETE FROM orders WHERE userId = '\(user)'")
                            laptopSQL.append("DELETE FROM users WHERE id = '\(user)'")
                        }
                        for _ in 0..<20 {
                            nextId += 1
                            laptopSQL.append("INSERT INTO users VALUES ('ln\(nextId)', 'n\(nextId)@x', 'new', NULL)")
                            laptopSQL.append("INSERT INTO orders VALUES ('lon\(nextId)', 'ln\(nextId)', 'on\(nextId)', \(pick(0..<9)), NULL)")
                        }
                        if maybe(0.7) { laptopSQL.append("UPDATE users SET email = 'moved\(round)@x' WHERE id = 'l\(50 + pick(0..<350))'") }
                        for statement in laptopSQL { try laptop.database.execute(statement) }
                        _ = try Preparer.prepare(store: laptop, tables: nil, profile: .empty)

                        // The cloud: the same SQL on both.
                        var cloudSQL: [String] = []
                        for _ in 0..<40 { cloudSQL.append("UPDATE users SET name = 'c\(round)-\(pick(0..<9))' WHERE id = 't\(pick(0..<350))'") }
                        for _ in 0..<40 { cloudSQL.append("UPDATE orders SET amount = \(pick(0..<1000)) WHERE id = 'to\(pick(0..<700))'") }
                        for _ in 0..<10 { cloudSQL.append("DELETE FROM orders WHERE id = 'to\(pick(0..<700))'") }
                        for _ in 0..<10 {
                            nextId += 1
                            cloudSQL.append("INSERT INTO users VALUES ('tn\(nextId)', 'c\(nextId)@x', 'cloud new', 'cn\(nextId)')")
                        }
                        try ahead.execute(cloudSQL)
                        try alone.execute(cloudSQL)

                        // Laptop → both clouds.
                        let changeset = try exportStore(laptop, to: directory, name: "laptop-\(round)")
                        let policy: ConflictPolicy = round % 2 == 0 ? .sourceWins : .targetWins
                        let reportAhead = try importChangeset(changeset, into: ahead.store, in: directory, options: ImportOptions(onConflict: policy))
                        let reportAlone = try importChangeset(changeset, into: alone.store, in: directory, options: ImportOptions(onConflict: policy))
                        let totals = { (r: ImportReport) in [r.totals.inserted, r.totals.updated, r.totals.merged, r.totals.unchanged, r.totals.deleted, r.totals.conflicts, r.totals.rejected] }
                        #expect(totals(reportAhead) == totals(reportAlone), "seed \(seed) round \(round)")
                        let (stateAhead, stateAlone) = (try ahead.state(), try alone.state())
                        #expect(stateAhead.count == stateAlone.count, "seed \(seed) round \(round)")
                        for (a, b) in zip(stateAhead, stateAlone) where a != b {
                            Issue.record("seed \(seed) round \(round): \(a) read ahead, \(b) entry by entry")
                        }

                        // Both clouds → the laptop (one of them; the other's records must match).
                        let back = try exportStore(ahead.store, to: directory, name: "ahead-\(round)")
                        let backAlone = try exportStore(alone.store, to: directory, name: "alone-\(round)")
                        let idAhead = try #require(try ahead.store.connection.scalar("SELECT value FROM _ferry_state WHERE key = 'storeId'")?.string)
                        let idAlone = try #require(try alone.store.connection.scalar("SELECT value FROM _ferry_state WHERE key = 'storeId'")?.string)
                        // Rows leave in the order PostgreSQL keeps them, which updates sent in sets change.
                        let (shippedAhead, shippedAlone) = (try records(back, storeId: idAhead).sorted(), try records(backAlone, storeId: idAlone).sorted())
                        #expect(shippedAhead.count == shippedAlone.count, "seed \(seed) round \(round)")
                        for (a, b) in zip(shippedAhead, shippedAlone) where a != b {
                            Issue.record("seed \(seed) round \(round): shipped \(a) read ahead, \(b) entry by entry")
                            break
                        }
                        _ = try importChangeset(back, into: laptop, in: directory, options: ImportOptions(onConflict: policy))
                    }
                    // It did read ahead and write in sets, and the model did not.
                    #expect(ahead.store.bookBatchesReadAhead > 0 && ahead.store.bookEntriesWrittenTogether > 300,
                            "\(ahead.store.bookBatchesReadAhead) batches, \(ahead.store.bookEntriesWrittenTogether) entries")
                    #expect(alone.store.bookBatchesReadAhead == 0 && alone.store.bookEntriesWrittenTogether == 0)
                }
            }
        }
    }
}

/// The same, one call at a time: random writes and reads of a few keys and identities,
/// with hints in between, on two books (one reads ahead, one asks for each entry). Every
/// answer, the change counter and the table at the end must be equal. Writes that change
/// only versions, only inTable or only the identity, a key written twice in one batch and
/// read after a tombstone or a removal are what a sync's merges do rarely, and here often.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresBookReadAheadCallTests {
    private static let table = TableDefinition(name: "items", columns: [
        ColumnDefinition(name: "id", type: "text", notNull: true, primaryKey: 1, default: nil),
        ColumnDefinition(name: "cloudId", type: "text", notNull: false, primaryKey: 0, default: nil),
    ], primaryKey: ["id"], cloudId: "cloudId", matchSets: [], references: [], create: "", indexes: [])

    /// The entries, and the highest number given out. Not which entry holds which number:
    /// an entry a store may write with others (`recordNew`) that finds an entry at its key
    /// after all is numbered again when it goes in, and the book that reads ahead sends it
    /// later (its reads wait for no write).
    private func rows(_ store: PostgresStore) throws -> [String] {
        let result = try store.connection.query("""
            SELECT concat_ws('|', encode(rowKey, 'escape'), encode(identity, 'escape'), hash, hashText, encode(digests, 'hex'), deleted, versions, fingerprint, inTable)
            FROM _ferry_rows ORDER BY rowKey
            """)
        let highest = try store.connection.scalar("SELECT max(seq) FROM _ferry_rows")
        return (0..<result.rowCount).map { result.string(row: $0, column: 0) ?? "" } + ["\(String(describing: highest))"]
    }

    private func unnumbered(_ entry: SyncBookEntry?) -> SyncBookEntry? {
        guard var entry else { return nil }
        entry.sequence = 0
        return entry
    }

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func everyAnswerIsTheOneReadEntryByEntry(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        func pick(_ count: Int) -> Int { Int.random(in: 0..<count, using: &random) }
        func maybe(_ chance: Double) -> Bool { Double.random(in: 0..<1, using: &random) < chance }
        let keys = (0..<12).map { PortableRow.rowKey([.text("k\($0)")]) }
        let identities = (0..<3).map { PortableRow.identity(cloudId: .text("c\($0)"), keys: []) }
        let hashes = ["0123456789abcdef", "fedcba9876543210", "00000000000000ff"]
        let versions = [VersionVector(), VersionVector().bumped("s"), VersionVector().bumped("s").bumped("t")]
        try PostgresTestServer.withDatabase { uriA in
            try PostgresTestServer.withDatabase { uriB in
                let ahead = try PostgresStore(uri: uriA), alone = try PostgresStore(uri: uriB)
                alone.readsBookAhead = false
                for store in [ahead, alone] {
                    try store.connection.execute("""
                        CREATE TABLE items (id text PRIMARY KEY, "cloudId" text UNIQUE);
                        INSERT INTO items VALUES ('k0', 'c0'), ('k1', 'c1'), ('k2', NULL), ('k3', 'c2'), ('k4', NULL);
                        """)
                    _ = try store.syncBook(create: true)
                }
                try ahead.withTransaction {
                    try alone.withTransaction {
                        let bookA = try #require(try ahead.syncBook(create: false)), bookB = try #require(try alone.syncBook(create: false))
                        for step in 0..<400 {
                            let key = keys[pick(keys.count)]
                            var entry = SyncBookEntry(rowKey: key, identity: identities[pick(identities.count)], hash: hashes[pick(hashes.count)],
                                                      digests: ColumnDigests(blob: [0, 0, 0, UInt8(pick(2))]), deleted: maybe(0.1),
                                                      versions: versions[pick(versions.count)])
                            // inTable only where the row at the key holds the identity's cloudId, as
                            // an import writes it (else the book's one sweep per table for rows
                            // that gave their cloudId up would answer by when it ran).
                            let holder = [0: 0, 1: 1, 2: 3][identities.firstIndex(of: entry.identity)!]!
                            entry.inTable = key == keys[holder] && maybe(0.7)
                            entry.fingerprint = maybe(0.5) ? Int64(pick(3)) : nil
                            let what: String
                            switch pick(12) {
                            case 0, 1:
                                what = "prefetch"
                                let someKeys = keys.filter { _ in maybe(0.6) }, someIdentities = identities.filter { _ in maybe(0.6) }
                                try bookA.prefetch(table: Self.table, rowKeys: someKeys, identities: someIdentities)
                                try bookB.prefetch(table: Self.table, rowKeys: someKeys, identities: someIdentities)
                            case 2, 3, 4:
                                what = "record"
                                try bookA.record(table: "items", entry: entry)
                                try bookB.record(table: "items", entry: entry)
                            case 5:
                                what = "recordNew"
                                entry.deleted = false
                                try bookA.recordNew(table: "items", entry: entry)
                                try bookB.recordNew(table: "items", entry: entry)
                            case 6:
                                what = "markDeleted"
                                let v: VersionVector? = maybe(0.5) ? nil : entry.versions
                                try bookA.markDeleted(table: "items", rowKey: key, versions: v)
                                try bookB.markDeleted(table: "items", rowKey: key, versions: v)
                            case 7:
                                what = "joinTombstone"
                                try bookA.joinTombstone(table: "items", rowKey: key, versions: entry.versions)
                                try bookB.joinTombstone(table: "items", rowKey: key, versions: entry.versions)
                            case 8:
                                what = maybe(0.5) ? "remove" : "retire"
                                if what == "remove" {
                                    try bookA.remove(table: "items", rowKey: key)
                                    try bookB.remove(table: "items", rowKey: key)
                                } else {
                                    let shipped = maybe(0.5)
                                    try bookA.retire(table: "items", rowKey: key, unless: entry.identity, shipped: shipped)
                                    try bookB.retire(table: "items", rowKey: key, unless: entry.identity, shipped: shipped)
                                }
                            case 9:
                                what = "setFingerprint"
                                try bookA.setFingerprint(table: "items", rowKey: key, Int64(step))
                                try bookB.setFingerprint(table: "items", rowKey: key, Int64(step))
                            case 10:
                                what = "entry"
                                #expect(try unnumbered(bookA.entry(table: "items", rowKey: key)) == unnumbered(bookB.entry(table: "items", rowKey: key)), "seed \(seed) step \(step)")
                            default:
                                what = "entries"
                                let identity = identities[pick(identities.count)]
                                let a = try bookA.entries(table: Self.table, identity: identity).sorted { $0.rowKey.lexicographicallyPrecedes($1.rowKey) }.map(unnumbered)
                                let b = try bookB.entries(table: Self.table, identity: identity).sorted { $0.rowKey.lexicographicallyPrecedes($1.rowKey) }.map(unnumbered)
                                #expect(a == b, "seed \(seed) step \(step)")
                            }
                            // A write read back at once, before any hint: what a merge does next.
                            if ["record", "recordNew", "markDeleted", "joinTombstone", "remove", "retire"].contains(what), maybe(0.5) {
                                let a = try bookA.entries(table: Self.table, identity: entry.identity).sorted { $0.rowKey.lexicographicallyPrecedes($1.rowKey) }.map(unnumbered)
                                let b = try bookB.entries(table: Self.table, identity: entry.identity).sorted { $0.rowKey.lexicographicallyPrecedes($1.rowKey) }.map(unnumbered)
                                #expect(a == b, "seed \(seed) step \(step): \(what) read back by identity")
                                #expect(try unnumbered(bookA.entry(table: "items", rowKey: key)) == unnumbered(bookB.entry(table: "items", rowKey: key)), "seed \(seed) step \(step): \(what) read back by key")
                            }
                        }
                        try bookA.saveSequence()
                        try bookB.saveSequence()
                        #expect(bookA.sequence == bookB.sequence && bookA.recorded == bookB.recorded && bookA.changed == bookB.changed,
                                "seed \(seed): \(bookA.sequence) ahead, \(bookB.sequence) alone")
                        #expect(try rows(ahead) == rows(alone), "seed \(seed)")
                        #expect(ahead.bookBatchesReadAhead > 0 && ahead.bookEntriesWrittenTogether > 0)
                    }
                }
            }
        }
    }
}

/// A table that grows inside one import keeps the statistics of its start, and PostgreSQL
/// then plans lookups in it as in a table of a few rows: by sequential scan, one per
/// record. The book of a store just prepared is such a table (empty, then an entry per row):
/// a 150,000-row sync spent 21 ms a lookup at 100,000 entries. The store refreshes a
/// growing table's statistics (`PostgresStore.noteGrowth`).
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresGrowingTableTests {
    @Test func aBookThatGrowsInOneImportIsAnalyzed() throws {
        try withTemporaryDirectory { directory in
            let laptop = try SQLiteStore(path: directory.appendingPathComponent("laptop.db").path, mode: .readWriteCreate)
            try laptop.database.execute("""
                CREATE TABLE items (id TEXT PRIMARY KEY, sku TEXT NOT NULL UNIQUE, cloudId TEXT UNIQUE);
                WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 12000)
                INSERT INTO items SELECT 'l' || i, 'sku' || i, NULL FROM s;
                """)
            _ = try Preparer.prepare(store: laptop, tables: nil, profile: .empty)
            let changeset = try exportStore(laptop, to: directory, name: "laptop")
            try PostgresTestServer.withDatabase { uri in
                let cloud = try PostgresStore(uri: uri)
                try cloud.connection.execute("""
                    CREATE TABLE items (id text PRIMARY KEY, sku text NOT NULL UNIQUE, "cloudId" text UNIQUE);
                    INSERT INTO items SELECT 't' || i, 'sku' || i, NULL FROM generate_series(1, 12000) AS i;
                    """)
                _ = try Preparer.prepare(store: cloud, tables: nil, profile: .empty)
                try cloud.connection.execute("ANALYZE _ferry_rows")
                #expect(try cloud.connection.scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = '_ferry_rows'") == .integer(0))
                let report = try importChangeset(changeset, into: cloud, in: directory)
                #expect(report.totals.updated == 12000)
                #expect(cloud.statisticsRefreshed == 1)
                let counted = try cloud.connection.scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = '_ferry_rows'")
                guard case .integer(let entries)? = counted else { Issue.record("reltuples: \(String(describing: counted))"); return }
                #expect(entries >= 10_000)
            }
        }
    }
}
