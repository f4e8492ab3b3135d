import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

@Suite struct IncrementalTests {
    /// 20,000 rows by default, so the suite stays fast in debug builds; the million:
    /// `FERRY_INCREMENTAL_ROWS=1000000 swift test -c release --filter IncrementalTests`.
    static let rows = Int(ProcessInfo.processInfo.environment["FERRY_INCREMENTAL_ROWS"] ?? "") ?? 20_000

    /// A million-row table without any timestamp column: only Ferry's sync book can tell what changed.
    private func makeSource(at path: String) throws -> SQLiteStore {
        let store = try SQLiteStore(path: path, mode: .readWriteCreate)
        try store.database.execute("""
            CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT, qty INTEGER, price REAL, note BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(Self.rows))
            INSERT INTO items SELECT i, 'SKU-' || i, 'item ' || i, i % 97, i / 7.0, CASE WHEN i % 1000 = 0 THEN x'00ff10' END FROM n;
            """)
        _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
        return store
    }

    @Test func anIncrementalExportShipsExactlyWhatChangedAndAChainReplaysToTheSource() throws {
        try withTemporaryDirectory { directory in
            let source = try makeSource(at: directory.appendingPathComponent("source.db").path)
            let full = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            #expect(full.manifest.tables.first?.rows == Self.rows)

            try source.database.execute("""
                UPDATE items SET qty = qty + 1000 WHERE id % \(Self.rows / 10) = 7;
                INSERT INTO items (sku, name, qty, price) VALUES ('NEW-1', 'new', 1, 1.5), ('NEW-2', 'new', 2, 2.5), ('NEW-3', NULL, 3, -0.0);
                DELETE FROM items WHERE id IN (\(Self.rows / 2), \(Self.rows - 1));
                """)
            let incremental = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("week-1").path)
            #expect(incremental.manifest.mode == "incremental")
            #expect(incremental.manifest.incrementalTo == full.manifest.changesetId)
            #expect(incremental.manifest.tables.first?.rows == 15)
            var operations: [Record.Operation: Int] = [:]
            try ChangesetReader(path: incremental.path).forEachRecord(in: incremental.manifest.tables[0]) { _, record, _ in
                operations[record.operation, default: 0] += 1
            }
            #expect(operations[.upsert] == 13 && operations[.delete] == 2)

            // Nothing changed since: the next incremental export is empty.
            let nothing = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("week-2").path)
            #expect(nothing.manifest.tables.first?.rows == 0)

