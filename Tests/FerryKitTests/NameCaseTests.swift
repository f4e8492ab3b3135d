import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres

/// Table names in another case: SQLite finds `roles` as `Roles`; two tables PostgreSQL
/// holds apart only by case are refused, on export and on import, rather than guessed.
@Suite struct NameCaseTests {
    /// A changeset naming `roles` into a SQLite file that has `Roles` (a PostgreSQL source,
    /// or one written in lower case): the rows go in, no second table is tried. It refused
    /// the whole import ("table roles already exists") before (found by a tester).
    @Test func sqliteFindsATableNamedInAnotherCase() throws {
        try withTemporaryDirectory { directory in
            let sourcePath = directory.appendingPathComponent("source.db").path
            try SQLiteDatabase(path: sourcePath, mode: .readWriteCreate).execute("CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT UNIQUE); INSERT INTO roles VALUES (1, 'a');")
            let changeset = try exportStore(try SQLiteStore(path: sourcePath, mode: .readOnly), to: directory, name: "roles")
            let target = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            try target.database.execute("CREATE TABLE Roles (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
            let report = try importChangeset(changeset, into: target, in: directory)
            #expect(report.totals.inserted == 1)
            #expect(try target.database.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\'").map { $0[0].string ?? "" } == ["Roles"])
        }
    }

    @Test(.enabled(if: PostgresTestServer.enabled)) func postgresTablesApartOnlyByCaseAreRefusedNotGuessed() throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uri in
                let postgres = try PostgresStore(uri: uri)
                try postgres.connection.execute(#"CREATE TABLE "Users" (id int PRIMARY KEY, e text UNIQUE); CREATE TABLE users (id int PRIMARY KEY, e text UNIQUE)"#)
                let export = #expect(throws: FerryError.self) { try exportStore(postgres, to: directory, name: "twins") }
                #expect(export?.message.contains(#"has tables "Users" and "users", whose names differ only in case"#) == true, "\(export?.message ?? "")")
                let sourcePath = directory.appendingPathComponent("source.db").path
                try SQLiteDatabase(path: sourcePath, mode: .readWriteCreate).execute("CREATE TABLE Users (id INTEGER PRIMARY KEY, e TEXT UNIQUE); INSERT INTO Users VALUES (1, 'x');")
                let changeset = try exportStore(try SQLiteStore(path: sourcePath, mode: .readOnly), to: directory, name: "users")
                let refused = #expect(throws: FerryError.self) { try importChangeset(changeset, into: postgres, in: directory) }
                #expect(refused?.message.contains("cannot tell which one table Users of the changeset means") == true, "\(refused?.message ?? "")")
                #expect(try postgres.connection.scalar(#"SELECT (SELECT count(*) FROM "Users") + (SELECT count(*) FROM users)"#) == .integer(0))
            }
        }
    }
}
