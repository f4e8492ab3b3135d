import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Integer ids are local: two stores hand out 1, 2, 3… each to its own rows, and a store
/// reuses an id once its row is gone. A new row whose id another row holds on the other side
/// is given a free id there, on every store and for every integer type, as SQLite's rowid
/// always was. (On PostgreSQL, and for any key that is not SQLite's rowid, it was rejected
/// as `pk_collision` on every round: a tester found it on a prepared PostgreSQL pair.)
@Suite struct IntegerKeyTakenTests {
    /// A prepared store of either kind, with the few calls these tests make of it.
    final class Peer {
        let store: Store
        let directory: URL
        let name: String
        private let run: (String) throws -> Void
        private let column: (String) throws -> [String]

        init(sqlite name: String, in directory: URL, schema: String) throws {
            let store = try SQLiteStore(path: directory.appendingPathComponent("\(name).db").path, mode: .readWriteCreate)
            try store.database.execute(schema)
            self.store = store
            run = { try store.database.execute($0) }
            column = { try store.database.rows($0).map { $0[0].string ?? $0[0].description } }
            self.name = name
            self.directory = directory
        }

        init(postgres name: String, uri: String, in directory: URL, schema: String) throws {
            let store = try PostgresStore(uri: uri)
            try store.connection.execute(schema)
            self.store = store
            run = { try store.connection.execute($0) }
            column = { sql in
                let result = try store.connection.query(sql)
                return (0..<result.rowCount).map { result.string(row: $0, column: 0) ?? "NULL" }
            }
            self.name = name
            self.directory = directory
        }

        func prepare() throws { _ = try Preparer.prepare(store: store, tables: nil, profile: .empty) }
        func sql(_ text: String) throws { try run(text) }
        func strings(_ query: String) throws -> [String] { try column(query) }

        func export(incremental: Bool = false) throws -> String {
            try Exporter(store: store, options: ExportOptions(incremental: incremental))
                .export(to: directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))").path).path
        }