            // Backup and replay: the chain into an empty database reproduces the source exactly.
            let restored = try SQLiteStore(path: directory.appendingPathComponent("restored.db").path, mode: .readWriteCreate)
            for path in [full.path, incremental.path, nothing.path] {
                let report = try Importer(store: restored, changeset: try ChangesetReader(path: path),
                                          options: ImportOptions(rejectsPath: directory.appendingPathComponent("r").path)).run()
                #expect(report.totals.rejected == 0 && report.totals.conflicts == 0)
            }
            #expect(try DatabaseComparison.firstDifference(source, restored) == nil)
        }
    }

    @Test func anIncrementalWhosePredecessorWasNeverAppliedIsRefusedUnlessForced() throws {
        try withTemporaryDirectory { directory in
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
            try source.database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, v TEXT); INSERT INTO t VALUES (1, 'a', 'x'), (2, 'b', 'y')")
            _ = try Preparer.prepare(store: source, tables: nil, profile: .empty)
            _ = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            try source.database.execute("UPDATE t SET v = 'changed' WHERE id = 2")
            let incremental = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("inc").path)
            let targetPath = directory.appendingPathComponent("target.db").path
            let target = try SQLiteStore(path: targetPath, mode: .readWriteCreate)
            try target.database.execute("CREATE TABLE keep (x)")
            let before = try Data(contentsOf: URL(fileURLWithPath: targetPath))
            #expect {
                _ = try Importer(store: target, changeset: try ChangesetReader(path: incremental.path)).run()
            } throws: { error in
                let message = (error as? FerryError)?.message ?? ""
                return message.contains("incremental to \(incremental.manifest.incrementalTo!)") && message.contains("--force")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: targetPath)) == before)
            let forced = try Importer(store: target, changeset: try ChangesetReader(path: incremental.path),
                                      options: ImportOptions(rejectsPath: directory.appendingPathComponent("r").path, force: true)).run()
            #expect(forced.totals.inserted == 1)
        }
    }

    @Test func sinceMustNameAnExportOfThisStore() throws {
        try withTemporaryDirectory { directory in
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
            try source.database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL)")
            #expect(throws: FerryError.self, "no sync book yet") {
                _ = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("x").path)
            }
            _ = try Preparer.prepare(store: source, tables: nil, profile: .empty)
            let first = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("first").path)
            _ = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("second").path)
            let third = try Exporter(store: source, options: ExportOptions(since: first.manifest.changesetId)).export(to: directory.appendingPathComponent("third").path)
            #expect(third.manifest.incrementalTo == first.manifest.changesetId)
            #expect {
                _ = try Exporter(store: source, options: ExportOptions(since: UUID().uuidString)).export(to: directory.appendingPathComponent("fourth").path)
            } throws: { error in
                (error as? FerryError)?.message.contains("is not a changeset exported from") == true
            }
        }
    }

    /// The records of the changeset's first table, in file order.
    private func records(of path: String) throws -> [(operation: Record.Operation, keys: [String: Value], cloudId: Value)] {
        let changeset = try ChangesetReader(path: path)
        var found: [(Record.Operation, [String: Value], Value)] = []
        try changeset.forEachRecord(in: changeset.manifest.tables[0]) { _, record, _ in
            found.append((record.operation, Dictionary(record.keys, uniquingKeysWith: { a, _ in a }), record.cloudId))
        }
        return found
    }

    private func makeSmallSource(at path: String, _ schema: String) throws -> SQLiteStore {
        let store = try SQLiteStore(path: path, mode: .readWriteCreate)
        try store.database.execute(schema)
        _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
        return store
    }

    @Test func aDeleteShipsThoughEveryOtherRowIsSkippedAsUnchanged() throws {
        try withTemporaryDirectory { directory in
            let source = try makeSmallSource(at: directory.appendingPathComponent("source.db").path, """
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, qty INTEGER);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO items SELECT i, 'SKU-' || i, i FROM n;
                """)
            _ = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            try source.database.execute("DELETE FROM items WHERE id = 250")
            let week = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("week").path)
            let shipped = try records(of: week.path)
            #expect(shipped.count == 1)
            #expect(shipped.first?.operation == .delete && shipped.first?.keys["sku"] == .text("SKU-250"))
            // Shipped once: the next one finds the book and the table agreeing.
            let next = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("next").path)
            #expect(try records(of: next.path).isEmpty)
        }
    }

    @Test func aRowEnteredAgainUnderItsNaturalKeyShipsAfterTheOldOnesDelete() throws {
        try withTemporaryDirectory { directory in
            let source = try makeSmallSource(at: directory.appendingPathComponent("source.db").path, """
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, qty INTEGER);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO items SELECT i, 'SKU-' || i, i FROM n;
                """)
            let full = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            try source.database.execute("DELETE FROM items WHERE id = 5; INSERT INTO items (id, sku, qty) VALUES (900, 'SKU-5', 77)")
            let week = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("week").path)
            let shipped = try records(of: week.path)
            #expect(shipped.map(\.operation) == [.delete, .upsert])
            #expect(shipped.map { $0.keys["sku"] } == [.text("SKU-5"), .text("SKU-5")])

            let target = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            for path in [full.path, week.path] {
                let report = try Importer(store: target, changeset: try ChangesetReader(path: path),
                                          options: ImportOptions(rejectsPath: directory.appendingPathComponent("r").path)).run()
                #expect(report.totals.rejected == 0 && report.totals.conflicts == 0)
            }
            #expect(try target.database.scalar("SELECT qty FROM items WHERE sku = 'SKU-5'") == .integer(77))
            #expect(try target.database.scalar("SELECT count(*) FROM items") == .integer(50))
        }
    }

    @Test func rowsSharingANullKeyDoNotHideADelete() throws {
        try withTemporaryDirectory { directory in
            // SQLite lets a composite primary key hold NULLs, and two such rows alike: both
            // meet the one entry their key has, so counting rows that met an entry would
            // cover the entry whose row was deleted. (`prepare` looped forever on such rows:
            // it found them again by key to give them a cloudId.)
            let source = try makeSmallSource(at: directory.appendingPathComponent("source.db").path, """
                CREATE TABLE pairs (a TEXT, b INTEGER, v TEXT, PRIMARY KEY (a, b));
                INSERT INTO pairs VALUES (NULL, 1, 'same'), (NULL, 1, 'same'), ('k', 2, 'gone soon');
                """)
            _ = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            let deleted = try #require(try source.database.scalar("SELECT cloudId FROM pairs WHERE a = 'k'"))
            try source.database.execute("DELETE FROM pairs WHERE a = 'k'")
            let week = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("week").path)
            #expect(try records(of: week.path).contains { $0.operation == .delete && $0.cloudId == deleted })
        }
    }
}

/// On PostgreSQL, a delete forgets only its own row of what a batch read ahead: a row
/// entered again under a deleted row's natural key, in the same batch or the next one read
/// meanwhile, must not be taken for the deleted row (its lookup answering the old key).
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresDeletesAndReadAheadTests {
    @Test func rowsEnteredAgainUnderDeletedRowsKeysGoInOnPostgres() throws {
        try withTemporaryDirectory { directory in
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
            try source.database.execute("""
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, qty INTEGER);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900) INSERT INTO items SELECT i, 'SKU-' || i, i FROM n;
                """)
            _ = try Preparer.prepare(store: source, tables: nil, profile: .empty)
            let full = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            // 600 rows deleted and entered again under their skus, the last deleted first
            // entered: a batch holds tombstones and new rows under the same skus, and the next
            // batch's lookups are read while this one deletes their rows.
            try source.database.execute("""
                DELETE FROM items WHERE id <= 600;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) INSERT INTO items SELECT 1000 + i, 'SKU-' || (601 - i), 5000 + 601 - i FROM n;
                """)
            let week = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("week").path)
            try PostgresTestServer.withDatabase { uri in
                let target = try PostgresStore(uri: uri)
                try target.connection.execute("CREATE TABLE items (id bigint PRIMARY KEY, sku text NOT NULL UNIQUE, qty bigint)")
                for path in [full.path, week.path] {
                    let report = try importChangeset(path, into: target, in: directory)
                    #expect(report.totals.rejected == 0 && report.totals.conflicts == 0, "\(report.table())")
                }
                #expect(try target.connection.scalar("SELECT count(*) FROM items") == .integer(900))
                #expect(try target.connection.scalar("SELECT count(*) FROM items WHERE qty = 5000 + substr(sku, 5)::int") == .integer(600))
            }
        }
    }
}
