import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// An insert returns the key the row was stored under, in every kind of table SQLite has.
/// The import maps keys and writes the sync book with it, so a wrong key is a wrong
/// reference later.
@Suite struct TableAccessInsertTests {
    private func access(_ schema: String, table name: String = "t", in directory: URL) throws -> (TableAccess, SQLiteDatabase) {
        let path = directory.appendingPathComponent("insert.db").path
        let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try db.execute(schema)
        let store = try SQLiteStore(path: path, mode: .readWrite)
        let table = try #require(try store.tables(profile: .empty).first { $0.name == name })
        return (try store.makeTableAccess(table), db)
    }

    private func text(_ string: String) -> Value { .text(Array(string.utf8)) }

    @Test func aTextKeyComesBackAsStoredAfterAffinity() throws {
        try withTemporaryDirectory { directory in
            let (access, _) = try access("CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT)", in: directory)
            #expect(try access.insert(["id", "a"], [.integer(5), text("x")]) == [text("5")])
            #expect(try access.insert(["a", "id"], [text("y"), text("k2")]) == [text("k2")])
        }
    }

    /// The insert skips `RETURNING` when the bound key is the stored one; every value an
    /// affinity converts must still come back as stored.
    @Test func everyKeyAnAffinityConvertsComesBackAsStored() throws {
        try withTemporaryDirectory { directory in
            let (access, db) = try access("CREATE TABLE t (i INTEGER, n NUMERIC, r REAL, x TEXT, b, PRIMARY KEY (i, n, r, x, b))", in: directory)
            // (An integral REAL is left out: SQLite keeps it as an integer on disk, and
            // RETURNING gives it as one.)
            #expect(try access.insert(["i", "n", "r", "x", "b"], [text("7"), .real(5.0), .real(3.5), .integer(9), text("8")])
                    == [.integer(7), .integer(5), .real(3.5), text("9"), text("8")])
            #expect(try access.insert(["i", "n", "r", "x", "b"], [.integer(7), .integer(5), .real(3.5), text("9"), .integer(8)])
                    == [.integer(7), .integer(5), .real(3.5), text("9"), .integer(8)])
            #expect(try access.insert(["b", "x", "r", "n", "i"], [.real(1.5), text("y"), .real(2.5), text("12.5"), .integer(1)])
                    == [.integer(1), .real(12.5), .real(2.5), text("y"), .real(1.5)])
            #expect(try db.scalar("SELECT count(*) FROM t") == .integer(3))
        }
    }

    @Test func aRowidTableKeyedByAnIntegerGivenAsTextComesBackAsTheInteger() throws {
        try withTemporaryDirectory { directory in
            let (access, _) = try access("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)", in: directory)
            #expect(try access.insert(["id", "a"], [text("12"), text("x")]) == [.integer(12)])
            #expect(try access.insert(["id", "a"], [.integer(13), text("y")]) == [.integer(13)])
            #expect(try access.insert(["id", "a"], [.null, text("z")]) == [.integer(14)])
        }
    }

    @Test func anIntegerKeyLeftOutIsTheOneTheTableAssigned() throws {
        try withTemporaryDirectory { directory in
            let (access, _) = try access("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES (41, 'x')", in: directory)
            #expect(try access.insert(["a"], [text("y")]) == [.integer(42)])
        }
    }

    @Test func aTableWithoutPrimaryKeyIsKeyedByRowid() throws {
        try withTemporaryDirectory { directory in
            let (access, _) = try access("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x'), ('y')", in: directory)
            #expect(try access.insert(["a"], [text("z")]) == [.integer(3)])
        }
    }

    @Test func aCompositeKeyOfAWithoutRowidTableComesBack() throws {
        try withTemporaryDirectory { directory in
            let (access, _) = try access("CREATE TABLE t (a TEXT, b INTEGER, c TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID", in: directory)
            #expect(try access.insert(["c", "b", "a"], [text("v"), .integer(2), text("k")]) == [text("k"), .integer(2)])
        }
    }

    @Test func columnsThatTakeEveryRowidNameStillGiveTheKey() throws {
        try withTemporaryDirectory { directory in
            let (access, _) = try access(#"CREATE TABLE t (id TEXT PRIMARY KEY, "_rowid_" INTEGER, "rowid" INTEGER, "oid" INTEGER)"#, in: directory)
            #expect(try access.insert(["id", "_rowid_", "rowid", "oid"], [text("k1"), .integer(7), .integer(8), .integer(9)]) == [text("k1")])
            #expect(try access.insert(["id", "_rowid_", "rowid", "oid"], [text("k2"), .integer(1), .integer(1), .integer(1)]) == [text("k2")])
        }
    }

    @Test func aTriggersInsertDoesNotStandInForTheRowsOwn() throws {
        try withTemporaryDirectory { directory in
            let (access, _) = try access("""
                CREATE TABLE log (n INTEGER PRIMARY KEY, what TEXT);
                INSERT INTO log VALUES (100, 'seed');
                CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT);
                CREATE TRIGGER t_logged AFTER INSERT ON t BEGIN INSERT INTO log (what) VALUES (new.id); END;
                """, in: directory)
            #expect(try access.insert(["id", "a"], [text("k1"), text("x")]) == [text("k1")])
            #expect(try access.insert(["id", "a"], [text("k2"), text("y")]) == [text("k2")])
        }
    }

    @Test func aRowTheSchemaIgnoresOnConflictHasNoKey() throws {
        try withTemporaryDirectory { directory in
            let (access, db) = try access("CREATE TABLE t (id TEXT PRIMARY KEY ON CONFLICT IGNORE, a TEXT)", in: directory)
            #expect(try access.insert(["id", "a"], [text("k1"), text("first")]) == [text("k1")])
            #expect(try access.insert(["id", "a"], [text("k1"), text("second")]).isEmpty)
            #expect(try db.scalar("SELECT a FROM t WHERE id = 'k1'") == text("first"))
        }
    }

    @Test func aConstraintFailureStillThrowsAndLeavesNoRow() throws {
        try withTemporaryDirectory { directory in
            let (access, db) = try access("CREATE TABLE t (id TEXT PRIMARY KEY, email TEXT UNIQUE)", in: directory)
            _ = try access.insert(["id", "email"], [text("k1"), text("a@x")])
            #expect(throws: FerryError.self) { try access.insert(["id", "email"], [text("k2"), text("a@x")]) }
            #expect(try db.scalar("SELECT count(*) FROM t") == .integer(1))
            #expect(try access.insert(["id", "email"], [text("k3"), text("b@x")]) == [text("k3")])
        }
    }
}
