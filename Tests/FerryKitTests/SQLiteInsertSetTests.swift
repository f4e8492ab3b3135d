import CSQLite
import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite

/// A table that was empty takes its records a set at a time on SQLite too
/// (`SQLiteTableAccess.insert(_:rows:)`). The model is the same import with every row
/// going in alone: the same report, the same rows, the same rejects.
@Suite struct SQLiteInsertSetTests {
    /// 700 items (a natural key now and then repeated, rows a CHECK or NOT NULL refuses) and
    /// a child per item, imported into empty tables with sets and without. Seeds 7 and 8
    /// lower SQLite's limit of bound parameters, so a set is several statements in a savepoint.
    @Test(arguments: 1...8)
    func anEmptyTableFilledInSetsEndsAsFilledRowByRow(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let refusals = seed % 4 == 0 || seed > 6 ? 0.004 : 0
            let duplicates = seed % 3 == 0 ? 0.0 : 0.003
            let source = try SQLiteDatabase(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
            try source.execute("""
                CREATE TABLE items (id TEXT PRIMARY KEY, sku TEXT, qty INTEGER, note TEXT);
                CREATE TABLE parts (id INTEGER PRIMARY KEY, itemId TEXT REFERENCES items (id), label TEXT);
                """)
            try insertItemsForSetTests(into: source, seed: seed, refusals: refusals, duplicates: duplicates)
            try source.execute("INSERT INTO parts (itemId, label) SELECT id, 'part of ' || id FROM items")
            let changeset = try exportStore(try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readOnly), to: directory, name: "changeset")

            func imported(inSets: Bool) throws -> (report: ImportReport, rows: [[Value]], rejects: [String], together: Int) {
                let name = inSets ? "sets" : "alone"
                let store = try SQLiteStore(path: directory.appendingPathComponent("\(name).db").path, mode: .readWriteCreate)
                store.insertsInSets = inSets
                if seed > 6 { sqlite3_limit(store.database.handle, SQLITE_LIMIT_VARIABLE_NUMBER, 64) }
                try store.database.execute("""
                    CREATE TABLE items (id TEXT PRIMARY KEY, sku TEXT NOT NULL UNIQUE, qty INTEGER CHECK (qty >= 0), note TEXT);
                    CREATE TABLE parts (id INTEGER PRIMARY KEY, itemId TEXT REFERENCES items (id), label TEXT);
                    """)
                let rejectsPath = directory.appendingPathComponent("rejects-\(name).ndjson").path
                let report = try importChangeset(changeset, into: store, in: directory, options: ImportOptions(rejectsPath: rejectsPath, onConflict: .sourceWins))
                let rows = try store.database.rows("SELECT i.id, i.sku, i.qty, i.note, p.id, p.label FROM items i LEFT JOIN parts p ON p.itemId = i.id ORDER BY i.id, p.id")
                // A rejects line is the record and why; which import wrote it is no part of it.
                let rejects = ((try? String(contentsOfFile: rejectsPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                return (report, rows, rejects, store.rowsInsertedTogether)
            }
            let alone = try imported(inSets: false)
            let sets = try imported(inSets: true)
            let totals = { (t: ImportReport.Counts) in [t.inserted, t.updated, t.unchanged, t.conflicts, t.rejected] }
            #expect(totals(sets.report.totals) == totals(alone.report.totals), "seed \(seed)")
            #expect(sets.rows == alone.rows, "seed \(seed)")
            #expect(sets.rejects.count == alone.rejects.count, "seed \(seed)")
            #expect(alone.together == 0)
            // The 1,400 records are six batches; a refused set is halved until its halves go in.
            #expect(sets.together > 1_200, "seed \(seed): \(sets.report.totals)")
            if refusals == 0 && duplicates == 0 { #expect(sets.together == 1_400) }
            #expect(alone.report.totals.inserted > 1_300)
        }
    }

    /// A trigger of the table sees its rows go in one by one, as without sets.
    @Test func aTableWithATriggerTakesItsRowsOneByOne() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportedSQLite(in: directory, """
                CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
                INSERT INTO items SELECT 'i' || i, 'item ' || i FROM n;
                """)
            let store = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            try store.database.execute("""
                CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT);
                CREATE TABLE audit (n INTEGER PRIMARY KEY, id TEXT);
                CREATE TRIGGER note AFTER INSERT ON items BEGIN INSERT INTO audit (id) VALUES (NEW.id); END;
                """)
            let report = try importChangeset(changeset, into: store, in: directory)
            #expect(report.totals.inserted == 300)
            #expect(try store.database.scalar("SELECT count(*) FROM audit") == .integer(300))
            #expect(store.rowsInsertedTogether == 0)
        }
    }

    /// A key SQLite would store otherwise than bound (text into an INTEGER key) is read back
    /// row by row, so children find their parent.
    @Test func keysStoredOtherwiseThanBoundAreReadBack() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportedSQLite(in: directory, """
                CREATE TABLE owners (id TEXT PRIMARY KEY, name TEXT);
                CREATE TABLE pets (id TEXT PRIMARY KEY, ownerId TEXT REFERENCES owners (id));
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
                INSERT INTO owners SELECT CAST(i AS TEXT), 'owner ' || i FROM n;
                INSERT INTO pets SELECT 'p' || id, id FROM owners;
                """)
            let store = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            try store.database.execute("""
                CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT);
                CREATE TABLE pets (id TEXT PRIMARY KEY, ownerId INTEGER REFERENCES owners (id));
                """)
            let report = try importChangeset(changeset, into: store, in: directory)
            #expect(report.totals.inserted == 600 && report.totals.rejected == 0, "\(report.totals)")
            #expect(try store.database.scalar("SELECT count(*) FROM pets p JOIN owners o ON o.id = p.ownerId") == .integer(300))
            #expect(store.rowsInsertedTogether == 300) // the pets: text keys in a text column
        }
    }

    private func exportedSQLite(in directory: URL, _ sql: String) throws -> String {
        let path = directory.appendingPathComponent("source.db").path
        let source = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try source.execute(sql)
        return try exportStore(try SQLiteStore(path: path, mode: .readOnly), to: directory, name: "changeset")
    }
}
