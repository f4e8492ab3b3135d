import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres

/// New rows of a table that was not empty wait to go in a set at a time, like the rows of
/// an empty table (`TableReconciler.queuedIdentities`, `Outcome.flushFirst`). The model is
/// the same import with every row going in alone: the same report, the same rows, the
/// same rejects in the same order, the same book.
@Suite struct NewRowsInSetsTests {
    /// A source of 900 people and 300 notes against a target of 80 people and 20 notes,
    /// drawn so that every way a record can meet a row happens: a new row; a row matched by
    /// id, cloudId or email (in other letters, under NOCASE); two records of one changeset
    /// with one cloudId, email (in other letters) or code; a code or an id another target
    /// row holds; a row the target's CHECK refuses; notes whose integer ids are taken.
    static func people(seed: UInt64, into source: SQLiteDatabase) throws {
        var random = SplitMix64(seed: seed)
        func maybe(_ chance: Double) -> Bool { Double.random(in: 0..<1, using: &random) < chance }
        func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &random) }
        try source.execute("""
            CREATE TABLE people (id TEXT PRIMARY KEY, cloudId TEXT, email TEXT, code INTEGER, n INTEGER, name TEXT);
            CREATE TABLE notes (id INTEGER PRIMARY KEY, personId TEXT REFERENCES people (id), body TEXT);
            """)
        let insert = try source.prepare("INSERT OR IGNORE INTO people VALUES (?, ?, ?, ?, ?, ?)")
        for index in 0..<900 {
            let id = maybe(0.05) ? "t\(below(80))" : "s\(index)"
            let cloudId: Value = maybe(0.6) ? .text("c\(index)") : maybe(0.25) ? .text("c-t\(below(80))")
                : maybe(0.2) && index > 0 ? .text("c\(below(index))") : .null
            let email: Value = maybe(0.7) ? .text("e\(index)@x") : maybe(0.35) ? .text("E-T\(below(80))@X")
                : maybe(0.3) && index > 0 ? .text("E\(below(index))@X") : .null
            let code: Value = maybe(0.5) ? .null : .integer(Int64(below(3_000)))
            let n: Value = maybe(0.03) ? .integer(-1) : .integer(Int64(index))
            try insert.bind([.text(id), cloudId, email, code, n, .text("source \(index)")])
            try insert.step()
            insert.reset()
        }
        try source.execute("""
            WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 300)
            INSERT INTO notes SELECT i, (SELECT id FROM people WHERE rowid = 1 + (k.i * 7919) % (SELECT count(*) FROM people)), 'note ' || i FROM k;
            """)
    }

    /// The target's 80 people (`t0`… with cloudIds `c-t0`… and emails `e-t0@x`…) and 20 notes.
    static let targetRows = """
        WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 79)
        INSERT INTO people SELECT 't' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'c-t' || i END, 'e-t' || i || '@x',
                                  CASE WHEN i % 2 = 0 THEN i * 37 ELSE NULL END, 0, 'target ' || i FROM k;
        WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20)
        INSERT INTO notes SELECT i, 't' || (i * 3), 'target note ' || i FROM k;
        """

    struct Ending: Equatable {
        var totals: [Int]
        var rows: [[Value]]
        var rejects: String
        var book: [[Value]] = []
    }

    /// The first row where two endings differ, not every row of both.
    static func expectSameRows(_ got: [[Value]], _ expected: [[Value]], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == expected.count, "\(what): \(got.count) rows, \(expected.count) row by row", sourceLocation: sourceLocation)
        if let index = (0..<min(got.count, expected.count)).first(where: { got[$0] != expected[$0] }) {
            Issue.record("\(what): row \(index) is \(got[index]), row by row \(expected[index])", sourceLocation: sourceLocation)
        }
    }

    /// The ending in sets is the ending row by row: report, rows, rejects file.
    static func expectSameEnding(_ sets: Ending, _ alone: Ending, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sets.totals == alone.totals, "seed \(seed): inserted, updated, merged, unchanged, deleted, conflicts, rejected", sourceLocation: sourceLocation)
        expectSameRows(sets.rows, alone.rows, "seed \(seed)", sourceLocation: sourceLocation)
        #expect(sets.rejects == alone.rejects, "seed \(seed)", sourceLocation: sourceLocation)
    }

    private static func totals(_ report: ImportReport) -> [Int] {
        let t = report.totals
        return [t.inserted, t.updated, t.merged, t.unchanged, t.deleted, t.conflicts, t.rejected]
    }

    @Test(arguments: 1...8)
    func newRowsIntoATableThatWasNotEmptyEndAsRowByRow(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.appendingPathComponent("source.db").path
            try Self.people(seed: seed, into: try SQLiteDatabase(path: sourcePath, mode: .readWriteCreate))
            let changeset = try exportStore(try SQLiteStore(path: sourcePath, mode: .readOnly), to: directory, name: "changeset")
            var endings: [Bool: (ending: Ending, together: Int)] = [:]
            for inSets in [false, true] {
                let store = try SQLiteStore(path: directory.appendingPathComponent("\(inSets).db").path, mode: .readWriteCreate)
                store.insertsInSets = inSets
                store.newRowsInSets = inSets
                try store.database.execute("""
                    CREATE TABLE people (id TEXT PRIMARY KEY, cloudId TEXT UNIQUE, email TEXT UNIQUE COLLATE NOCASE, code INTEGER UNIQUE,
                                         n INTEGER CHECK (n >= 0), name TEXT);
                    CREATE TABLE notes (id INTEGER PRIMARY KEY, personId TEXT REFERENCES people (id), body TEXT);
                    \(Self.targetRows)
                    """)
                let rejectsPath = directory.appendingPathComponent("rejects-\(inSets).ndjson").path
                let report = try importChangeset(changeset, into: store, in: directory,
                                                 options: ImportOptions(rejectsPath: rejectsPath, onConflict: seed % 2 == 0 ? .sourceWins : .defer))
                let rows = try store.database.rows("SELECT * FROM people ORDER BY id") + store.database.rows("SELECT * FROM notes ORDER BY id")
                endings[inSets] = (Ending(totals: Self.totals(report), rows: rows, rejects: (try? String(contentsOfFile: rejectsPath, encoding: .utf8)) ?? ""),
                                   store.rowsInsertedTogether)
            }
            let alone = try #require(endings[false]), sets = try #require(endings[true])
            Self.expectSameEnding(sets.ending, alone.ending, seed: seed)
            // Every kind of record happened, and most new rows went in together.
            let t = alone.ending.totals
            #expect(t[0] > 500 && t[1] + t[2] + t[3] + t[5] > 20 && t[6] > 10, "seed \(seed): \(t)")
            #expect(alone.together == 0)
            #expect(sets.together > 300, "seed \(seed): \(sets.together) of \(t[0]) new rows in sets")
        }
    }

    /// A changeset (a stranger's) whose records 150… claim the cloudIds of records 0…, while
    /// their rows hold cloudIds of their own. Row by row, such a record finds the earlier
    /// record's row by that cloudId and goes into it; no constraint would stop the two going
    /// in together (their cloudId columns differ), so the record waits for the row it names.
    @Test func aRecordWithTheCloudIdOfOneWaitingMeetsItsRow() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.appendingPathComponent("source.db").path
            let source = try SQLiteDatabase(path: sourcePath, mode: .readWriteCreate)
            try source.execute("""
                CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT);
                WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 199)
                INSERT INTO items SELECT 'i' || printf('%03d', i), 'item ' || i FROM k;
                """)
            let prepared = try SQLiteStore(path: sourcePath, mode: .readWrite)
            _ = try Preparer.prepare(store: prepared, tables: nil, profile: .empty)
            let schema = try source.rows("SELECT sql FROM sqlite_schema WHERE tbl_name = 'items' AND sql IS NOT NULL").compactMap { $0[0].string }
            let changeset = try exportStore(prepared, to: directory, name: "changeset")
            try editTable(changeset, "items") { lines in
                let cloudIds = lines.map { line -> JSONValue in (try? JSONParser.parse(Array(line.utf8)))?["cloudId"] ?? .null }
                return lines.enumerated().map { index, line in
                    guard index >= 150, case .object(var fields) = try! JSONParser.parse(Array(line.utf8)),
                          let at = fields.firstIndex(where: { $0.key == "cloudId" }) else { return line }
                    fields[at].value = cloudIds[index - 150]
                    var buffer = JSONBuffer()
                    buffer.appendJSON(.object(fields))
                    return buffer.string
                }
            }
            var endings: [Bool: (rows: [[Value]], totals: [Int], together: Int)] = [:]
            for inSets in [false, true] {
                let store = try SQLiteStore(path: directory.appendingPathComponent("\(inSets).db").path, mode: .readWriteCreate)
                store.insertsInSets = inSets
                store.newRowsInSets = inSets
                try store.database.execute(schema.joined(separator: ";\n") + ";\nINSERT INTO items (id, name) VALUES ('old', 'here before')")
                let report = try importChangeset(changeset, into: store, in: directory, options: ImportOptions(onConflict: .sourceWins))
                endings[inSets] = (try store.database.rows("SELECT id, name FROM items ORDER BY id"), Self.totals(report), store.rowsInsertedTogether)
            }
            let alone = try #require(endings[false]), sets = try #require(endings[true])
            #expect(alone.rows.count < 200, "the records naming another's cloudId went into its row: \(alone.totals)")
            Self.expectSameRows(sets.rows, alone.rows, "rows")
            #expect(sets.totals == alone.totals)
            #expect(sets.together >= 100 && alone.together == 0, "\(sets.together)")
        }
    }

    /// Found by a tester: a changeset (hand-made, or two merged) whose record renames a key
    /// (`was`) away from the key of a new row still waiting. Row by row, the rename finds
    /// that row; it waits for it now, as any record that renames does.
    @Test func aRenameOfARowStillWaitingFindsIt() throws {
        try withTemporaryDirectory { directory in
            let changeset = directory.appendingPathComponent("renames.ndjson").path
            try Data("""
                {"op":"upsert","keys":{"code":"a"},"row":{"id":10,"code":"a","name":"A"},"reject":{"table":"u","line":1,"reason":"constraint","message":"m","changeset":"c"}}
                {"op":"upsert","keys":{"code":"b"},"row":{"id":11,"code":"b","name":"B"},"was":{"code":"a"},"reject":{"table":"u","line":2,"reason":"constraint","message":"m","changeset":"c"}}

                """.utf8).write(to: URL(fileURLWithPath: changeset))
            var endings: [Bool: (rows: [[Value]], totals: [Int])] = [:]
            for inSets in [false, true] {
                let store = try SQLiteStore(path: directory.appendingPathComponent("\(inSets).db").path, mode: .readWriteCreate)
                store.insertsInSets = inSets
                store.newRowsInSets = inSets
                try store.database.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, name TEXT); INSERT INTO u VALUES (1, 'x', 'X')")
                let report = try Importer(store: store, changeset: try ChangesetReader(path: changeset, target: store),
                                          options: ImportOptions(rejectsPath: directory.appendingPathComponent("r\(inSets)").path)).run()
                endings[inSets] = (try store.database.rows("SELECT * FROM u ORDER BY id"), Self.totals(report))
            }
            let alone = try #require(endings[false]), sets = try #require(endings[true])
            #expect(alone.rows.count == 2, "the rename found the row of the record before it: \(alone.rows)")
            Self.expectSameRows(sets.rows, alone.rows, "rows")
            #expect(sets.totals == alone.totals)
        }
    }

    /// A full export of a prepared store into one that has every row but the new ones, in
    /// key order (a WITHOUT ROWID table scans by key, so new rows come between the others):
    /// the stale copies write nothing, so the new rows between them still go in together.
    @Test func newRowsBetweenStaleCopiesGoInTogether() throws {
        try withTemporaryDirectory { directory in
            let pair = try PreparedPair(in: directory, schema: "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT) WITHOUT ROWID;", rowsOfA: """
                WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 599)
                INSERT INTO notes (id, body) SELECT printf('n%04d', i * 2), 'note ' || i FROM k;
                """)
            try pair.exchangeInFull()
            try pair.a.database.execute("""
                WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 599)
                INSERT INTO notes (id, body) SELECT printf('n%04d', i * 2 + 1), 'new ' || i FROM k;
                """)
            pair.b.newRowsInSets = true
            let before = pair.b.rowsInsertedTogether
            let (report, shipped) = try pair.sync(pair.a, pair.b, incremental: false)
            #expect(shipped == 1_200)
            #expect(report.totals.inserted == 600 && report.totals.unchanged == 600, "\(report.totals)")
            #expect(pair.b.rowsInsertedTogether - before == 600)
            #expect(try pair.b.database.scalar("SELECT count(*) FROM notes") == .integer(1_200))
        }
    }

    /// Two prepared stores that exchanged in full, then each changed: `a` adds rows, edits
    /// and deletes some; `b` deletes rows `a` edited, and adds rows under emails `a` adds
    /// too. `a`'s changeset into `b`, with sets and row by row: the same rows, report,
    /// rejects and book (tombstones, versions, hashes, sequence numbers).
    @Test(arguments: 1...4)
    func newRowsIntoAPreparedStoreEndAsRowByRow(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            var random = SplitMix64(seed: seed)
            func maybe(_ chance: Double) -> Bool { Double.random(in: 0..<1, using: &random) < chance }
            let pair = try PreparedPair(in: directory, schema: """
                CREATE TABLE people (id TEXT PRIMARY KEY, email TEXT UNIQUE COLLATE NOCASE, n INTEGER CHECK (n >= 0), name TEXT);
                CREATE TABLE notes (id INTEGER PRIMARY KEY, personId TEXT REFERENCES people (id) ON DELETE CASCADE, body TEXT);
                """, rowsOfA: """
                WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 399)
                INSERT INTO people (id, email, n, name) SELECT 'p' || i, 'e' || i || '@x', i, 'first ' || i FROM k;
                INSERT INTO notes (personId, body) SELECT id, 'note of ' || id FROM people WHERE n % 4 = 0;
                """)
            try pair.exchangeInFull()
            for index in 0..<400 where maybe(0.25) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0: try pair.a.database.execute("UPDATE people SET name = 'edited in a' WHERE id = 'p\(index)'")
                case 1: try pair.a.database.execute("DELETE FROM people WHERE id = 'p\(index)'")
                case 2: try pair.b.database.execute("DELETE FROM people WHERE id = 'p\(index)'")
                default:
                    try pair.a.database.execute("UPDATE people SET name = 'edited in a' WHERE id = 'p\(index)'")
                    try pair.b.database.execute("DELETE FROM people WHERE id = 'p\(index)'")
                }
            }
            for index in 400..<900 {
                try pair.a.database.execute("INSERT INTO people (id, email, n, name) VALUES ('p\(index)', 'e\(index)@x', \(index), 'new in a')")
                if maybe(0.1) { try pair.b.database.execute("INSERT INTO people (id, email, n, name) VALUES ('b\(index)', 'E\(index)@X', \(index), 'new in b')") }
                if index % 5 == 0 { try pair.a.database.execute("INSERT INTO notes (personId, body) VALUES ('p\(index)', 'new note')") }
            }
            let changeset = try Exporter(store: pair.a, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("a-changes").path).path
            var endings: [Bool: (ending: Ending, together: Int)] = [:]
            for inSets in [false, true] {
                let path = directory.appendingPathComponent("b-\(inSets).db").path
                try pair.b.database.execute("VACUUM INTO '\(path)'")
                let store = try SQLiteStore(path: path, mode: .readWrite)
                store.insertsInSets = inSets
                store.newRowsInSets = inSets
                let rejectsPath = directory.appendingPathComponent("rejects-\(inSets).ndjson").path
                let report = try importChangeset(changeset, into: store, in: directory,
                                                 options: ImportOptions(rejectsPath: rejectsPath, onConflict: seed % 2 == 0 ? .sourceWins : .defer))
                let rows = try store.database.rows("SELECT * FROM people ORDER BY id") + store.database.rows("SELECT * FROM notes ORDER BY id")
                // Each copy of `b` is a store of its own (a copied file takes a new store id):
                // its own counter in a version is named "here".
                let here = try #require(try store.database.scalar("SELECT value FROM _ferry_state WHERE key = 'storeId'")?.string)
                let book = try store.database.rows("SELECT tableId, rowKey, identity, hash, digests, deleted, versions, seq, fingerprint, inTable FROM _ferry_rows ORDER BY tableId, rowKey")
                    .map { entry in
                        var entry = entry
                        let counters = BookPacking.unpack(versions: entry[6]).counters.map { ($0.key == here ? "here" : $0.key) + ":\($0.value)" }
                        entry[6] = .text(Array(counters.sorted().joined(separator: ",").utf8))
                        return entry
                    }
                endings[inSets] = (Ending(totals: Self.totals(report), rows: rows, rejects: (try? String(contentsOfFile: rejectsPath, encoding: .utf8)) ?? "", book: book),
                                   store.rowsInsertedTogether)
            }
            let alone = try #require(endings[false]), sets = try #require(endings[true])
            Self.expectSameEnding(sets.ending, alone.ending, seed: seed)
            Self.expectSameRows(sets.ending.book, alone.ending.book, "seed \(seed), book")
            let t = alone.ending.totals
            #expect(t[0] > 400 && t[1] > 0 && t[4] > 0, "seed \(seed): \(t)")
            #expect(alone.together == 0)
            #expect(sets.together > 300, "seed \(seed): \(sets.together) of \(t[0]) new rows in sets")
        }
    }
}

