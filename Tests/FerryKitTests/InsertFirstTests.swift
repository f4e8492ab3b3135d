import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// A source database made by `sql`, exported to `directory/changeset`; returns its path.
private func exportedChangeset(in directory: URL, _ sql: String) throws -> String {
    let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
    try source.database.execute(sql)
    let out = directory.appendingPathComponent("changeset").path
    _ = try Exporter(store: source, options: ExportOptions()).export(to: out)
    return out
}

/// A table that is empty when an import begins takes the insert-first path (no lookups
/// before each insert). Its results must be exactly those of full matching.
@Suite struct InsertFirstTests {
    /// A source without the target's UNIQUE(email): two users share an address, and each
    /// has a note. Exported as one changeset.
    private func duplicateEmailChangeset(in directory: URL) throws -> String {
        try exportedChangeset(in: directory, """
            CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL, name TEXT NOT NULL);
            CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL REFERENCES users(id), body TEXT NOT NULL);
            INSERT INTO users VALUES ('u1', 'ada@example.com', 'Ada'), ('u2', 'ada@example.com', 'Ada L.');
            INSERT INTO notes VALUES ('n1', 'u1', 'first'), ('n2', 'u2', 'second');
            """)
    }

    private func target(at url: URL, seeded: Bool, emailConstraint: String) throws -> SQLiteStore {
        let store = try SQLiteStore(path: url.path, mode: .readWriteCreate)
        try store.database.execute("""
            CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL \(emailConstraint), name TEXT NOT NULL);
            CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL REFERENCES users(id), body TEXT NOT NULL);
            """)
        if seeded { // one unrelated row per table: the import must match, not insert first
            try store.database.execute("""
                INSERT INTO users VALUES ('t1', 'grace@example.com', 'Grace');
                INSERT INTO notes VALUES ('tn1', 't1', 'kept');
                """)
        }
        return store
    }

    private func notesByUser(_ store: SQLiteStore) throws -> [String] {
        try store.database.rows("SELECT n.id || '->' || u.email FROM notes n JOIN users u ON u.id = n.userId WHERE n.id LIKE 'n%' ORDER BY n.id")
            .map { $0[0].string ?? "" }
    }

    /// Also when the schema declares its own conflict rule, which would let a colliding
    /// insert succeed by replacing the first row.
    @Test(arguments: ["UNIQUE", "UNIQUE ON CONFLICT REPLACE"])
    func aDuplicateIdentityInOneChangesetIsMatchedAsFullMatchingWould(emailConstraint: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try duplicateEmailChangeset(in: directory)
            let empty = try target(at: directory.appendingPathComponent("empty.db"), seeded: false, emailConstraint: emailConstraint)
            let seeded = try target(at: directory.appendingPathComponent("seeded.db"), seeded: true, emailConstraint: emailConstraint)
            let fast = try Importer(store: empty, changeset: try ChangesetReader(path: changeset)).run()
            let matched = try Importer(store: seeded, changeset: try ChangesetReader(path: changeset)).run()

            #expect(fast.tables.map(\.counts) == matched.tables.map(\.counts))
            // The second Ada collided with the first on email and was matched to it, never inserted twice.
            #expect(try empty.rowCount("users") == 1)
            #expect(fast.tables.first { $0.name == "users" }?.counts.inserted == 1)
            // u2 became u1's row, so the note that pointed at u2 follows it there.
            #expect(try notesByUser(empty) == ["n1->ada@example.com", "n2->ada@example.com"])
            #expect(try notesByUser(empty) == notesByUser(seeded))
            #expect(try empty.database.rows("PRAGMA foreign_key_check").isEmpty)
        }
    }

    @Test func aValueOfTheWrongTypeForAnIntegerKeyIsARejectNotAFailedImport() throws {
        try withTemporaryDirectory { directory in
            let out = try exportedChangeset(in: directory, """
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE);
                INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c');
                """)
            try editTable(out, "items") { lines in [lines[0], setField(lines[1], "id", #""2b""#), lines[2]] }
            let target = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            try target.database.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE)")
            let report = try Importer(store: target, changeset: try ChangesetReader(path: out)).run()
            #expect(report.totals.inserted == 2)
            #expect(report.totals.rejected == 1)
            #expect(try target.database.rows("SELECT sku FROM items ORDER BY id").map { $0[0].string } == ["a", "c"])
        }
    }

    @Test func aReplayIntoAnEmptyDatabaseKeepsEveryKeyAndReference() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("source.db").path
            let source = try SQLiteStore(path: path, mode: .readWriteCreate)
            try source.database.execute("""
                CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                CREATE TABLE members (id INTEGER PRIMARY KEY, teamId INTEGER NOT NULL REFERENCES teams(id), name TEXT NOT NULL);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
                INSERT INTO teams SELECT i * 7, 'team ' || i FROM n;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
                INSERT INTO members SELECT i, (1 + i % 50) * 7, 'member ' || i FROM n;
                """)
            let (target, report, _) = try exportAndReplay(URL(fileURLWithPath: path), in: directory)
            #expect(report.totals.inserted == 550)
            #expect(report.totals.rejected == 0)
            #expect(try DatabaseComparison.firstDifference(source, target, tables: ["teams", "members"]) == nil)
        }
    }
}

