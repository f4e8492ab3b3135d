import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite

/// Deletes of parents whose children are found by a foreign key nothing indexes (as
/// Prisma declares them): after a few such lookups the import indexes that key for
/// itself on SQLite (a scan of the child table per deleted parent before, by Ferry and
/// again by SQLite's own check), and drops the index before commit. The rows end as
/// they would without it: cascades, SET NULL, and deletes refused by children.
@Suite struct ManyDeletesTests {
    static let schema = """
        PRAGMA foreign_keys = ON;
        CREATE TABLE customers (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
        CREATE TABLE orders (id TEXT PRIMARY KEY, customerId TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE, ref TEXT NOT NULL UNIQUE);
        CREATE TABLE notes (id TEXT PRIMARY KEY, customerId TEXT REFERENCES customers (id) ON DELETE SET NULL, body TEXT NOT NULL UNIQUE);
        CREATE TABLE invoices (id TEXT PRIMARY KEY, customerId TEXT NOT NULL REFERENCES customers (id), number TEXT NOT NULL UNIQUE);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
        INSERT INTO customers SELECT printf('c%03d', i), printf('u%d@x', i), 'name ' || i FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900)
        INSERT INTO orders SELECT printf('o%03d', i), printf('c%03d', 1 + (i * 7) % 300), 'R' || i FROM n;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
        INSERT INTO notes SELECT printf('n%03d', i), printf('c%03d', 1 + (i * 11) % 300), 'note ' || i FROM n;
        """
    static let ending = """
        SELECT (SELECT group_concat(id) FROM (SELECT id FROM customers ORDER BY id)) || '|' ||
               (SELECT group_concat(id) FROM (SELECT id FROM orders ORDER BY id)) || '|' ||
               (SELECT group_concat(id || ':' || coalesce(customerId, '-')) FROM (SELECT * FROM notes ORDER BY id)) || '|' ||
               (SELECT group_concat(id) FROM (SELECT id FROM invoices ORDER BY id))
        """

    @Test func manyDeletedParentsEndAsWithoutTheScratchIndexAndLeaveNoIndex() throws {
        try withTemporaryDirectory { directory in
            // The source deletes every fourth customer; the target, a copy, also has
            // invoices for two of them, which refuse those two deletes.
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
            try source.database.execute(Self.schema)
            _ = try Preparer.prepare(store: source, tables: nil, profile: .empty)
            let full = try exportStore(source, to: directory, name: "full")
            try source.database.execute("DELETE FROM customers WHERE rowid % 4 = 0")
            let deletes = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("deletes").path).path

            var endings: [String] = []
            for (name, indexes) in [("indexed", true), ("scanned", false)] {
                let target = try SQLiteStore(path: directory.appendingPathComponent("\(name).db").path, mode: .readWriteCreate)
                try target.database.execute(Self.schema.components(separatedBy: "WITH RECURSIVE")[0])
                try importChangeset(full, into: target, in: directory)
                try target.database.execute("INSERT INTO invoices VALUES ('i1', 'c004', 'N1'), ('i2', 'c008', 'N2')")
                let indexesBefore = try target.database.rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
                // Without it: every lookup a scan, as before.
                if !indexes { ImportContext.testChildLookupsBeforeIndex = .max }
                defer { ImportContext.testChildLookupsBeforeIndex = nil }
                let report = try importChangeset(deletes, into: target, in: directory, options: ImportOptions(rejectsPath: directory.appendingPathComponent("\(name).rejects").path))
                // 73 customers, and the 6 orders of the two kept (their own tombstones).
                #expect(report.totals.deleted == 73 + 6 && report.totals.rejected == 2, "\(name): \(report.table())")
                #expect(target.lookupIndexesAdded == (indexes ? 3 : 0), "\(name): orders, notes and invoices, each by customerId")
                #expect(try target.database.rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name") == indexesBefore, "\(name): the schema as it was")
                #expect(try target.database.rows("PRAGMA foreign_key_check").isEmpty)
                endings.append(try target.database.rows(Self.ending)[0][0].description)
            }
            #expect(endings[0] == endings[1])
            #expect(endings[0].contains("c004") && endings[0].contains("c008") && !endings[0].contains("c012"))
        }
    }
}
