import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 15, first rules: the book keeps tombstones, so a stale copy of a deleted row is
/// recognised. Two prepared stores, customers with a unique email and orders that cascade.
@Suite struct StaleCopyTests {
    static let schema = """
        CREATE TABLE customers (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
        CREATE TABLE orders (id TEXT PRIMARY KEY, customerId TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE, ref TEXT NOT NULL,
                             total INTEGER NOT NULL, UNIQUE (customerId, ref));
        """

    final class Peers {
        let directory: URL
        let a: SQLiteStore
        let b: SQLiteStore
        var exports = 0

        init(_ directory: URL) throws {
            self.directory = directory
            a = try SQLiteStore(path: directory.appendingPathComponent("a.db").path, mode: .readWriteCreate)
            try a.database.execute(StaleCopyTests.schema + """
                INSERT INTO customers VALUES ('c1', 'ann@x', 'Ann'), ('c2', 'bob@x', 'Bob');
                INSERT INTO orders VALUES ('o1', 'c1', 'A-1', 10), ('o2', 'c2', 'B-1', 20), ('o3', 'c2', 'B-2', 30);
                """)
            _ = try Preparer.prepare(store: a, tables: nil, profile: .empty)
            b = try SQLiteStore(path: directory.appendingPathComponent("b.db").path, mode: .readWriteCreate)
            try b.database.execute(StaleCopyTests.schema)
            _ = try Preparer.prepare(store: b, tables: nil, profile: .empty)
            // The first exchange: B holds what A holds.
            #expect(try importing(export(a), into: b).totals.inserted == 5)
        }

        func export(_ store: SQLiteStore) throws -> String {
            exports += 1
            return try Exporter(store: store, options: ExportOptions()).export(to: directory.appendingPathComponent("cs\(exports)").path).path
        }

        func importing(_ changeset: String, into store: SQLiteStore, policy: ConflictPolicy? = nil) throws -> ImportReport {
            let options = ImportOptions(rejectsPath: directory.appendingPathComponent("rejects-\(exports).ndjson").path,
                                        conflictsPath: directory.appendingPathComponent("conflicts-\(exports).ndjson").path, onConflict: policy)
            return try Importer(store: store, changeset: try ChangesetReader(path: changeset), options: options).run()
        }

        func count(_ store: SQLiteStore, _ sql: String) throws -> Int64 {
            guard case .integer(let n)? = try store.database.scalar(sql) else { return -1 }
            return n
        }
    }

    /// B deletes Bob (and his orders, by cascade); A's full changeset, written before A heard
    /// of it, still carries Bob unchanged. Whether or not B exported the tombstone first,
    /// Bob stays deleted, with no conflict and no reject for his orders.
    @Test(arguments: [false, true])
    func anUnchangedStaleCopyOfARowDeletedHereIsNotBroughtBack(bExportedFirst: Bool) throws {
        try withTemporaryDirectory { directory in
            let peers = try Peers(directory)
            try peers.b.database.execute("PRAGMA foreign_keys = ON; DELETE FROM customers WHERE email = 'bob@x'")
            #expect(try peers.count(peers.b, "SELECT count(*) FROM orders") == 1, "the cascade took Bob's orders")
            if bExportedFirst { _ = try peers.export(peers.b) }
            let stale = try peers.export(peers.a)
            let report = try peers.importing(stale, into: peers.b)
            #expect(report.totals.inserted == 0 && report.totals.conflicts == 0 && report.totals.rejected == 0, "\(report.table())")
            #expect(try peers.count(peers.b, "SELECT count(*) FROM customers WHERE email = 'bob@x'") == 0)
            #expect(try peers.count(peers.b, "SELECT count(*) FROM orders") == 1)
        }
    }

    @Test func aTombstoneForARowUnchangedHereDeletesIt() throws {
        try withTemporaryDirectory { directory in
            let peers = try Peers(directory)
            try peers.a.database.execute("PRAGMA foreign_keys = ON; DELETE FROM customers WHERE email = 'bob@x'")
            let report = try peers.importing(try peers.export(peers.a), into: peers.b)
            #expect(report.totals.deleted >= 1 && report.totals.conflicts == 0, "\(report.table())")
            #expect(try peers.count(peers.b, "SELECT count(*) FROM customers WHERE email = 'bob@x'") == 0)
            #expect(try peers.count(peers.b, "SELECT count(*) FROM orders WHERE customerId = 'c2'") == 0)
        }
    }