        @discardableResult
        func take(_ changeset: String) throws -> ImportReport {
            try importChangeset(changeset, into: store, in: directory)
        }
    }

    static let labels = "SELECT label FROM items ORDER BY label"

    /// Both sides made rows 1…n on their own, then exchange in both directions, then one side
    /// deletes rows and hands their ids to new rows (the tester's case), for three rounds.
    func twoStoresWithTheirOwnIdsConverge(_ a: Peer, _ b: Peer) throws {
        try a.sql("INSERT INTO items (id, label) VALUES (1, 'a1'), (2, 'a2'), (3, 'a3'), (4, 'a4'), (5, 'a5')")
        try b.sql("INSERT INTO items (id, label) VALUES (1, 'b1'), (2, 'b2'), (9, 'b9')")
        try a.prepare()
        try b.prepare()
        let fromA = try a.export(), fromB = try b.export()
        let intoB = try b.take(fromA), intoA = try a.take(fromB)
        #expect(intoB.totals.rejected == 0 && intoB.totals.inserted == 5, "\(intoB.table())")
        #expect(intoA.totals.rejected == 0 && intoA.totals.inserted == 3, "\(intoA.table())")
        let everyone = ["a1", "a2", "a3", "a4", "a5", "b1", "b2", "b9"]
        #expect(try a.strings(Self.labels) == everyone)
        #expect(try b.strings(Self.labels) == everyone)
        // The ids a1 and a2 took on B are free ones, and B's own rows kept theirs.
        #expect(try b.strings("SELECT id || ':' || label FROM items WHERE label IN ('b1', 'b2', 'b9') ORDER BY label") == ["1:b1", "2:b2", "9:b9"])

        // A deletes a3…b9 (ids 3 and up, B's rows among them) and gives ids 3 and 4 to new rows.
        try a.sql("DELETE FROM items WHERE id >= 3")
        try a.sql("INSERT INTO items (id, label) VALUES (3, 'new3'), (4, 'new4')")
        let expected = try a.strings(Self.labels)
        #expect(expected == ["a1", "a2", "new3", "new4"])
        for _ in 0..<3 {
            let fromA = try a.export(incremental: true), fromB = try b.export(incremental: true)
            let intoB = try b.take(fromA), intoA = try a.take(fromB)
            #expect(intoB.totals.rejected == 0 && intoB.totals.conflicts == 0, "\(intoB.table())")
            #expect(intoA.totals.rejected == 0 && intoA.totals.conflicts == 0, "\(intoA.table())")
        }
        #expect(try b.strings(Self.labels) == expected)
        #expect(try a.strings(Self.labels) == expected)
    }

    @Test(.enabled(if: PostgresTestServer.enabled))
    func onAPreparedPostgresPairARowWhoseIdIsTakenGetsAFreeOne() throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uriA in
                try PostgresTestServer.withDatabase { uriB in
                    let schema = "CREATE TABLE items (id integer PRIMARY KEY, label text)"
                    try twoStoresWithTheirOwnIdsConverge(try Peer(postgres: "a", uri: uriA, in: directory, schema: schema),
                                                         try Peer(postgres: "b", uri: uriB, in: directory, schema: schema))
                }
            }
        }
    }

    @Test(.enabled(if: PostgresTestServer.enabled))
    func aSerialKeyTakenGetsAnIdPastEveryRowAndTheSequenceFollows() throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uriA in
                try PostgresTestServer.withDatabase { uriB in
                    // The application wrote ids itself past its sequence: the sequence's next
                    // value (1) is taken, so only the largest id tells a free one.
                    let schema = "CREATE TABLE items (id bigserial PRIMARY KEY, label text UNIQUE)"
                    let a = try Peer(postgres: "a", uri: uriA, in: directory, schema: schema)
                    let b = try Peer(postgres: "b", uri: uriB, in: directory, schema: schema)
                    try twoStoresWithTheirOwnIdsConverge(a, b)
                    // Ids handed out after the import do not collide with those it inserted.
                    try b.sql("INSERT INTO items (label) VALUES ('later')")
                    #expect(try b.strings("SELECT count(*) FROM items").first == "5")
                }
            }
        }
    }

    @Test(arguments: [
        "CREATE TABLE items (id INT PRIMARY KEY, label TEXT)",
        "CREATE TABLE items (id BIGINT NOT NULL PRIMARY KEY, label TEXT)",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT) WITHOUT ROWID",
        "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT)",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)",
    ])
    func onSQLiteEveryIntegerKeyTakenGetsAFreeOne(schema: String) throws {
        try withTemporaryDirectory { directory in
            try twoStoresWithTheirOwnIdsConverge(try Peer(sqlite: "a", in: directory, schema: schema),
                                                 try Peer(sqlite: "b", in: directory, schema: schema))
        }
    }

    /// A table PostgreSQL made crosses to SQLite as `"pg:integer"`: not SQLite's rowid, and
    /// still a local id.
    @Test(.enabled(if: PostgresTestServer.enabled))
    func aPostgresIntegerKeyInSQLiteGetsAFreeOneToo() throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uri in
                let cloud = try Peer(postgres: "cloud", uri: uri, in: directory, schema: "CREATE TABLE items (id integer PRIMARY KEY, label text)")
                try cloud.sql("INSERT INTO items VALUES (1, 'c1'), (2, 'c2')")
                let laptop = try Peer(sqlite: "laptop", in: directory, schema: "PRAGMA user_version = 0")
                try laptop.take(try cloud.export())
                #expect(try laptop.strings("SELECT type FROM pragma_table_info('items') WHERE name = 'id'") == ["pg:integer"])
                // Both prepare on their own (two cloudIds for each copied row): the copies,
                // which hold the same values at the same ids, are one row each.
                try laptop.prepare()
                try cloud.prepare()
                let first = try cloud.take(try laptop.export())
                #expect(first.totals.inserted == 0 && first.totals.rejected == 0, "\(first.table())")
                // Then each hands id 3 to a row of its own, and the laptop deletes c2.
                try cloud.sql("INSERT INTO items VALUES (3, 'c3')")
                try laptop.sql("INSERT INTO items (id, label) VALUES (3, 'l3'); DELETE FROM items WHERE id = 2")
                let report = try cloud.take(try laptop.export(incremental: true))
                #expect(report.totals.rejected == 0 && report.totals.deleted == 1 && report.totals.inserted == 1, "\(report.table())")
                #expect(try cloud.strings("SELECT id || ':' || label FROM items ORDER BY id") == ["1:c1", "3:c3", "4:l3"])
            }
        }
    }
}

