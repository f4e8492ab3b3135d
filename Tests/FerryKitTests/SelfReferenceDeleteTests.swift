import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Deletes in a table that points at itself: a row that is its own manager, and (with a
/// cascade or SET NULL) two rows that point at each other. A cascade that came back to the
/// row being deleted recursed until the stack overflowed (found by a hostile tester), and a
/// row pointing at itself blocked its own delete. Two rows pointing at each other under NO
/// ACTION cannot be deleted one at a time, as Ferry deletes; that stays a reject.
@Suite struct SelfReferenceDeleteTests {
    @Test(arguments: ["CASCADE", "SET NULL", "NO ACTION"])
    func aDeleteInASelfReferencingCycleApplies(onDelete: String) throws {
        try withTemporaryDirectory { directory in
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path, mode: .readWriteCreate)
            try source.database.execute("""
                CREATE TABLE emp (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, managerId INTEGER REFERENCES emp(id) ON DELETE \(onDelete));
                INSERT INTO emp VALUES (1, 'boss', 1), (4, 'cy', NULL);
                """)
            if onDelete != "NO ACTION" { try source.database.execute("INSERT INTO emp VALUES (2, 'ann', NULL), (3, 'bob', 2); UPDATE emp SET managerId = 3 WHERE id = 2") }
            _ = try Preparer.prepare(store: source, tables: nil, profile: .empty)
            let full = try Exporter(store: source, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            // The source deletes the cycles whole, as SQLite lets it.
            try source.database.execute("DELETE FROM emp WHERE id IN (1, 2, 3)")
            let deletes = try Exporter(store: source, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("deletes").path)
            let target = try SQLiteStore(path: directory.appendingPathComponent("target.db").path, mode: .readWriteCreate)
            for (index, summary) in [full, deletes].enumerated() {
                _ = try Importer(store: target, changeset: try ChangesetReader(path: summary.path),
                                 options: ImportOptions(rejectsPath: directory.appendingPathComponent("r\(index)").path)).run()
            }
            #expect(try target.database.rows("SELECT name FROM emp") == [[.text("cy")]])
        }
    }
}
