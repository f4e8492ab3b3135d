import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres

/// Two rows of a prepared store swap their primary keys (an application renumbering rows):
/// each is the same row, with its cloudId, under the other's key. The incremental export
/// shipped `delete a, upsert b, delete b, upsert a`, and a copy lost b for good (found by a
/// tester). It must ship the two rows and no delete, and every copy keeps every row.
@Suite struct SwappedKeysTests {
    static let schema = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL); INSERT INTO items VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3);"
    static let swap = "UPDATE items SET id = 100 WHERE id = 1; UPDATE items SET id = 1 WHERE id = 2; UPDATE items SET id = 2 WHERE id = 100;"

    /// Exports `source` incrementally after the swap and checks the changeset and the copies.
    static func check(_ source: Store, swap: () throws -> Void, in directory: URL) throws {
        _ = try Preparer.prepare(store: source, tables: nil, profile: .empty)
        let full = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
        // A copy that keeps no book, and one prepared for sync.
        let plain = try SQLiteStore(path: directory.appendingPathComponent("plain.db").path, mode: .readWriteCreate)
        let tracked = try SQLiteStore(path: directory.appendingPathComponent("tracked.db").path, mode: .readWriteCreate)
        _ = try importChangeset(full.path, into: plain, in: directory)
        _ = try importChangeset(full.path, into: tracked, in: directory, options: ImportOptions(track: true))
        try swap()
        let next = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("next").path)
        var operations: [String] = []
        let reader = try ChangesetReader(path: next.path)
        for table in reader.manifest.tables {
            try reader.forEachRecord(in: table) { _, record, _ in operations.append(record.operation == .delete ? "delete" : "upsert") }
        }
        #expect(operations == ["upsert", "upsert"], "the two rows, and no delete: \(operations)")
        for copy in [plain, tracked] {
            _ = try importChangeset(next.path, into: copy, in: directory, options: ImportOptions(onConflict: .sourceWins))
            #expect(try copy.database.rows("SELECT name FROM items ORDER BY name").map { $0[0].string } == ["a", "b", "c"], "\(copy.displayName)")
        }
        // Nothing is left to ship, and no later export calls either row gone.
        let quiet = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("quiet").path)
        #expect(quiet.manifest.tables.map(\.rows).reduce(0, +) == 0)
        try source.withTransaction { _ = try source.syncBook(create: false).map { book in try book.vanished(from: try source.tables(profile: .empty)[0]) { entry in Issue.record("an entry is gone: \(entry)") } } }
    }

    /// A row moved to a key nobody held (id 1 became 10): the export's search for rows gone
    /// called it deleted and shipped its delete, and copies lost its children with it
    /// (ON DELETE CASCADE; a second tester).
    @Test func aRowMovedToAFreeKeyLosesNoChild() throws {
        try withTemporaryDirectory { directory in
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
            try source.database.execute("""
                PRAGMA foreign_keys = ON;
                CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
                CREATE TABLE c (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id) ON UPDATE CASCADE ON DELETE CASCADE, note TEXT);
                INSERT INTO t VALUES (1, 'a'), (2, 'b'); INSERT INTO c VALUES (1, 1, 'x1'), (2, 1, 'x2');
                """)
            _ = try Preparer.prepare(store: source, tables: nil, profile: .empty)
            let full = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            let copy = try SQLiteStore(path: directory.appendingPathComponent("copy.db").path, mode: .readWriteCreate)
            _ = try importChangeset(full.path, into: copy, in: directory)
            try source.database.execute("UPDATE t SET id = 10 WHERE id = 1")
            let next = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("next").path)
            var operations: [String] = []
            let reader = try ChangesetReader(path: next.path)
            for table in reader.manifest.tables where table.name == "t" {
                try reader.forEachRecord(in: table) { _, record, _ in operations.append(record.operation == .delete ? "delete" : "upsert") }
            }
            #expect(operations == ["upsert"], "\(operations)")
            _ = try importChangeset(next.path, into: copy, in: directory)
            #expect(try copy.database.rows("SELECT count(*) FROM c").first?.first == .integer(2))
            let again = try Exporter(store: source, options: ExportOptions(since: full.manifest.changesetId)).export(to: directory.appendingPathComponent("again").path)
            var deletes = 0
            let againReader = try ChangesetReader(path: again.path)
            for table in againReader.manifest.tables {
                try againReader.forEachRecord(in: table) { _, record, _ in if record.operation == .delete { deletes += 1 } }
            }
            #expect(deletes == 0, "the book keeps no delete of a row that moved")
        }
    }

    @Test func swappedKeysOnSQLiteLoseNoRow() throws {
        try withTemporaryDirectory { directory in
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
            try source.database.execute(Self.schema)
            try Self.check(source, swap: { try source.database.execute(Self.swap) }, in: directory)
        }
    }

    @Test(.enabled(if: PostgresTestServer.enabled)) func swappedKeysOnPostgresLoseNoRow() throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uri in
                let source = try PostgresStore(uri: uri)
                try source.connection.execute(Self.schema.replacingOccurrences(of: "INTEGER PRIMARY KEY", with: "bigint PRIMARY KEY"))
                try Self.check(source, swap: { try source.connection.execute("BEGIN; " + Self.swap + " COMMIT;") }, in: directory)
            }
        }
    }
}