    /// A changed Bob after B deleted him: a conflict, reported once, with both versions.
    @Test func anUpdateAgainstADeleteIsAConflictOnce() throws {
        try withTemporaryDirectory { directory in
            let peers = try Peers(directory)
            try peers.b.database.execute("PRAGMA foreign_keys = ON; DELETE FROM customers WHERE email = 'bob@x'")
            try peers.a.database.execute("UPDATE customers SET name = 'Robert' WHERE email = 'bob@x'")
            let changed = try peers.export(peers.a)
            let first = try peers.importing(changed, into: peers.b)
            #expect(first.totals.conflicts == 1, "\(first.table())")
            let conflicts = try String(contentsOfFile: directory.appendingPathComponent("conflicts-\(peers.exports).ndjson").path, encoding: .utf8)
            #expect(conflicts.contains(#""kind":"deleted-here""#) && conflicts.contains("Robert"), "\(conflicts)")
            #expect(try peers.count(peers.b, "SELECT count(*) FROM customers WHERE email = 'bob@x'") == 0, "deferred: the delete stays for now")
            // Settled with a policy, it converges: source-wins brings Robert back.
            let settled = try peers.importing(changed, into: peers.b, policy: .sourceWins)
            #expect(settled.totals.conflicts == 0 && settled.totals.inserted >= 1, "\(settled.table())")
            #expect(try peers.count(peers.b, "SELECT count(*) FROM customers WHERE name = 'Robert'") == 1)
        }
    }

    /// Between stores whose ids differ, a tombstone of a row whose natural key holds a
    /// foreign key (an order is its customer and its ref) still finds the row: the parent
    /// is resolved from the tombstone's base, not from the source's raw id.
    @Test func aTombstoneFindsItsRowWhereIdsDiffer() throws {
        try withTemporaryDirectory { directory in
            let a = try SQLiteStore(path: directory.appendingPathComponent("a.db").path, mode: .readWriteCreate)
            let b = try SQLiteStore(path: directory.appendingPathComponent("b.db").path, mode: .readWriteCreate)
            try a.database.execute(Self.schema + "INSERT INTO customers VALUES ('c1', 'ann@x', 'Ann'); INSERT INTO orders VALUES ('o1', 'c1', 'A-1', 10), ('o2', 'c1', 'A-2', 20);")
            try b.database.execute(Self.schema + "INSERT INTO customers VALUES ('k9', 'ann@x', 'Ann'); INSERT INTO orders VALUES ('q1', 'k9', 'A-1', 10), ('q2', 'k9', 'A-2', 20);")
            for store in [a, b] { _ = try Preparer.prepare(store: store, tables: nil, profile: .empty) }
            func exchange(_ name: String) throws -> ImportReport {
                let path = try Exporter(store: a, options: ExportOptions()).export(to: directory.appendingPathComponent(name).path).path
                return try Importer(store: b, changeset: try ChangesetReader(path: path), options: ImportOptions(
                    rejectsPath: directory.appendingPathComponent("r-\(name)").path, conflictsPath: directory.appendingPathComponent("c-\(name)").path)).run()
            }
            // Orders get a cloudId from prepare on each side (their natural key holds a foreign
            // key); the first exchange settles each order on one of the two: an update, no new row.
            let first = try exchange("first").totals
            #expect(first.unchanged + first.updated == 3 && first.inserted == 0 && first.conflicts == 0, "\(first)")
            try a.database.execute("DELETE FROM orders WHERE ref = 'A-2'")
            let report = try exchange("second")
            #expect(report.totals.deleted == 1 && report.totals.conflicts == 0, "\(report.table())")
            #expect(try b.database.scalar("SELECT group_concat(id) FROM orders") == .text("q1"), "B's own order q2 is the one deleted")
        }
    }

