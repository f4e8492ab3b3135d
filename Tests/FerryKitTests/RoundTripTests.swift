import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

@Suite struct RoundTripTests {
    /// The edge-value table of the issue: every storage class at its limits.
    private func makeEdgeDatabase(at url: URL) throws {
        let db = try SQLiteDatabase(path: url.path, mode: .readWriteCreate)
        try db.execute("""
            CREATE TABLE edge (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, anything);
            CREATE INDEX edge_t ON edge(t);
            """)
        let insert = try db.prepare("INSERT INTO edge (id, i, r, t, b, anything) VALUES (?, ?, ?, ?, ?, ?)")
        let allBytes = (0...255).map { UInt8($0) }
        let rows: [[Value]] = [
            [.integer(1), .integer(.min), .real(0.1), .text(""), .blob(allBytes), .integer(42)],
            [.integer(2), .integer(.max), .real(-0.0), .null, .blob([]), .real(1.5)],
            [.integer(3), .integer(9_007_199_254_740_993), .real(.leastNonzeroMagnitude), .text("a\u{0}b"), .null, .text("text")],
            [.integer(4), .integer(0), .real(1e300), .text("\u{1}\u{1F}\t\r\n\u{7F}"), .blob([0]), .blob([1, 2])],
            [.integer(5), .integer(-1), .real(.infinity), .text("\u{2028}\u{2029}😀🇩🇪"), .blob([0xFF]), .null],
            [.integer(6), .null, .real(-.infinity), .text("plain"), .blob([0, 0, 0]), .integer(.min)],
            [.integer(7), .integer(1), .real(2.0.squareRoot()), .text([0x61, 0xFF, 0xFE]), .blob(Array("x".utf8)), .real(-0.0)],
        ]
        for row in rows {
            try insert.bind(row)
            try insert.step()
        }
    }

