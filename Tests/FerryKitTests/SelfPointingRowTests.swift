import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres

/// A row that points at itself (a tree's root as its own parent, through a NOT NULL
/// foreign key) points at itself in the target, under whatever key it ends: kept, fresh,
/// or the row it matched. PostgreSQL checks such a key at once, and the row was refused
/// there as a cycle that could not be broken, its whole tree with it (found by a tester);
/// SQLite took it through the cycle round, with the key checked at commit.
@Suite struct SelfPointingRowTests {
    static let source = """
        CREATE TABLE n (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, parent INTEGER NOT NULL REFERENCES n (id));
        INSERT INTO n VALUES (1, 'root', 1), (2, 'a', 1), (3, 'b', 2);
        """
    /// Empty; id 1 held by another root; root there under another id.
    static let targets = ["", "INSERT INTO n VALUES (1, 'other', 1);", "INSERT INTO n VALUES (7, 'root', 7);"]
    static let expected = [["a>root", "b>a", "root>root"], ["a>root", "b>a", "other>other", "root>root"], ["a>root", "b>a", "root>root"]]
    static let tree = "SELECT c.name || '>' || p.name FROM n c JOIN n p ON p.id = c.parent ORDER BY c.name"

    static func changeset(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("source.db").path
        try SQLiteDatabase(path: path, mode: .readWriteCreate).execute(source)
        return try exportStore(try SQLiteStore(path: path, mode: .readOnly), to: directory, name: "tree")
    }

    @Test(arguments: 0..<3) func onSQLite(target: Int) throws {
        try withTemporaryDirectory { directory in
            let changeset = try Self.changeset(in: directory)
            let store = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            try store.database.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, parent INTEGER NOT NULL REFERENCES n (id));" + Self.targets[target])
            let report = try importChangeset(changeset, into: store, in: directory)
            #expect(report.totals.rejected == 0, "\(report.table())")
            #expect(try store.database.rows(Self.tree).map { $0[0].string ?? "" } == Self.expected[target])
        }
    }

    @Test(.enabled(if: PostgresTestServer.enabled), arguments: 0..<3) func onPostgreSQL(target: Int) throws {
        try withTemporaryDirectory { directory in
            let changeset = try Self.changeset(in: directory)
            try PostgresTestServer.withDatabase { uri in
                let postgres = try PostgresStore(uri: uri)
                try postgres.connection.execute("CREATE TABLE n (id bigint PRIMARY KEY, name text NOT NULL UNIQUE, parent bigint NOT NULL REFERENCES n (id));" + Self.targets[target])
                let report = try importChangeset(changeset, into: postgres, in: directory)
                #expect(report.totals.rejected == 0, "\(report.table())")
                let rows = try postgres.connection.query(Self.tree)
                #expect((0..<rows.rowCount).map { rows.string(row: $0, column: 0) ?? "" } == Self.expected[target])
            }
        }
    }
}
