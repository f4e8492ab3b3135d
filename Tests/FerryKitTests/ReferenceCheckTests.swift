import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite

/// SQLite enforces no foreign key on Ferry's connection, so an import checks every table it
/// wrote afterwards. The check after is left out only where the import's own bookkeeping
/// already proves it: tables that were empty, where nothing but inserts happened and no
/// trigger could fire. `DataSafetyTests.aDanglingRowTheImportMadeFailsItWhateverTheTargetHadBefore`
/// has a trigger make a dangling row in an empty table, which the check must still catch.
@Suite struct ReferenceCheckTests {
    let schema = """
        CREATE TABLE owners (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE);
        CREATE TABLE items (id TEXT PRIMARY KEY, sku TEXT NOT NULL UNIQUE, ownerId TEXT REFERENCES owners(id));
        """

    func changeset(in directory: URL) throws -> String {
        let source = try SQLiteDatabase(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
        try source.execute(schema + """
            INSERT INTO owners VALUES ('o1', 'ann@example.com'), ('o2', 'bob@example.com');
            INSERT INTO items VALUES ('i1', 'a', 'o1'), ('i2', 'b', 'o2'), ('i3', 'c', NULL);
            """)
        return try exportStore(try SQLiteStore(path: source.path, mode: .readOnly), to: directory, name: "cs")
    }

    /// Checks run after the import: the count of all checks less the one before, per table.
    func checksAfter(_ sql: String?, importing changeset: String, in directory: URL, name: String) throws -> (Int, ImportReport) {
        let path = directory.appendingPathComponent(name).path
        let target = try SQLiteStore(path: path, mode: .readWriteCreate)
        if let sql { try target.database.execute(sql) }
        let report = try importChangeset(changeset, into: target, in: directory)
        #expect(try target.database.rows("PRAGMA foreign_key_check").isEmpty)
        return (target.foreignKeyChecks - 2, report)
    }

    @Test func anImportThatOnlyAddedRowsToEmptyTablesNeedsNoCheckAfter() throws {
        try withTemporaryDirectory { directory in
            let changeset = try changeset(in: directory)
            let (fresh, report) = try checksAfter(nil, importing: changeset, in: directory, name: "fresh.db")
            #expect(report.totals.inserted == 5)
            #expect(fresh == 0, "a new file: every reference was resolved to a row the import found or made")
            let (emptyTables, _) = try checksAfter(schema, importing: changeset, in: directory, name: "empty.db")
            #expect(emptyTables == 0)
        }
    }

    @Test func anyOtherImportIsCheckedAfter() throws {
        try withTemporaryDirectory { directory in
            let changeset = try changeset(in: directory)
            // Rows were there before: the check after counts against the check before.
            let (filled, _) = try checksAfter(schema + "INSERT INTO owners VALUES ('t1', 'cy@example.com');", importing: changeset, in: directory, name: "filled.db")
            #expect(filled == 1, "items was empty, but owners was not")
            // A trigger may write what the import cannot see.
            let (triggered, _) = try checksAfter(schema + """
                CREATE TABLE log (line TEXT);
                CREATE TRIGGER noted AFTER INSERT ON items BEGIN INSERT INTO log VALUES (NEW.sku); END;
                """, importing: changeset, in: directory, name: "triggered.db")
            #expect(triggered == 2)
            // An update: the same rows under other values.
            let (updated, report) = try checksAfter(schema + """
                INSERT INTO owners VALUES ('t1', 'ann@example.com');
                """, importing: changeset, in: directory, name: "updated.db")
            #expect(report.totals.unchanged + report.totals.updated + report.totals.merged + report.totals.conflicts >= 1, "\(report.table())")
            #expect(updated == 1)
        }
    }
}
