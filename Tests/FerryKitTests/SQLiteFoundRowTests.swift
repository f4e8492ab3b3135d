import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// A lookup that finds one row also reads the columns the reconciler asked of the row it
/// found before, and `values` answers from that read while nothing was written since. Any
/// write in between, to this table or another (a trigger, a cascade), makes it read again.
@Suite struct SQLiteFoundRowTests {
    private func text(_ string: String) -> Value { .text(Array(string.utf8)) }

    private func store(in directory: URL) throws -> (SQLiteStore, TableAccess) {
        let store = try SQLiteStore(path: directory.appendingPathComponent("found.db").path, mode: .readWriteCreate)
        try store.database.execute("""
            CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT UNIQUE, name TEXT, score REAL);
            CREATE TABLE audit (userId TEXT REFERENCES users(id) ON DELETE CASCADE, note TEXT);
            CREATE TRIGGER stamp AFTER INSERT ON audit BEGIN UPDATE users SET name = 'stamped by ' || new.note WHERE id = new.userId; END;
            INSERT INTO users VALUES ('u1', 'ann@x', 'Ann', 1.5), ('u2', 'bob@x', 'Bob', NULL);
            """)
        let table = try #require(try store.tables(profile: .empty).first { $0.name == "users" })
        return (store, try store.makeTableAccess(table))
    }

    /// The reconciler's order: find the row, then read it.
    private func findThenRead(_ access: TableAccess, _ email: String, _ columns: [String]) throws -> [Value]? {
        let keys = try access.keys(where: ["email"], equal: [text(email)], limit: 2, nullsEqual: false)
        guard keys.count == 1 else { return nil }
        return try access.values(columns, at: keys[0])
    }

    @Test func aFoundRowReadsAsTheTableHoldsIt() throws {
        try withTemporaryDirectory { directory in
            let (_, access) = try store(in: directory)
            let columns = ["email", "name", "score"]
            // The first time teaches the lookup which columns to read; later ones answer from it.
            for _ in 0..<3 {
                #expect(try findThenRead(access, "ann@x", columns) == [text("ann@x"), text("Ann"), .real(1.5)])
                #expect(try findThenRead(access, "bob@x", columns) == [text("bob@x"), text("Bob"), .null])
            }
            #expect((access as? SQLiteTableAccess)?.rowsReadWithTheirLookup == 5, "the first read teaches which columns, the next five are answered")
            // Another key than the one found is read from the table.
            _ = try access.keys(where: ["email"], equal: [text("ann@x")], limit: 2, nullsEqual: false)
            #expect(try access.values(columns, at: [text("u2")]) == [text("bob@x"), text("Bob"), .null])
            // Other columns than the ones learnt are read from the table.
            _ = try access.keys(where: ["email"], equal: [text("ann@x")], limit: 2, nullsEqual: false)
            #expect(try access.values(["score"], at: [text("u1")]) == [.real(1.5)])
        }
    }

    @Test func aWriteBetweenTheLookupAndTheReadIsSeen() throws {
        try withTemporaryDirectory { directory in
            let (store, access) = try store(in: directory)
            let columns = ["email", "name", "score"]
            _ = try findThenRead(access, "ann@x", columns)
            // Through this access: an update of the found row.
            var keys = try access.keys(where: ["email"], equal: [text("ann@x")], limit: 2, nullsEqual: false)
            try access.update(at: keys[0], ["name"], [text("Annie")], previous: nil)
            #expect(try access.values(columns, at: keys[0]) == [text("ann@x"), text("Annie"), .real(1.5)])
            // Through another table: a trigger rewrites the found row.
            keys = try access.keys(where: ["email"], equal: [text("ann@x")], limit: 2, nullsEqual: false)
            try store.database.execute("INSERT INTO audit VALUES ('u1', 'audit')")
            #expect(try access.values(columns, at: keys[0]) == [text("ann@x"), text("stamped by audit"), .real(1.5)])
            // A delete of the found row.
            keys = try access.keys(where: ["email"], equal: [text("bob@x")], limit: 2, nullsEqual: false)
            try store.database.execute("DELETE FROM users WHERE id = 'u2'")
            #expect(try access.values(columns, at: keys[0]) == nil)
        }
    }

    /// Found by a tester: after other columns were asked of the found row, the next read of
    /// them was answered with the values of the columns read before.
    @Test func otherColumnsAskedOfTheFoundRowAreTheOnesAnswered() throws {
        try withTemporaryDirectory { directory in
            let (_, access) = try store(in: directory)
            #expect(try findThenRead(access, "bob@x", ["name"]) == [text("Bob")])
            var keys = try access.keys(where: ["email"], equal: [text("bob@x")], limit: 2, nullsEqual: false)
            #expect(try access.values(["email", "score"], at: keys[0]) == [text("bob@x"), .null])
            #expect(try access.values(["email", "score"], at: keys[0]) == [text("bob@x"), .null], "asked again, nothing written between")
            #expect(try access.values(["name"], at: keys[0]) == [text("Bob")])
            keys = try access.keys(where: ["email"], equal: [text("ann@x")], limit: 2, nullsEqual: false)
            for columns in [["name"], ["email", "score"], ["score", "name"], ["email"], ["name"]] {
                let expected: [Value] = columns.map { ["name": text("Ann"), "email": text("ann@x"), "score": .real(1.5)][$0]! }
                #expect(try access.values(columns, at: keys[0]) == expected, "\(columns)")
                #expect(try access.values(columns, at: keys[0]) == expected, "\(columns), again")
            }
        }
    }

    /// Rows read ahead that nobody asks for cost a lookup more than they save: after 1,000
    /// of them with fewer than half answered, lookups read keys alone again, and reads
    /// still give what the table holds.
    @Test func lookupsWhoseRowsAreNotAskedForStopReadingThem() throws {
        try withTemporaryDirectory { directory in
            let (_, access) = try store(in: directory)
            let columns = ["email", "name", "score"]
            _ = try findThenRead(access, "ann@x", columns)
            _ = try findThenRead(access, "ann@x", columns)
            let counted = { (access as? SQLiteTableAccess)?.rowsReadWithTheirLookup ?? -1 }
            #expect(counted() == 1)
            for _ in 0..<1_000 {
                _ = try access.keys(where: ["email"], equal: [text("ann@x")], limit: 2, nullsEqual: false)
                _ = try access.values(columns, at: [text("u2")]) // another row than the one found
            }
            for _ in 0..<3 {
                #expect(try findThenRead(access, "ann@x", columns) == [text("ann@x"), text("Ann"), .real(1.5)])
                #expect(try findThenRead(access, "bob@x", ["name"]) == [text("Bob")])
            }
            #expect(counted() == 1, "no read is answered by its lookup any more, and none is learnt again")
        }
    }

    @Test func aLookupFindingSeveralRowsRemembersNone() throws {
        try withTemporaryDirectory { directory in
            let (store, access) = try store(in: directory)
            try store.database.execute("INSERT INTO users VALUES ('u3', NULL, 'Cy', 2), ('u4', NULL, 'Di', 3)")
            let columns = ["email", "name", "score"]
            _ = try findThenRead(access, "ann@x", columns)
            let keys = try access.keys(where: ["score"], equal: [.integer(2)], limit: 2, nullsEqual: false)
            #expect(keys == [[text("u3")]])
            #expect(try access.values(columns, at: keys[0]) == [.null, text("Cy"), .real(2)])
            let both = try access.keys(where: ["email"], equal: [.null], limit: 2, nullsEqual: true)
            #expect(both.count == 2)
            for key in both { #expect(try access.values(["name"], at: key)?.count == 1) }
        }
    }
}
