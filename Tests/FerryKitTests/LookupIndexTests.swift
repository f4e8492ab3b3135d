import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Fallback composites are matched through a scratch index for the length of an import,
/// so each lookup is a probe, not a scan; the target's schema is left as it was.
@Suite struct LookupIndexTests {
    private func store(in directory: URL) throws -> SQLiteStore {
        let store = try SQLiteStore(path: directory.appendingPathComponent("t.db").path, mode: .readWriteCreate)
        try store.database.execute("""
            CREATE TABLE deals (id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL, type TEXT NOT NULL, customerId TEXT, amount REAL);
            CREATE INDEX deals_type_title ON deals (type, title, amount);
            """)
        return store
    }

    private func plan(_ store: SQLiteStore, _ columns: [String]) throws -> String {
        let condition = columns.map { "\(Identifier.quote($0)) = 'x'" }.joined(separator: " AND ")
        return try store.database.rows("EXPLAIN QUERY PLAN SELECT id FROM deals WHERE \(condition)").map { $0[3].string ?? "" }.joined(separator: "; ")
    }

    @Test func aSetWithoutAnIndexGetsOneThatTheLookupUses() throws {
        try withTemporaryDirectory { directory in
            let store = try store(in: directory)
            #expect(try plan(store, ["title", "customerId"]).contains("SCAN"))
            let name = try #require(try store.addLookupIndex(on: "deals", columns: ["title", "customerId"]))
            #expect(try plan(store, ["title", "customerId"]).contains("USING INDEX \(name)"))
            try store.dropLookupIndex(name)
            #expect(try store.database.scalar("SELECT count(*) FROM sqlite_schema WHERE name LIKE '_ferry_lookup_%'") == .integer(0))
        }
    }

    @Test func anIndexThatStartsWithTheSetInAnyOrderServesAsItIs() throws {
        try withTemporaryDirectory { directory in
            let store = try store(in: directory)
            #expect(try store.addLookupIndex(on: "deals", columns: ["title", "type"]) == nil)
            #expect(try store.addLookupIndex(on: "deals", columns: ["id"]) == nil) // the primary key's index
            #expect(try store.addLookupIndex(on: "deals", columns: ["title"]) != nil) // type comes first in deals_type_title
        }
    }

    @Test func anImportLeavesNoScratchIndexAndAReplayLeavesTheFileByteIdentical() throws {
        try withTemporaryDirectory { directory in
            let source = try SQLiteStore(path: directory.appendingPathComponent("s.db").path, mode: .readWriteCreate)
            try source.database.execute("""
                CREATE TABLE deals (id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL, type TEXT NOT NULL, amount REAL);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
                INSERT INTO deals SELECT 'd' || i, 'deal ' || i, 'kind ' || (i % 3), i FROM n;
                """)
            let profile = Profile(tables: ["deals": Profile.Table(match: [["title", "type"]])])
            let out = directory.appendingPathComponent("changeset").path
            _ = try Exporter(store: source, options: ExportOptions(profile: profile)).export(to: out)
            let targetPath = directory.appendingPathComponent("t.db").path
            let target = try SQLiteStore(path: targetPath, mode: .readWriteCreate)
            try target.database.execute("CREATE TABLE deals (id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL, type TEXT NOT NULL, amount REAL)")
            let schema = try target.database.rows("SELECT name, sql FROM sqlite_schema WHERE tbl_name = 'deals' ORDER BY name")

            let first = try Importer(store: target, changeset: try ChangesetReader(path: out)).run()
            #expect(first.totals.inserted == 300)
            #expect(try target.database.rows("SELECT name, sql FROM sqlite_schema WHERE tbl_name = 'deals' ORDER BY name") == schema)
            #expect(try target.database.scalar("SELECT count(*) FROM sqlite_schema WHERE name LIKE '_ferry_lookup_%'") == .integer(0))

            let before = try Data(contentsOf: URL(fileURLWithPath: targetPath))
            let replay = try Importer(store: target, changeset: try ChangesetReader(path: out)).run()
            #expect(replay.totals.unchanged == 300)
            #expect(try Data(contentsOf: URL(fileURLWithPath: targetPath)) == before)
        }
    }
}
