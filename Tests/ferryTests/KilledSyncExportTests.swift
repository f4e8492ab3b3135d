import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// An export with a sync book killed at any moment: a changeset that exists is one the book
/// recorded (its versions counted), so no later export can count the same versions again
/// for other content.
@Suite struct KilledSyncExportTests {
    @Test func aChangesetInPlaceIsAlwaysOneTheBookRecorded() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("app.db")
            try database(db, """
                CREATE TABLE items (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, body TEXT);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                INSERT INTO items SELECT 'i' || i, 'c' || i, 'body ' || i FROM n;
                """)
            try #require(try ferry(["prepare", "--db", db.path, "-q"]).status == 0)
            // Kills spread over an export's own duration, most of them near its end, where
            // the book commits and the changeset is put in place.
            try #require(try ferry(["export", "--db", db.path, "--out", directory.appendingPathComponent("first").path, "-q"]).status == 0)
            let started = Date() // an export of a book that knows every row, as the killed ones are
            try #require(try ferry(["export", "--db", db.path, "--out", directory.appendingPathComponent("timed").path, "-q"]).status == 0)
            let duration = Date().timeIntervalSince(started)
            var published = 0
            for (index, share) in [0.5, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0].enumerated() {
                let delay = duration * share
                try database(db, "UPDATE items SET body = body || '.' WHERE rowid % 7 = \(index % 7)")
                let out = directory.appendingPathComponent("out-\(index)")
                let process = Process()
                process.executableURL = ferryBinary
                process.arguments = ["export", "--db", db.path, "--out", out.path, "--quiet"]
                process.standardError = FileHandle.nullDevice
                try process.run()
                Thread.sleep(forTimeInterval: delay)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                guard FileManager.default.fileExists(atPath: out.appendingPathComponent("manifest.json").path) else { continue }
                published += 1
                let reader = try ChangesetReader(path: out.path)
                let id = reader.manifest.changesetId
                let recorded = try scalar(db, "SELECT count(*) FROM _ferry_state WHERE key = 'export:' || '\(id)'")
                #expect(recorded == .integer(1), "after a kill at \(delay) s, changeset \(id) is in place but the book never recorded it")
            }
            // The database is whole, exports on, and records what it publishes.
            #expect(try scalar(db, "PRAGMA integrity_check") == .text(Array("ok".utf8)))
            let after = directory.appendingPathComponent("after")
            #expect(try ferry(["export", "--db", db.path, "--out", after.path, "-q"]).status == 0)
            let id = try ChangesetReader(path: after.path).manifest.changesetId
            #expect(try scalar(db, "SELECT count(*) FROM _ferry_state WHERE key = 'export:' || '\(id)'") == .integer(1))
            print("killed sync exports: \(published) of 10 had published before the kill (an export takes \(String(format: "%.2f", duration)) s)")
        }
    }
}