/// A natural key edited in place, or an id handed to a new row after its row was deleted:
/// the row at that primary key has another natural key than the one the book knew. Where
/// ids differ between stores nothing but that old key finds the row on the other side, so
/// the record carries it (`was`). Both fail before it: the rename became a second row there,
/// and a stale copy of the old row came back.
@Suite struct FormerNaturalKeyTests {
    static let schema = """
        PRAGMA foreign_keys = ON;
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, ref TEXT NOT NULL, UNIQUE (user_id, ref));
        """
    typealias Peer = IntegerKeyTakenTests.Peer

    /// Two stores whose ids differ (B made two rows before), sharing ann and her order.
    func pair(_ directory: URL) throws -> (Peer, Peer) {
        let a = try Peer(sqlite: "a", in: directory, schema: Self.schema)
        let b = try Peer(sqlite: "b", in: directory, schema: Self.schema + "INSERT INTO users (id, email) VALUES (1, 'b1@x'), (2, 'b2@x');")
        try a.sql("INSERT INTO users (id, email, name) VALUES (1, 'ann@x', 'Ann'); INSERT INTO orders (user_id, ref) VALUES (1, 'A-1')")
        try a.prepare()
        try b.prepare()
        try b.take(try a.export())
        try a.take(try b.export())
        return (a, b)
    }

    static let users = "SELECT email || ':' || coalesce(name, '') FROM users ORDER BY email"
    static let orders = "SELECT u.email || '/' || o.ref FROM orders o JOIN users u ON u.id = o.user_id ORDER BY 1"

    @Test func anEditedNaturalKeyRenamesTheRowOnTheOtherSideAndKeepsItsChildren() throws {
        try withTemporaryDirectory { directory in
            let (a, b) = try pair(directory)
            #expect(try b.strings("SELECT id FROM users WHERE email = 'ann@x'") == ["3"], "ann has another id on B")
            try a.sql("UPDATE users SET email = 'ann@new', name = 'Ann B' WHERE email = 'ann@x'")
            let changeset = try a.export(incremental: true)
            let report = try b.take(changeset)
            #expect(report.totals.inserted == 0 && report.totals.conflicts == 0 && report.totals.rejected == 0, "\(report.table())")
            #expect(try b.strings(Self.users) == ["ann@new:Ann B", "b1@x:", "b2@x:"])
            #expect(try b.strings(Self.orders) == ["ann@new/A-1"], "the order stays with its user")
            let manifest = try ChangesetReader(path: changeset).manifest
            #expect(manifest.formatVersion == Manifest.formerIdentityVersion)
            // Back again: nothing changes on either side, and A's next export has no `was`.
            let back = try a.take(try b.export(incremental: true))
            #expect(back.totals.inserted == 0 && back.totals.conflicts == 0 && back.totals.rejected == 0, "\(back.table())")
            #expect(try a.strings(Self.users) == ["ann@new:Ann B", "b1@x:", "b2@x:"])
            #expect(try ChangesetReader(path: try a.export(incremental: true)).manifest.formatVersion == Manifest.currentVersion)
        }
    }

    /// The same rename where the email is unique as `lower(email)`, an index over an
    /// expression: `was` finds the row through it too (it became a second ann before).
    @Test func anEditedKeyUniqueAsAnExpressionRenamesTheRowOnTheOtherSide() throws {
        try withTemporaryDirectory { directory in
            let schema = """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
                CREATE UNIQUE INDEX users_email ON users (lower(email));
                """
            let a = try Peer(sqlite: "a", in: directory, schema: schema)
            let b = try Peer(sqlite: "b", in: directory, schema: schema + "INSERT INTO users (id, email) VALUES (1, 'b1@x'), (2, 'b2@x');")
            try a.sql("INSERT INTO users (id, email, name) VALUES (1, 'ann@x', 'Ann')")
            try a.prepare()
            try b.prepare()
            try b.take(try a.export())
            try a.take(try b.export())
            try a.sql("UPDATE users SET email = 'ann@new', name = 'Ann B' WHERE email = 'ann@x'")
            let report = try b.take(try a.export(incremental: true))
            #expect(report.totals.inserted == 0 && report.totals.conflicts == 0 && report.totals.rejected == 0, "\(report.table())")
            #expect(try b.strings(Self.users) == ["ann@new:Ann B", "b1@x:", "b2@x:"])
        }
    }