/// On PostgreSQL, new rows into a table that was not empty go in a set at a time: no round
/// trip a row. The model: the same import with prefetching off (every row alone).
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresNewRowsInSetsTests {
    private func imported(_ changeset: String, prefetching: Bool, seed: UInt64, in directory: URL) throws -> (ending: NewRowsInSetsTests.Ending, together: Int, alone: Int) {
        try PostgresTestServer.withDatabase { uri in
            let postgres = try PostgresStore(uri: uri)
            postgres.prefetching = prefetching
            try postgres.connection.execute("""
                CREATE TABLE people (id text PRIMARY KEY, "cloudId" text UNIQUE, email text, code bigint UNIQUE, n bigint CHECK (n >= 0), name text);
                CREATE UNIQUE INDEX people_email ON people (lower(email));
                CREATE TABLE notes (id bigint PRIMARY KEY, "personId" text REFERENCES people (id), body text);
                INSERT INTO people SELECT 't' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'c-t' || i END, 'e-t' || i || '@x',
                                          CASE WHEN i % 2 = 0 THEN i * 37 ELSE NULL END, 0, 'target ' || i FROM generate_series(0, 79) AS i;
                INSERT INTO notes SELECT i, 't' || (i * 3), 'target note ' || i FROM generate_series(1, 20) AS i;
                """)
            let rejectsPath = directory.appendingPathComponent("rejects-\(prefetching).ndjson").path
            let report = try importChangeset(changeset, into: postgres, in: directory,
                                             options: ImportOptions(rejectsPath: rejectsPath, onConflict: seed % 2 == 0 ? .sourceWins : .defer))
            var rows: [[Value]] = []
            for (sql, width) in [(#"SELECT id, "cloudId", email, code, n, name FROM people ORDER BY id COLLATE "C""#, 6), (#"SELECT id, "personId", body FROM notes ORDER BY id"#, 3)] {
                let result = try postgres.connection.query(sql)
                rows += (0..<result.rowCount).map { row in (0..<width).map { result.value(row: row, column: $0) } }
            }
            let t = report.totals
            let ending = NewRowsInSetsTests.Ending(totals: [t.inserted, t.updated, t.merged, t.unchanged, t.deleted, t.conflicts, t.rejected], rows: rows,
                                                   rejects: (try? String(contentsOfFile: rejectsPath, encoding: .utf8)) ?? "")
            return (ending, postgres.rowsInsertedTogether, postgres.writesAlone)
        }
    }

    @Test(arguments: 1...4)
    func newRowsIntoATableThatWasNotEmptyGoInTogether(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.appendingPathComponent("source.db").path
            try NewRowsInSetsTests.people(seed: seed, into: try SQLiteDatabase(path: sourcePath, mode: .readWriteCreate))
            let changeset = try exportStore(try SQLiteStore(path: sourcePath, mode: .readOnly), to: directory, name: "changeset")
            let alone = try imported(changeset, prefetching: false, seed: seed, in: directory)
            let sets = try imported(changeset, prefetching: true, seed: seed, in: directory)
            NewRowsInSetsTests.expectSameEnding(sets.ending, alone.ending, seed: seed)
            let inserted = alone.ending.totals[0]
            #expect(inserted > 500 && alone.together == 0)
            #expect(sets.together > 300, "seed \(seed): \(sets.together) of \(inserted) new rows in sets")
            // Row by row, a write a new row at least; in sets, those refused in a set and the updates.
            #expect(alone.alone >= inserted)
            #expect(sets.alone < inserted - 300, "seed \(seed): \(sets.alone) writes alone for \(inserted) new rows")
        }
    }

    /// 600 new rows between 600 the table holds already, as the changeset has them: the
    /// rows already here write nothing, so the new ones go in together.
    @Test func newRowsBetweenRowsAlreadyHereGoInTogether() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportedSQLite(in: directory, """
                CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT);
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1199)
                INSERT INTO notes SELECT printf('n%04d', i), 'note ' || i FROM n;
                """)
            try PostgresTestServer.withDatabase { uri in
                let postgres = try PostgresStore(uri: uri)
                try postgres.connection.execute("""
                    CREATE TABLE notes (id text PRIMARY KEY, body text);
                    INSERT INTO notes SELECT 'n' || lpad(i::text, 4, '0'), 'note ' || i FROM generate_series(0, 1199, 2) AS i;
                    """)
                let report = try importChangeset(changeset, into: postgres, in: directory)
                #expect(report.totals.inserted == 600 && report.totals.unchanged == 600, "\(report.totals)")
                #expect(postgres.rowsInsertedTogether == 600)
                #expect(postgres.writesAlone == 0, "\(postgres.writesAlone) writes alone")
            }
        }
    }

    /// Found by a tester: a deferrable unique constraint checks a set only at commit, when
    /// its records can no longer be applied alone; two emails equal under citext then ended
    /// the import. Such a table takes its new rows one by one, as before.
    @Test func aDeferrableUniqueConstraintTakesRowsOneByOne() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportedSQLite(in: directory, """
                CREATE TABLE p (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);
                INSERT INTO p VALUES (1, 'ann@x', 'Ann'), (2, 'ANN@X', 'Ann again'), (3, 'bob@x', 'Bob');
                """)
            for empty in [false, true] {
                try PostgresTestServer.withDatabase { uri in
                    let postgres = try PostgresStore(uri: uri)
                    try postgres.connection.execute("""
                        CREATE EXTENSION IF NOT EXISTS citext;
                        CREATE TABLE p (id bigint PRIMARY KEY, email citext UNIQUE DEFERRABLE INITIALLY DEFERRED, name text);
                        """ + (empty ? "" : "INSERT INTO p VALUES (100, 'zed@x', 'Zed');"))
                    let report = try importChangeset(changeset, into: postgres, in: directory)
                    #expect(report.totals.inserted == 2 && report.totals.conflicts == 1, "\(report.totals)")
                    #expect(postgres.rowsInsertedTogether == 0)
                    #expect(try postgres.connection.scalar("SELECT count(*) FROM p") == .integer(empty ? 2 : 3))
                }
            }
        }
    }
}