/// Records are decoded on a background thread (RecordPipe); errors must still surface at
/// the line they belong to, and an import that stops early must not hang or apply anything.
@Suite struct BackgroundDecodingTests {
    private func thousandRowChangeset(in directory: URL) throws -> String {
        try exportedChangeset(in: directory, """
            CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
            INSERT INTO items SELECT i, 'SKU-' || i, 'item ' || i FROM n;
            """)
    }

    /// The reading thread fills spent batches again (their arrays' room kept), except one
    /// that held a huge line: every record still reaches the caller with its own line and
    /// number, across a dozen batches, one of them cut short by a 5 MiB line.
    @Test func refilledBatchesHandOverEveryLineAsItIs() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportedChangeset(in: directory, """
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
                INSERT INTO items SELECT i, 'SKU-' || i, CASE i WHEN 1500 THEN printf('%.5242880c', 'x') ELSE 'item ' || i END FROM n;
                """)
            var lines: [String] = []
            try editTable(changeset, "items") { lines = $0; return $0 }
            let reader = try ChangesetReader(path: changeset)
            let table = try #require(reader.manifest.tables.first { $0.name == "items" })
            var seen = 0
            try RecordPipe.forEachRecord(of: reader, in: table) { lineNumber, record, line in
                seen += 1
                guard lineNumber == seen, record.value(of: "id") == .integer(Int64(seen)) else {
                    Issue.record("record \(seen) arrived as line \(lineNumber), id \(String(describing: record.value(of: "id")))")
                    return
                }
                if String(decoding: line, as: UTF8.self) != lines[seen - 1] { Issue.record("line \(seen) arrived otherwise") }
            }
            #expect(seen == 3000)
        }
    }

    @Test func aBrokenLineDeepInATableIsReportedAtItsLineAndNothingIsApplied() throws {
        try withTemporaryDirectory { directory in
            let changeset = try thousandRowChangeset(in: directory)
            try editTable(changeset, "items") { lines in
                var lines = lines
                lines[699] = String(lines[699].dropLast(3)) // line 700 is cut short
                return lines
            }
            let target = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            #expect {
                try Importer(store: target, changeset: try ChangesetReader(path: changeset)).run()
            } throws: { error in
                "\(error)".contains("items.ndjson.gz") && "\(error)".contains("line 700")
            }
            #expect(try !target.tableExists("items") || target.isEmpty("items"))
        }
    }

    /// A conflict at record 600 is the error, not the broken line 700 that the reader
    /// thread reaches first: records reach the importer in order, up to the bad line.
    @Test func anErrorInTheRecordsBeforeABrokenLineComesFirst() throws {
        try withTemporaryDirectory { directory in
            let changeset = try thousandRowChangeset(in: directory)
            try editTable(changeset, "items") { lines in
                var lines = lines
                lines[699] = String(lines[699].dropLast(3))
                return lines
            }
            let target = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            try target.database.execute("""
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT);
                INSERT INTO items VALUES (600, 'SKU-600', 'changed here');
                """)
            #expect {
                try Importer(store: target, changeset: try ChangesetReader(path: changeset), options: ImportOptions(onConflict: .abort)).run()
            } throws: { error in
                "\(error)".contains("abort") && !"\(error)".contains("line 700")
            }
        }
    }

    @Test func anImportThatStopsEarlyReturnsAndAppliesNothing() throws {
        try withTemporaryDirectory { directory in
            let changeset = try thousandRowChangeset(in: directory)
            let target = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            try target.database.execute("""
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT);
                INSERT INTO items VALUES (10, 'SKU-10', 'changed here');
                """)
            // Record 10 conflicts and abort stops the import there, while the reader thread
            // has batches of later records queued.
            #expect(throws: FerryError.self) {
                try Importer(store: target, changeset: try ChangesetReader(path: changeset), options: ImportOptions(onConflict: .abort)).run()
            }
            #expect(try target.database.rows("SELECT id || ':' || title FROM items").map { $0[0].string } == ["10:changed here"])
        }
    }
}

