import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 13, "Correctness under real settings": WAL targets and side files of a failed run.
@Suite struct RealSettingsTests {
    /// SQLite 3.40 failed the book's deferred identity index with "database or disk is full"
    /// once an import into a WAL-mode target passed ~100k rows.
    @Test func aLargeImportIntoAWALTargetSucceeds() throws {
        try withTemporaryDirectory { directory in
            let rows = 120_000
            let sourcePath = directory.appendingPathComponent("source.db").path
            let source = try SQLiteDatabase(path: sourcePath, mode: .readWriteCreate)
            try source.execute("""
                CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER);
                WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < \(rows))
                INSERT INTO items SELECT 'id' || x, 'name' || x, x FROM i;
                """)
            let store = try SQLiteStore(path: sourcePath, mode: .readWrite)
            _ = try Preparer.prepare(store: store, tables: ["items"], profile: .empty)
            let changeset = directory.appendingPathComponent("cs").path
            _ = try Exporter(store: store, options: ExportOptions()).export(to: changeset)

            let targetPath = directory.appendingPathComponent("wal.db").path
            let target = try SQLiteStore(path: targetPath, mode: .readWriteCreate)
            try target.database.execute("PRAGMA journal_mode = WAL; CREATE TABLE unrelated (x)")
            let report = try Importer(store: target, changeset: try ChangesetReader(path: changeset)).run(targetPath: targetPath)
            #expect(report.totals.inserted == rows)
            #expect(try target.rowCount("items") == rows)
            #expect(try target.database.scalar("PRAGMA journal_mode")?.string == "wal", "the target stays in WAL mode")
            #expect(try target.database.scalar("PRAGMA integrity_check")?.string == "ok")
        }
    }

    @Test func aSideFileIsInvisibleUntilPublished() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("report.json").path
            do {
                let file = try SideFile(path: path, kind: .report)
                try Array("{}".utf8).withUnsafeBytes { try file.write($0) }
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "nothing has a name before publish")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "an unpublished file leaves nothing behind")
            let file = try SideFile(path: path, kind: .report)
            let report = #"{"changeset": "x", "tables": [], "totals": {}}"#
            try Array(report.utf8).withUnsafeBytes { try file.write($0) }
            try file.publish()
            #expect(try String(contentsOfFile: path, encoding: .utf8) == report)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report.json"])
        }
    }

    @Test func aSideFileNeverReplacesAnotherKindOfFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("rejects.ndjson").path
            try Data(#"{"table":"t","kind":"update","resolution":"kept","policy":"defer"}"#.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: FerryError.self, "a conflicts file is not a rejects file") { try SideFile.checkReplaceable(path, kind: .rejects) }
            try SideFile.checkReplaceable(path, kind: .conflicts)
            try Data().write(to: URL(fileURLWithPath: path))
            try SideFile.checkReplaceable(path, kind: .rejects) // empty: nothing to lose
        }
    }

    /// A conflict whose row holds a 3 MB text is one line of that size: Ferry's own file,
    /// which the next import may replace (it read only the first megabyte, and refused).
    @Test func aSideFileWhoseFirstLineIsLargeIsStillKnownAsFerrys() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("conflicts.ndjson").path
            let large = String(repeating: "long ✓ ", count: 400_000)
            try Data(#"{"table":"t","incoming":{"t":"\#(large)"},"kind":"update","resolution":"kept","policy":"defer"}"#.utf8 + Data("\n{}\n".utf8))
                .write(to: URL(fileURLWithPath: path))
            try SideFile.checkReplaceable(path, kind: .conflicts)
            #expect(throws: FerryError.self) { try SideFile.checkReplaceable(path, kind: .rejects) }
        }
    }
}
