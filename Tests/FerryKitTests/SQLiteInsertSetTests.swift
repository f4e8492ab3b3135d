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

    /// The same changeset into the same schema with sets and row by row: report, rows and
    /// rejects file (in its order) alike. Found by a tester: each of these differed.
    private func expectSetsEndAsRowByRow(_ sourceSQL: String, target targetSQL: String, tables: [String], file: String = #filePath, line: Int = #line) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportedSQLite(in: directory, sourceSQL)
            var outcomes: [(totals: [Int], rows: [[Value]], rejects: String, together: Int)] = []
            for inSets in [false, true] {
                let store = try SQLiteStore(path: directory.appendingPathComponent("\(inSets).db").path, mode: .readWriteCreate)
                store.insertsInSets = inSets
                try store.database.execute(targetSQL)
                let rejectsPath = directory.appendingPathComponent("rejects-\(inSets).ndjson").path
                let report = try importChangeset(changeset, into: store, in: directory, options: ImportOptions(rejectsPath: rejectsPath))
                let t = report.totals
                var rows: [[Value]] = []
                for table in tables { rows += try store.database.rows("SELECT * FROM \(table) ORDER BY 1") }
                outcomes.append(([t.inserted, t.updated, t.unchanged, t.conflicts, t.rejected], rows,
                                 (try? String(contentsOfFile: rejectsPath, encoding: .utf8)) ?? "", store.rowsInsertedTogether))
            }
            let location = SourceLocation(fileID: #fileID, filePath: file, line: line, column: 1)
            #expect(outcomes[1].totals == outcomes[0].totals, sourceLocation: location)
            #expect(outcomes[1].rows == outcomes[0].rows, sourceLocation: location)
            #expect(outcomes[1].rejects == outcomes[0].rejects, sourceLocation: location)
            #expect(outcomes[0].together == 0, sourceLocation: location)
        }
    }

    /// A conflict clause spelt with other whitespace than one space (`ON  CONFLICT`): seen
    /// as one, so the table is matched as a table that resolves collisions itself.
    @Test func aConflictClauseSpeltWithOtherWhitespaceIsSeen() throws {
        for spelling in ["ON  CONFLICT", "ON\tCONFLICT", "ON\nCONFLICT", "ON/**/CONFLICT", "on /* x\ny */ conflict", "ON -- why\n CONFLICT"] {
            #expect(SQLiteStore.declaresConflictClause("CREATE TABLE t (code TEXT NOT NULL \(spelling) IGNORE)"), "\(spelling)")
        }
        #expect(!SQLiteStore.declaresConflictClause("CREATE TABLE t (conflicton TEXT, upon_conflict TEXT)"))
        try expectSetsEndAsRowByRow("""
            CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
            INSERT INTO t SELECT 'k' || i, CASE WHEN i = 17 THEN NULL ELSE 'c' || i END FROM n;
            """, target: "CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT NOT NULL ON  CONFLICT IGNORE);", tables: ["t"])
    }

    /// A set SQLite writes fewer rows of than it was given (a conflict clause of the
    /// schema skipped one) is taken back whole; its rows then go in one by one.
    @Test func aSetOfWhichSQLiteSkipsARowIsTakenBack() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("t.db").path, mode: .readWriteCreate)
            try store.database.execute("CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT UNIQUE ON CONFLICT IGNORE)")
            let table = try #require(try store.tables(profile: .empty).first)
            let access = try store.makeTableAccess(table)
            let rows: [[Value]] = (1...20).map { [.text("k\($0)"), .text($0 == 9 ? "c1" : "c\($0)")] }
            try store.database.execute("BEGIN")
            #expect(try access.insert(["id", "code"], rows: rows) == nil)
            #expect(try store.database.scalar("SELECT count(*) FROM t") == .integer(0))
            try store.database.execute("COMMIT")
        }
    }

    /// A record with a NULL in its key cannot wait with the others; it goes in after them,
    /// so a UNIQUE collision keeps the earlier row, as row by row.
    @Test func aRecordThatCannotWaitGoesInAfterTheOnesThatDo() throws {
        try expectSetsEndAsRowByRow("""
            CREATE TABLE t (k TEXT PRIMARY KEY, email TEXT, n INTEGER);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
            INSERT INTO t SELECT 'k' || i, 'e' || i, i FROM n;
            INSERT INTO t VALUES (NULL, 'e10', 500);
            """, target: "CREATE TABLE t (k TEXT PRIMARY KEY, email TEXT UNIQUE, n INTEGER);", tables: ["t"])
        try expectSetsEndAsRowByRow("""
            CREATE TABLE t (a INTEGER, b TEXT, email TEXT, PRIMARY KEY (a, b));
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
            INSERT INTO t SELECT i, 'b' || i, 'e' || i FROM n;
            INSERT INTO t VALUES (90, NULL, 'e3');
            """, target: "CREATE TABLE t (a INTEGER, b TEXT, email TEXT UNIQUE, PRIMARY KEY (a, b));", tables: ["t"])
    }

    /// Rejects decided before a record would wait (a missing parent) and rejects of records
    /// refused in a set come in file order, as row by row.
    @Test func rejectsComeInFileOrder() throws {
        try expectSetsEndAsRowByRow("""
            CREATE TABLE owners (id TEXT PRIMARY KEY);
            CREATE TABLE items (id TEXT PRIMARY KEY, ownerId TEXT REFERENCES owners (id), sku TEXT);
            INSERT INTO owners VALUES ('o1'), ('o2');
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
            INSERT INTO items SELECT 'i' || i, CASE WHEN i % 20 = 5 THEN 'gone' ELSE 'o' || (1 + i % 2) END,
                                     CASE WHEN i % 17 = 3 THEN NULL ELSE 's' || i END FROM n;
            """, target: """
            CREATE TABLE owners (id TEXT PRIMARY KEY);
            CREATE TABLE items (id TEXT PRIMARY KEY, ownerId TEXT REFERENCES owners (id), sku TEXT NOT NULL);
            """, tables: ["owners", "items"])
    }
}

/// SQLite counts every allocation under a global mutex unless told not to, and the
/// platform's build (Debian's: no lookaside) allocates for most values a statement reads:
/// Ferry turns the count off before SQLite's first use, so the count stays at nothing.
@Suite struct SQLiteSettingsTests {
    @Test func sqliteKeepsNoMemoryStatistics() throws {
        try withTemporaryDirectory { directory in
            let database = try SQLiteDatabase(path: directory.appendingPathComponent("t.db").path, mode: .readWriteCreate)
            try database.execute("CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT); INSERT INTO t VALUES ('a', printf('%.500c', 'x'));")
            _ = try database.rows("SELECT * FROM t")
            #expect(sqlite3_memory_used() == 0)
        }
    }
}
