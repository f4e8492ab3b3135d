import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 15: tombstones stay until `ferry compact` removes those every peer has seen.
@Suite struct CompactCommandTests {
    private func tombstones(_ db: URL) throws -> Int64 {
        if case .integer(let count)? = try scalar(db, "SELECT count(*) FROM _ferry_rows WHERE deleted = 1") { return count }
        return -1
    }

    private func deletesIn(_ changeset: URL) throws -> Int {
        let reader = try ChangesetReader(path: changeset.path)
        var deletes = 0
        for table in reader.manifest.tables {
            try reader.forEachRecord(in: table) { _, record, _ in if record.operation == .delete { deletes += 1 } }
        }
        return deletes
    }

    @Test func compactRemovesOnlyTombstonesEveryNamedPeerHasSeen() throws {
        try withTemporaryDirectory { directory in
            let cloud = directory.appendingPathComponent("cloud.db")
            let laptop = directory.appendingPathComponent("laptop.db")
            try database(cloud, "CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE); INSERT INTO t VALUES ('1','a'),('2','b'),('3','c')")
            try #require(try ferry(["prepare", "--db", cloud.path, "-q"]).status == 0)
            let first = directory.appendingPathComponent("first")
            try #require(try ferry(["export", "--db", cloud.path, "--out", first.path, "-q"]).status == 0)
            try #require(try ferry(["import", "--db", laptop.path, first.path, "-q"]).status == 0)

            try database(cloud, "DELETE FROM t WHERE id = '1'")
            let second = directory.appendingPathComponent("second")
            try #require(try ferry(["export", "--db", cloud.path, "--out", second.path, "-q"]).status == 0)
            try #require(try ferry(["import", "--db", laptop.path, second.path, "-q"]).status == 0)
            try database(cloud, "DELETE FROM t WHERE id = '2'")
            let third = directory.appendingPathComponent("third")
            try #require(try ferry(["export", "--db", cloud.path, "--out", third.path, "-q"]).status == 0)
            #expect(try tombstones(cloud) == 2)
            #expect(try deletesIn(third) == 2, "a full export carries every tombstone the book keeps")
            let inspected = try ferry(["inspect", "--db", cloud.path])
            #expect(inspected.stdout.contains("1 row tracked, 2 tombstones (oldest "), "stdout: \(inspected.stdout)")
            #expect(inspected.stdout.contains("(3 exports recorded)"), "stdout: \(inspected.stdout)")

            // The laptop applied `second`, not `third`: only the tombstone before `second` goes.
            let compact = try ferry(["compact", "--db", cloud.path, "--applied", second.path])
            #expect(compact.status == 0, "stderr: \(compact.stderr)")
            #expect(compact.stderr.contains("removed 1 tombstone, 1 kept"), "stderr: \(compact.stderr)")
            #expect(try tombstones(cloud) == 1)
            #expect(try ferry(["inspect", "--db", cloud.path]).stdout.contains("1 row tracked, 1 tombstone (oldest "))
            let fourth = directory.appendingPathComponent("fourth")
            try #require(try ferry(["export", "--db", cloud.path, "--out", fourth.path, "-q"]).status == 0)
            #expect(try deletesIn(fourth) == 1)
            #expect(try scalar(cloud, "SELECT count(*) FROM t") == .integer(1), "application rows untouched")
        }
    }

    @Test func compactRefusesWhatIsNotAnExportOfThisDatabase() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("app.db")
            try database(db, "CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE); INSERT INTO t VALUES ('1','a')")
            let unprepared = try ferry(["compact", "--db", db.path, "--applied", UUID().uuidString])
            #expect(unprepared.status != 0 && unprepared.stderr.contains("no sync book"), "stderr: \(unprepared.stderr)")
            try #require(try ferry(["prepare", "--db", db.path, "-q"]).status == 0)
            let none = try ferry(["compact", "--db", db.path])
            #expect(none.status != 0 && none.stderr.contains("--applied"), "stderr: \(none.stderr)")
            let stranger = try ferry(["compact", "--db", db.path, "--applied", UUID().uuidString])
            #expect(stranger.status != 0 && stranger.stderr.contains("is not a changeset exported from"), "stderr: \(stranger.stderr)")
            #expect(!stranger.stderr.contains("Fatal error"))
        }
    }
}
