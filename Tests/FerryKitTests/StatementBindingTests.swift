import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Parameters are copied into one buffer per statement that SQLite reads in place
/// (SQLITE_STATIC); these guard what that must never change: each value arrives exactly,
/// with its storage class, however the sizes of one bind differ from the last.
@Suite struct StatementBindingTests {
    private func stored(_ db: SQLiteDatabase) throws -> [[Value]] {
        let select = try db.prepare("SELECT a, typeof(a), b, typeof(b), c, typeof(c) FROM t ORDER BY rowid")
        var rows: [[Value]] = []
        while try select.step() { rows.append((0..<6).map { select.value(at: $0) }) }
        return rows
    }

    @Test func textAndBlobsSurviveEveryRebindOfOneStatement() throws {
        try withTemporaryDirectory { directory in
            let db = try SQLiteDatabase(path: directory.appendingPathComponent("bind.db").path, mode: .readWriteCreate)
            try db.execute("CREATE TABLE t (a, b, c)")
            let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?)")
            let big = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000) // beyond the buffer's first size: it grows
            let rows: [[Value]] = [
                [.text(Array("short".utf8)), .blob([0, 1, 2]), .integer(7)],
                [.text(big), .text(Array("ü".utf8)), .blob(big.map { $0 ^ 0xFF })],
                [.text([]), .blob([]), .null], // an empty TEXT stays TEXT, not NULL
                [.real(1.5), .text(Array("after the big one".utf8)), .text(Array("z".utf8))],
            ]
            for row in rows {
                try insert.bind(row)
                try insert.step()
                insert.reset()
            }
            let back = try stored(db)
            #expect(back.count == 4)
            #expect(back[0] == [.text(Array("short".utf8)), .text(Array("text".utf8)), .blob([0, 1, 2]), .text(Array("blob".utf8)), .integer(7), .text(Array("integer".utf8))])
            #expect(back[1][0] == .text(big) && back[1][2] == .text(Array("ü".utf8)) && back[1][4] == .blob(big.map { $0 ^ 0xFF }))
            #expect(back[2][1] == .text(Array("text".utf8)) && back[2][0] == .text([]))
            #expect(back[2][3] == .text(Array("blob".utf8)) && back[2][5] == .text(Array("null".utf8)))
            #expect(back[3][0] == .real(1.5) && back[3][2] == .text(Array("after the big one".utf8)) && back[3][4] == .text(Array("z".utf8)))
        }
    }

    @Test func parametersNotGivenInABindAreNullNotLeftOvers() throws {
        try withTemporaryDirectory { directory in
            let db = try SQLiteDatabase(path: directory.appendingPathComponent("partial.db").path, mode: .readWriteCreate)
            try db.execute("CREATE TABLE t (a, b, c)")
            let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?)")
            try insert.bind([.text(Array("one".utf8)), .text(Array("two".utf8)), .text(Array("three".utf8))])
            try insert.step()
            try insert.bind([.text(Array("four".utf8))])
            try insert.step()
            let back = try stored(db)
            #expect(back[1][0] == .text(Array("four".utf8)))
            #expect(back[1][2] == .null && back[1][4] == .null)
        }
    }

    /// The table access reuses the statement of the last column set per kind; a different
    /// set must still get its own statement, and the first one back must still work.
    @Test func tableAccessInsertsWithAlternatingColumnSets() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("access.db").path
            let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)")
            let store = try SQLiteStore(path: path, mode: .readWrite)
            let table = try #require(try store.tables(profile: .empty).first { $0.name == "t" })
            let access = try store.makeTableAccess(table)
            let both = ["a", "b"], onlyB = ["b"]
            _ = try access.insert(both, [.text(Array("a1".utf8)), .text(Array("b1".utf8))])
            _ = try access.insert(onlyB, [.text(Array("b2".utf8))])
            let key = try access.insert(both, [.text(Array("a3".utf8)), .text(Array("b3".utf8))])
            #expect(try access.values(both, at: key) == [.text(Array("a3".utf8)), .text(Array("b3".utf8))])
            #expect(try access.keys(where: onlyB, equal: [.text(Array("b2".utf8))], limit: 1) == [[.integer(2)]])
            #expect(try access.keys(where: both, equal: [.null, .text(Array("b2".utf8))], limit: 1).isEmpty)
            #expect(try access.keys(where: onlyB, equal: [.text(Array("b1".utf8))], limit: 1) == [[.integer(1)]])
        }
    }
}