    /// A deletes ann and hands her id to bob; B, before it hears of it, sends its copy of
    /// ann back (both export, then both import). Ann stays deleted on both sides, bob is on
    /// both, and her order is gone on both.
    @Test func anIdHandedToANewRowKeepsTheDeletedRowDeletedOnBothSides() throws {
        try withTemporaryDirectory { directory in
            let (a, b) = try pair(directory)
            try a.sql("DELETE FROM users WHERE email = 'ann@x'; INSERT INTO users (id, email, name) VALUES (1, 'bob@x', 'Bob')")
            let fromA = try a.export(incremental: true), fromB = try b.export()
            for report in [try b.take(fromA), try a.take(fromB)] {
                #expect(report.totals.conflicts == 0 && report.totals.rejected == 0, "\(report.table())")
            }
            for _ in 0..<2 {
                try b.take(try a.export(incremental: true))
                try a.take(try b.export(incremental: true))
            }
            for peer in [a, b] {
                #expect(try peer.strings(Self.users) == ["b1@x:", "b2@x:", "bob@x:Bob"], "\(peer.name)")
                #expect(try peer.strings(Self.orders).isEmpty, "\(peer.name)")
            }
        }
    }

    @Test func aRecordsFormerKeyIsReadAndChecked() throws {
        let line = Array(#"{"op":"upsert","keys":{"email":"new@x"},"row":{"id":1,"email":"new@x"},"was":{"email":"old@x"}}"#.utf8)
        let record = try line.withUnsafeBufferPointer { try RecordDecoder.decode($0) }
        #expect(record.was.map(\.0) == ["email"] && record.was.first?.1 == .text(Array("old@x".utf8)))
        let bad = Array(#"{"op":"upsert","keys":{},"row":{"id":1},"was":"old@x"}"#.utf8)
        let error = #expect(throws: FerryError.self) { try bad.withUnsafeBufferPointer { try RecordDecoder.decode($0) } }
        #expect(error?.message.contains("\"was\" must be an object") == true, "\(error?.message ?? "")")
        let empty = Array(#"{"op":"upsert","keys":{},"row":{"id":1},"was":{}}"#.utf8)
        #expect(throws: FerryError.self) { try empty.withUnsafeBufferPointer { try RecordDecoder.decode($0) } }
    }
}

extension FormerNaturalKeyTests {
    /// The same rename between two PostgreSQL stores whose ids differ.
    @Test(.enabled(if: PostgresTestServer.enabled))
    func anEditedNaturalKeyRenamesTheRowBetweenPostgresStoresToo() throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uriA in
                try PostgresTestServer.withDatabase { uriB in
                    let schema = """
                        CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE, name text);
                        CREATE TABLE orders (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE, ref text NOT NULL, UNIQUE (user_id, ref));
                        """
                    let a = try Peer(postgres: "a", uri: uriA, in: directory, schema: schema)
                    let b = try Peer(postgres: "b", uri: uriB, in: directory, schema: schema + "INSERT INTO users VALUES (1, 'b1@x', NULL), (2, 'b2@x', NULL);")
                    try a.sql("INSERT INTO users VALUES (1, 'ann@x', 'Ann'); INSERT INTO orders VALUES (1, 1, 'A-1')")
                    try a.prepare()
                    try b.prepare()
                    try b.take(try a.export())
                    try a.sql("UPDATE users SET email = 'ann@new' WHERE email = 'ann@x'")
                    let report = try b.take(try a.export(incremental: true))
                    #expect(report.totals.inserted == 0 && report.totals.updated == 1 && report.totals.rejected == 0, "\(report.table())")
                    #expect(try b.strings(Self.users) == ["ann@new:Ann", "b1@x:", "b2@x:"])
                    #expect(try b.strings(Self.orders) == ["ann@new/A-1"])
                }
            }
        }
    }
}