    /// A row the application inserts after `prepare` has a NULL cloudId. The export gives it
    /// one in the book (never writing the application's row), and the row syncs like any
    /// other: the other side's edit comes back to it, with no duplicate.
    @Test func aRowInsertedAfterPrepareSyncsLikeAnyOther() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
            let a = try SQLiteStore(path: directory.appendingPathComponent("a.db").path, mode: .readWriteCreate)
            let b = try SQLiteStore(path: directory.appendingPathComponent("b.db").path, mode: .readWriteCreate)
            for store in [a, b] {
                try store.database.execute(schema)
                _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
            }
            try a.database.execute("INSERT INTO notes (body) VALUES ('written after prepare')")
            var exports = 0
            func move(_ from: SQLiteStore, _ to: SQLiteStore) throws -> ImportReport {
                exports += 1
                let path = try Exporter(store: from, options: ExportOptions()).export(to: directory.appendingPathComponent("cs\(exports)").path)
                #expect(path.manifest.warnings == nil, "no 'run prepare again' warning: \(path.manifest.warnings ?? [])")
                return try Importer(store: to, changeset: try ChangesetReader(path: path.path), options: ImportOptions(
                    rejectsPath: directory.appendingPathComponent("r\(exports)").path, conflictsPath: directory.appendingPathComponent("c\(exports)").path)).run()
            }
            #expect(try move(a, b).totals.inserted == 1)
            #expect(try a.database.scalar("SELECT cloudId FROM notes") == .null, "the export wrote no application row")
            let given = try b.database.scalar("SELECT cloudId FROM notes")
            #expect(given != .null, "the other side got the cloudId the book gave")
            try b.database.execute("UPDATE notes SET body = 'edited on b'")
            let back = try move(b, a)
            #expect(back.totals.updated == 1 && back.totals.inserted == 0, "\(back.table())")
            #expect(try a.rowCount("notes") == 1)
            #expect(try a.database.scalar("SELECT body FROM notes") == .text("edited on b"))
            #expect(try a.database.scalar("SELECT cloudId FROM notes") == given, "stamped by the import, as any match is")
        }
    }

    /// Editing a natural key changes the row's identity in the book but not the row: the
    /// export must not ship it as a delete, which took the other side's row and, by cascade,
    /// its orders.
    @Test func editingANaturalKeyShipsNoDelete() throws {
        try withTemporaryDirectory { directory in
            let a = try SQLiteStore(path: directory.appendingPathComponent("a.db").path, mode: .readWriteCreate)
            let b = try SQLiteStore(path: directory.appendingPathComponent("b.db").path, mode: .readWriteCreate)
            try a.database.execute(Self.schema + "INSERT INTO customers VALUES ('c1', 'ann@x', 'Ann'); INSERT INTO orders VALUES ('o1', 'c1', 'A-1', 10);")
            try b.database.execute(Self.schema + "PRAGMA foreign_keys = ON;")
            for store in [a, b] { _ = try Preparer.prepare(store: store, tables: nil, profile: .empty) }
            func exchange(_ name: String) throws -> (ImportReport, String) {
                let path = try Exporter(store: a, options: ExportOptions()).export(to: directory.appendingPathComponent(name).path).path
                let report = try Importer(store: b, changeset: try ChangesetReader(path: path), options: ImportOptions(
                    rejectsPath: directory.appendingPathComponent("r-\(name)").path, conflictsPath: directory.appendingPathComponent("c-\(name)").path)).run()
                return (report, path)
            }
            #expect(try exchange("first").0.totals.inserted == 2)
            try a.database.execute("UPDATE customers SET email = 'ann@new' WHERE id = 'c1'")
            let (report, path) = try exchange("second")
            var deletes = 0
            let reader = try ChangesetReader(path: path)
            for table in reader.manifest.tables {
                try reader.forEachRecord(in: table) { _, record, _ in if record.operation == .delete { deletes += 1 } }
            }
            #expect(deletes == 0, "no tombstone for a row that is still there")
            #expect(report.totals.deleted == 0, "\(report.table())")
            #expect(try b.rowCount("customers") == 1 && b.rowCount("orders") == 1, "the other side keeps the customer and the order")
        }
    }

    /// A book from before tombstones and versions were kept is upgraded in place when it is
    /// opened; its entries keep no versions and still work.
    @Test func anOldBookGainsItsTombstoneAndVersionColumns() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("old.db").path, mode: .readWriteCreate)
            try store.database.execute("""
                CREATE TABLE _ferry_rows (tableName TEXT NOT NULL, rowKey TEXT NOT NULL, identity TEXT NOT NULL, hash TEXT NOT NULL, base TEXT NOT NULL,
                    PRIMARY KEY (tableName, rowKey)) WITHOUT ROWID;
                CREATE INDEX _ferry_rows_identity ON _ferry_rows (tableName, identity);
                CREATE TABLE _ferry_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                INSERT INTO _ferry_rows VALUES ('t', '["k"]', '{"keys":{}}', 'h', '{}');
                """)
            let book = try #require(try store.syncBook(create: false))
            #expect(try book.entry(table: "t", rowKey: Array(#"["k"]"#.utf8))?.deleted == false)
            #expect(try book.entry(table: "t", rowKey: Array(#"["k"]"#.utf8))?.versions.isEmpty == true)
            try book.markDeleted(table: "t", rowKey: Array(#"["k"]"#.utf8), versions: VersionVector([book.storeId: 1]))
            let entry = try #require(try book.entry(table: "t", rowKey: Array(#"["k"]"#.utf8)))
            #expect(entry.deleted && entry.versions == VersionVector([book.storeId: 1]) && entry.sequence == 1)
        }
    }
}