/// An import into an empty sync book, and the first export after `prepare`, build the
/// book's identity index once at the end.
@Suite struct DeferredIdentityIndexTests {
    private let indexQuery = "SELECT count(*) FROM sqlite_schema WHERE name = '_ferry_rows_identity'"

    @Test func theIndexExistsAfterAFirstImportAndAfterOneThatRolledBack() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportedChangeset(in: directory, """
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
                INSERT INTO items SELECT i, 'SKU-' || i, 'item ' || i FROM n;
                """)
            let target = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            // A book that exists but is empty, and an import that rolls back (dry run).
            _ = try target.syncBook(create: true)
            _ = try Importer(store: target, changeset: try ChangesetReader(path: changeset), options: ImportOptions(dryRun: true)).run()
            #expect(try target.database.scalar(indexQuery) == .integer(1))

            let report = try Importer(store: target, changeset: try ChangesetReader(path: changeset)).run()
            #expect(report.totals.inserted == 300)
            #expect(try target.database.scalar(indexQuery) == .integer(1))
            #expect(try target.database.scalar("SELECT count(*) FROM _ferry_rows INDEXED BY _ferry_rows_identity WHERE tableId = (SELECT id FROM _ferry_tables WHERE name = 'items') AND identity > '' AND (deleted = 1 OR inTable = 0)") == .integer(300))
        }
    }

    @Test func theIndexExistsAfterTheFirstExportFillsTheBook() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("source.db").path
            let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            try db.execute("""
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
                INSERT INTO items SELECT i, 'SKU-' || i, 'item ' || i FROM n;
                """)
            let source = try SQLiteStore(path: path, mode: .readWrite)
            _ = try Preparer.prepare(store: source, tables: nil, profile: .empty)
            #expect(try source.database.scalar("SELECT count(*) FROM _ferry_rows") == .integer(0))
            _ = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("first").path)
            #expect(try source.database.scalar(indexQuery) == .integer(1))
            #expect(try source.database.scalar("SELECT count(*) FROM _ferry_rows INDEXED BY _ferry_rows_identity WHERE tableId = (SELECT id FROM _ferry_tables WHERE name = 'items') AND identity > '' AND (deleted = 1 OR inTable = 0)") == .integer(300))
            // A later export finds the book filled and keeps the index as it is.
            _ = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("second").path)
            #expect(try source.database.scalar(indexQuery) == .integer(1))
        }
    }
}