extension FormerNaturalKeyTests {
    /// A deletes ann and ships the delete to B; only then does it hand ann's id to bob. The
    /// delete must still reach C, which has not heard of it: bob's entry used to overwrite
    /// the tombstone at that key, and C kept ann for good (found by the hub schedules).
    @Test func aTombstoneSurvivesItsKeyHandedToANewRow() throws {
        try withTemporaryDirectory { directory in
            let (a, b) = try pair(directory)
            let c = try Peer(sqlite: "c", in: directory, schema: Self.schema)
            try c.prepare()
            try c.take(try a.export())
            try a.sql("DELETE FROM users WHERE email = 'ann@x'")
            try b.take(try a.export())
            try a.sql("INSERT INTO users (id, email, name) VALUES (1, 'bob@x', 'Bob')")
            try b.take(try a.export())
            let report = try c.take(try a.export())
            #expect(report.totals.conflicts == 0 && report.totals.rejected == 0, "\(report.table())")
            for peer in [a, b, c] {
                #expect(try peer.strings(Self.users) == ["b1@x:", "b2@x:", "bob@x:Bob"], "\(peer.name)")
            }
        }
    }
}

/// Where one past the largest id is out of the key type's range, a new row takes the first
/// free id; where none is free, that record alone is rejected (found by a tester: a
/// smallint key holding 32767 rejected a row as out of range although ids were free, and a
/// bigint key at its maximum ended the whole import).
@Suite(.enabled(if: PostgresTestServer.enabled)) struct IntegerKeyRangeTests {
    typealias Peer = IntegerKeyTakenTests.Peer

    func importB(intoA type: String, aRows: String, in directory: URL, _ check: (Peer, ImportReport) throws -> Void) throws {
        try PostgresTestServer.withDatabase { uriA in
            try PostgresTestServer.withDatabase { uriB in
                let schema = "CREATE TABLE u (id \(type) PRIMARY KEY, email text NOT NULL UNIQUE)"
                let a = try Peer(postgres: "a", uri: uriA, in: directory, schema: schema)
                let b = try Peer(postgres: "b", uri: uriB, in: directory, schema: schema)
                try a.sql(aRows)
                try b.sql("INSERT INTO u VALUES (1, 'b1'), (2, 'b2')")
                try check(a, try a.take(try b.export()))
            }
        }
    }

    @Test(arguments: [("smallint", "32767"), ("integer", "2147483647"), ("bigint", "9223372036854775807")])
    func aKeyAtItsTypesLimitGivesTheFirstFreeId(type: String, largest: String) throws {
        try withTemporaryDirectory { directory in
            try importB(intoA: type, aRows: "INSERT INTO u VALUES (1, 'a1'), (\(largest), 'amax')", in: directory) { a, report in
                #expect(report.totals.inserted == 2 && report.totals.rejected == 0, "\(report.table())")
                let rows = try a.strings("SELECT id || ':' || email FROM u ORDER BY id")
                #expect(rows == ["1:a1", "2:b1", "3:b2", "\(largest):amax"])
            }
        }
    }

    @Test func aTypeWithNoFreeIdRejectsTheRecordAloneAndSaysWhy() throws {
        try withTemporaryDirectory { directory in
            try importB(intoA: "smallint", aRows: "INSERT INTO u SELECT i, 'a' || i FROM generate_series(1, 32767) AS i", in: directory) { a, report in
                #expect(report.totals.inserted == 0 && report.totals.rejected == 2, "\(report.table())")
                let rejects = try String(contentsOfFile: report.rejectsFile ?? "", encoding: .utf8)
                #expect(rejects.contains("pk_collision") && rejects.contains("no other id is free in its type (every one up to 32767 is taken)"), "\(rejects)")
            }
        }
    }

    /// A default of nextval('seq') written by hand: no column owns the sequence, and it was
    /// never moved past the ids an import inserted (the application's next insert collided).
    @Test func aSequenceNoColumnOwnsMovesPastInsertedIds() throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uri in
                let laptop = try SQLiteStore(path: directory.appendingPathComponent("l.db").path, mode: .readWriteCreate)
                try laptop.database.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE); INSERT INTO users VALUES (1, 'x'), (2, 'y'), (3, 'z')")
                let cloud = try PostgresStore(uri: uri)
                try cloud.connection.execute("CREATE SEQUENCE s; CREATE TABLE users (id integer PRIMARY KEY DEFAULT nextval('s'), email text NOT NULL UNIQUE); INSERT INTO users (email) VALUES ('a')")
                let report = try importChangeset(try exportStore(laptop, to: directory, name: "users"), into: cloud, in: directory)
                #expect(report.totals.inserted == 3 && report.totals.rejected == 0, "\(report.table())")
                #expect(try cloud.connection.scalar("INSERT INTO users (email) VALUES ('next') RETURNING id") == .integer(5))
            }
        }
    }
}