    @Test func edgeValuesReplayWithTheSameTypeofQuoteAndHex() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("edge.db")
            try makeEdgeDatabase(at: source)
            let (target, report, _) = try exportAndReplay(source, in: directory)
            #expect(report.totals.inserted == 7)
            let columns = ["id", "i", "r", "t", "b", "anything"]
            let expected = try cellFingerprints(try SQLiteDatabase(path: source.path, mode: .readOnly), table: "edge", columns: columns)
            let actual = try cellFingerprints(target.database, table: "edge", columns: columns)
            #expect(actual == expected)
            #expect(expected.count == 7)
            // quote() shows REALs with 15 digits only; the exact comparison catches the last bits too.
            #expect(try DatabaseComparison.firstDifference(try SQLiteStore(path: source.path, mode: .readOnly), target) == nil)
            // The index came along with the table.
            #expect(try target.database.scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'edge_t'") == .integer(1))
        }
    }

    @Test func replayingTheSameChangesetAgainChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("edge.db")
            try makeEdgeDatabase(at: source)
            let (target, _, _) = try exportAndReplay(source, in: directory)
            let again = try Importer(store: target, changeset: try ChangesetReader(path: directory.appendingPathComponent("changeset").path)).run()
            #expect(again.totals.inserted == 0)
            #expect(again.totals.updated == 0)
            #expect(again.totals.unchanged == 7)
        }
    }

    @Test func aTargetEditAndADeleteSinceTheLastImportBothStand() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("edge.db")
            try makeEdgeDatabase(at: source)
            let (target, _, _) = try exportAndReplay(source, in: directory, track: true)
            // After the replay, the target edits row 6 and deletes row 7; the source did not change.
            try target.database.execute("UPDATE edge SET t = 'changed on target' WHERE id = 6; DELETE FROM edge WHERE id = 7")
            let changeset = directory.appendingPathComponent("changeset").path
            let conflicts = directory.appendingPathComponent("conflicts.ndjson").path
            let again = try Importer(store: target, changeset: try ChangesetReader(path: changeset), options: ImportOptions(conflictsPath: conflicts)).run()
            // The target's own memory of what it received is the base: only the target changed
            // row 6, so its edit stays; row 7 comes again exactly as it was when it was deleted
            // here, a stale copy, so the delete stands (issue 15: neither re-inserted nor a conflict).
            #expect(again.totals.updated == 0)
            #expect(again.totals.inserted == 0)
            #expect(again.totals.unchanged == 7)
            #expect(again.totals.conflicts == 0)
            #expect(!FileManager.default.fileExists(atPath: conflicts))
            #expect(try target.database.scalar("SELECT t FROM edge WHERE id = 6") == .text("changed on target"))
            #expect(try target.rowCount("edge") == 6)
            // No policy brings it back: there is no conflict to settle.
            let report = try Importer(store: target, changeset: try ChangesetReader(path: changeset), options: ImportOptions(conflictsPath: conflicts, onConflict: .sourceWins)).run()
            #expect(report.totals.inserted == 0)
            #expect(try target.rowCount("edge") == 6)
        }
    }

    @Test func awkwardIdentifiersSurviveExportAndReplay() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("names.db")
            let db = try SQLiteDatabase(path: source.path, mode: .readWriteCreate)
            try db.execute("""
                CREATE TABLE "order" ("select" TEXT PRIMARY KEY, "a""quote" INTEGER, "with space" TEXT, "naïve→名前" REAL);
                CREATE TABLE "we;ird/\\name" (id INTEGER PRIMARY KEY, "order" TEXT REFERENCES "order"("select"));
                INSERT INTO "order" VALUES ('x', 1, 'y', 2.5), ('z', NULL, '', -1.0);
                INSERT INTO "we;ird/\\name" VALUES (1, 'x'), (2, 'z');
                """)
            let (target, report, manifest) = try exportAndReplay(source, in: directory)
            #expect(report.totals.inserted == 4)
            #expect(manifest.tables.map(\.name) == ["order", "we;ird/\\name"], "parents first")
            #expect(manifest.tables[1].file == "we%3Bird%2F%5Cname.ndjson.gz")
            #expect(try DatabaseComparison.firstDifference(try SQLiteStore(path: source.path, mode: .readOnly), target) == nil)
        }
    }

    @Test func exportNeverWritesToTheSource() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("edge.db")
            try makeEdgeDatabase(at: source)
            let before = try Data(contentsOf: source)
            _ = try exportAndReplay(source, in: directory)
            #expect(try Data(contentsOf: source) == before)
        }
    }

    @Test func anExportAppearsWholeOrNotAtAll() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("edge.db")
            try makeEdgeDatabase(at: source)
            let store = try SQLiteStore(path: source.path, mode: .readOnly)
            let out = directory.appendingPathComponent("out").path
            #expect(throws: FerryError.self) {
                _ = try Exporter(store: store, options: ExportOptions(tables: ["missing"])).export(to: out)
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") || $0 == "out" }
            #expect(leftovers.isEmpty)
        }
    }

    @Test func aStrictImportWithARefusedRowLeavesTheTargetByteIdentical() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("edge.db")
            try makeEdgeDatabase(at: source)
            let (target, _, _) = try exportAndReplay(source, in: directory, track: true)
            // The source edits rows 5 and 6; the target refuses the update of row 6, after
            // row 5 was already updated inside the import's transaction.
            let sourceStore = try SQLiteStore(path: source.path, mode: .readWrite)
            try sourceStore.database.execute("UPDATE edge SET t = 'source edit' WHERE id IN (5, 6)")
            let changeset = directory.appendingPathComponent("second").path
            _ = try Exporter(store: sourceStore, options: ExportOptions()).export(to: changeset)
            try target.database.execute("CREATE TRIGGER no_six BEFORE UPDATE ON edge WHEN new.id = 6 BEGIN SELECT RAISE(ABORT, 'refused'); END")
            let targetPath = directory.appendingPathComponent("changeset-target.db")
            let before = try Data(contentsOf: targetPath)
            let rejects = directory.appendingPathComponent("rejects.ndjson").path
            #expect(throws: FerryError.self) {
                _ = try Importer(store: target, changeset: try ChangesetReader(path: changeset), options: ImportOptions(strict: true, rejectsPath: rejects)).run()
            }
            #expect(try Data(contentsOf: targetPath) == before)
            // Without --strict, exactly the refused row is rejected and row 5 is applied.
            let report = try Importer(store: target, changeset: try ChangesetReader(path: changeset), options: ImportOptions(rejectsPath: rejects)).run()
            #expect(report.totals.rejected == 1)
            #expect(report.totals.updated == 1)
            #expect(try String(contentsOfFile: rejects, encoding: .utf8).contains("refused"))
            #expect(try target.database.scalar("SELECT t FROM edge WHERE id = 5") == .text("source edit"))
        }
    }

    @Test func aBrokenLineAfterAppliedRowsRollsEverythingBack() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("edge.db")
            try makeEdgeDatabase(at: source)
            let changeset = directory.appendingPathComponent("changeset").path
            _ = try Exporter(store: try SQLiteStore(path: source.path, mode: .readOnly), options: ExportOptions()).export(to: changeset)
            try editTable(changeset, "edge") { lines in lines + [#"{"op":"upsert","row":{"id":"#] }
            let targetPath = directory.appendingPathComponent("target.db").path
            let target = try SQLiteStore(path: targetPath, mode: .readWriteCreate)
            try target.database.execute("CREATE TABLE keep (x); INSERT INTO keep VALUES (1)")
            let before = try Data(contentsOf: URL(fileURLWithPath: targetPath))
            #expect {
                _ = try Importer(store: target, changeset: try ChangesetReader(path: changeset)).run()
            } throws: { error in
                (error as? FerryError)?.message.contains("edge.ndjson.gz line 8") == true
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: targetPath)) == before)
            #expect(try target.tableExists("edge") == false)
        }
    }
}
