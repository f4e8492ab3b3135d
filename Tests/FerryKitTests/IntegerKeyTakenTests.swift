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
