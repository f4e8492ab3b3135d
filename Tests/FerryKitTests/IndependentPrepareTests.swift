import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 14: two stores that ran `ferry prepare` before they ever exchanged hold the same
/// rows under two cloudIds. The first exchange reconciles them; nothing is rejected.
@Suite struct IndependentPrepareTests {
    static let schema = """
        CREATE TABLE tag (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE post (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE);
        CREATE TABLE tag_post (tag TEXT NOT NULL REFERENCES tag(id), post TEXT NOT NULL REFERENCES post(id), PRIMARY KEY (tag, post)) WITHOUT ROWID;
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
        """

    func store(_ directory: URL, _ name: String, _ rows: String) throws -> SQLiteStore {
        let store = try SQLiteStore(path: directory.appendingPathComponent(name).path, mode: .readWriteCreate)
        try store.database.execute(Self.schema + rows)
        _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
        return store
    }

    func export(_ store: SQLiteStore, to path: URL) throws -> String {
        try Exporter(store: store, options: ExportOptions()).export(to: path.path).path
    }

    func cloudIds(_ store: SQLiteStore, _ table: String, by column: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try store.database.rows("SELECT \(Identifier.quote(column)), cloudId FROM \(Identifier.quote(table))") {
            result[row[0].string ?? "?"] = row[1].string
        }
        return result
    }

    @Test func prepareGivesAJoinTableNoCloudId() throws {
        try withTemporaryDirectory { directory in
            let a = try store(directory, "a.db", "")
            let columns = try a.database.rows("SELECT name FROM pragma_table_info('tag_post')").compactMap { $0[0].string }
            #expect(columns == ["tag", "post"], "the join table's foreign keys are its identity: \(columns)")
            #expect(try a.database.rows("SELECT name FROM pragma_table_info('settings')").contains { $0[0].string == "cloudId" },
                    "a key-value table, with no natural key, gets one")
        }
    }

    /// The air-gap pattern: both export, then both import. Both sides end with the same
    /// cloudIds, every association and setting once, and nothing rejected.
    @Test func bothExportThenBothImportConverges() throws {
        try withTemporaryDirectory { directory in
            let a = try store(directory, "a.db", """
                INSERT INTO tag VALUES ('t1', 'red'), ('t2', 'blue'); INSERT INTO post VALUES ('p1', 'hello');
                INSERT INTO tag_post VALUES ('t1', 'p1'), ('t2', 'p1'); INSERT INTO settings (key, value) VALUES ('theme', 'dark'), ('lang', 'en');
                """)
            let b = try store(directory, "b.db", """
                INSERT INTO tag VALUES ('x1', 'red'), ('x2', 'blue'); INSERT INTO post VALUES ('y1', 'hello');
                INSERT INTO tag_post VALUES ('x1', 'y1'); INSERT INTO settings (key, value) VALUES ('theme', 'dark'), ('lang', 'en');
                """)
            #expect(try cloudIds(a, "settings", by: "key") != cloudIds(b, "settings", by: "key"), "independent prepares: two cloudIds per row")
            let fromA = try export(a, to: directory.appendingPathComponent("from-a"))
            let fromB = try export(b, to: directory.appendingPathComponent("from-b"))
            let intoB = try Importer(store: b, changeset: try ChangesetReader(path: fromA), options: ImportOptions(rejectsPath: directory.appendingPathComponent("rb").path)).run()
            let intoA = try Importer(store: a, changeset: try ChangesetReader(path: fromB), options: ImportOptions(rejectsPath: directory.appendingPathComponent("ra").path)).run()
            for report in [intoA, intoB] {
                #expect(report.totals.rejected == 0 && report.totals.conflicts == 0, "\(report.table())")
            }
            #expect(try cloudIds(a, "settings", by: "key") == cloudIds(b, "settings", by: "key"), "the two sides agree on each row's cloudId")
            #expect(try b.rowCount("tag_post") == 2 && a.rowCount("tag_post") == 2)
            #expect(try b.rowCount("settings") == 2 && a.rowCount("settings") == 2)
            // The next exchange matches by cloudId and changes nothing.
            let again = try export(a, to: directory.appendingPathComponent("again"))
            let replay = try Importer(store: b, changeset: try ChangesetReader(path: again), options: ImportOptions(rejectsPath: directory.appendingPathComponent("rc").path)).run()
            #expect(replay.totals.inserted + replay.totals.updated + replay.totals.rejected + replay.totals.conflicts == 0, "\(replay.table())")
        }
    }

    @Test func theSmallerCloudIdWinsOnBothSides() {
        let small = Value.text(Array("0190-a".utf8)), large = Value.text(Array("0190-b".utf8))
        #expect(TableReconciler.reconciledCloudId(incoming: small, here: large) == small)
        #expect(TableReconciler.reconciledCloudId(incoming: large, here: small) == small)
        #expect(TableReconciler.reconciledCloudId(incoming: large, here: .null) == large)
        #expect(TableReconciler.reconciledCloudId(incoming: .null, here: small) == small)
    }
}
