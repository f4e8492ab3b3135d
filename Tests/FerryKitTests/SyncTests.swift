import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Two stores that exchanged once: `a` (the sample local, prepared) and `b` (a replay of
/// it). Each case edits one or both sides, then a full export of `a` goes into `b`.
private struct SyncPair {
    let directory: URL
    let a: SQLiteStore
    let b: SQLiteStore
    var bPath: String { directory.appendingPathComponent("b.db").path }
    private var exports = 0

    init(in directory: URL) throws {
        self.directory = directory
        let sample = try SampleCRM.locate()
        try sample.build(.local, at: directory.appendingPathComponent("a.db").path)
        a = try SQLiteStore(path: directory.appendingPathComponent("a.db").path, mode: .readWrite)
        _ = try Preparer.prepare(store: a, tables: nil, profile: try Profile.load(path: sample.profilePath))
        b = try SQLiteStore(path: directory.appendingPathComponent("b.db").path, mode: .readWriteCreate)
        let first = try Exporter(store: a, options: ExportOptions(profile: try Profile.load(path: sample.profilePath))).export(to: directory.appendingPathComponent("first").path)
        _ = try Importer(store: b, changeset: try ChangesetReader(path: first.path), options: ImportOptions(rejectsPath: directory.appendingPathComponent("r0").path, track: true)).run()
    }

    /// Exports `a` (in full unless `incremental`) and imports it into `b`.
    mutating func sync(_ policy: ConflictPolicy? = nil, incremental: Bool = false) throws -> (report: ImportReport, conflicts: [JSONValue]) {
        exports += 1
        let path = directory.appendingPathComponent("sync\(exports)").path
        let profile = try Profile.load(path: try SampleCRM.locate().profilePath)
        _ = try Exporter(store: a, options: ExportOptions(profile: profile, incremental: incremental)).export(to: path)
        return try importInto(path, policy)
    }

    func importInto(_ path: String, _ policy: ConflictPolicy? = nil) throws -> (report: ImportReport, conflicts: [JSONValue]) {
        let conflicts = directory.appendingPathComponent("conflicts-\(UUID().uuidString.prefix(6)).ndjson").path
        let report = try Importer(store: b, changeset: try ChangesetReader(path: path),
                                  options: ImportOptions(rejectsPath: conflicts + ".rejects", conflictsPath: conflicts, onConflict: policy)).run()
        let text = (try? String(contentsOfFile: conflicts, encoding: .utf8)) ?? ""
        return (report, try text.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) })
    }

    func set(_ store: SQLiteStore, _ assignments: String, company: String = "Blue Harbor Dental") throws {
        try store.database.execute("UPDATE customers SET \(assignments) WHERE company = '\(company)'")
    }

    func value(_ store: SQLiteStore, _ column: String, company: String = "Blue Harbor Dental") throws -> Value? {
        try store.database.scalar("SELECT \(column) FROM customers WHERE company = ?", [.text(company)])
    }
}

private func counts(_ report: ImportReport, _ table: String) -> ImportReport.Counts {
    report.tables.first { $0.name == table }?.counts ?? ImportReport.Counts()
}

@Suite struct ConflictMatrixTests {
    @Test func changedOnlyAtTheSourceFastForwards() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            try pair.set(pair.a, "phone = 'A'")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "customers").updated == 1)
            #expect(conflicts.isEmpty)
            #expect(try pair.value(pair.b, "phone") == .text("A"))
        }
    }

    @Test func changedOnlyAtTheTargetIsKept() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            try pair.set(pair.b, "phone = 'B'")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "customers").unchanged == 5)
            #expect(conflicts.isEmpty)
            #expect(try pair.value(pair.b, "phone") == .text("B"))
        }
    }

    @Test func differentColumnsChangedOnBothSidesMerge() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            try pair.set(pair.a, "phone = 'A'")
            try pair.set(pair.b, "name = 'B'")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "customers").merged == 1)
            #expect(conflicts.isEmpty)
            #expect(try pair.value(pair.b, "phone") == .text("A"))
            #expect(try pair.value(pair.b, "name") == .text("B"))
        }
    }

    @Test func theSameColumnChangedOnBothSidesIsAConflictWithBothVersions() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            let original = try pair.value(pair.a, "phone")
            try pair.set(pair.a, "phone = 'A'")
            try pair.set(pair.b, "phone = 'B'")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "customers").conflicts == 1)
            #expect(try pair.value(pair.b, "phone") == .text("B"), "defer: the target keeps its version")
            let conflict = try #require(conflicts.first)
            #expect(conflict["kind"]?.stringValue == "update")
            #expect(conflict["columns"] == .array([.string(Array("phone".utf8))]))
            #expect(conflict["incoming"]?["phone"]?.stringValue == "A")
            #expect(conflict["target"]?["phone"]?.stringValue == "B")
            // The book keeps each column's digest, not its value: the base is not shown.
            #expect(conflict["base"] == .null)
            _ = original
        }
    }

    @Test func bothSidesChangingToTheSameValueIsUnchanged() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            try pair.set(pair.a, "phone = 'same'")
            try pair.set(pair.b, "phone = 'same'")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "customers").unchanged == 5)
            #expect(conflicts.isEmpty)
        }
    }

    @Test func deletedAtTheSourceAndChangedAtTheTargetIsAConflict() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            try pair.a.database.execute("DELETE FROM proposals WHERE customerId IN (SELECT id FROM customers WHERE company = 'Blue Harbor Dental'); DELETE FROM customers WHERE company = 'Blue Harbor Dental'")
            try pair.set(pair.b, "phone = 'B'")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "customers").conflicts == 1)
            #expect(conflicts.first { $0["table"]?.stringValue == "customers" }?["kind"]?.stringValue == "delete")
            #expect(try pair.value(pair.b, "phone") == .text("B"))
        }
    }

    @Test func deletedAtTheSourceAndUntouchedAtTheTargetIsDeleted() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            try pair.a.database.execute("DELETE FROM proposals WHERE customerId IN (SELECT id FROM customers WHERE company = 'Blue Harbor Dental'); DELETE FROM customers WHERE company = 'Blue Harbor Dental'")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "customers").deleted == 1)
            #expect(conflicts.isEmpty)
            #expect(try pair.value(pair.b, "phone") == nil)
            #expect(try pair.b.database.rows("PRAGMA foreign_key_check").isEmpty)
        }
    }

    @Test func aParentWhoseChildrenRemainIsARejectNamingThem() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            // Delete a user at the source while the target still has rows pointing at it
            // (users.roleId is RESTRICT: here a user referenced by customers).
            let user = try pair.a.database.scalar("SELECT createdBy FROM customers WHERE company = 'Blue Harbor Dental'")!
            try pair.a.database.execute("PRAGMA foreign_keys = OFF; DELETE FROM users WHERE id = '\(user.string!)'")
            let (report, _) = try pair.sync()
            #expect(counts(report, "users").rejected == 1)
            let rejects = try String(contentsOfFile: (report.rejectsFile ?? ""), encoding: .utf8)
            #expect(rejects.contains("still referenced by") && rejects.contains("customers"))
        }
    }

    @Test func changedAtTheSourceAndDeletedAtTheTargetIsAConflict() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            try pair.set(pair.a, "phone = 'A'")
            try pair.b.database.execute("DELETE FROM proposals WHERE customerId IN (SELECT id FROM customers WHERE company = 'Blue Harbor Dental'); DELETE FROM customers WHERE company = 'Blue Harbor Dental'")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "customers").conflicts == 1)
            #expect(conflicts.first { $0["table"]?.stringValue == "customers" }?["kind"]?.stringValue == "deleted-here")
            #expect(try pair.value(pair.b, "phone") == nil, "defer: the row stays deleted")
        }
    }

    @Test func insertedOnBothSidesWithTheSameNaturalKeyIsAFirstContactConflict() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            let role = try pair.a.database.scalar("SELECT id FROM roles LIMIT 1")!.string!
            let bRole = try pair.b.database.scalar("SELECT id FROM roles WHERE name = (SELECT name FROM roles LIMIT 1)")!.string!
            try pair.a.database.execute("INSERT INTO users (id, email, name, roleId, createdAt) VALUES ('a-new', 'new@example.com', 'From A', '\(role)', '2026-11-01')")
            try pair.b.database.execute("INSERT INTO users (id, email, name, roleId, createdAt) VALUES ('b-new', 'new@example.com', 'From B', '\(bRole)', '2026-11-01')")
            let (report, conflicts) = try pair.sync()
            #expect(counts(report, "users").conflicts == 1)
            #expect(conflicts.first?["kind"]?.stringValue == "first-contact")
            #expect(try pair.b.database.scalar("SELECT name FROM users WHERE email = 'new@example.com'") == .text("From B"))
            #expect(try pair.b.rowCount("users") == 11)
        }
    }
}

@Suite struct ConflictPolicyTests {
    /// A pair whose Blue Harbor Dental phone changed on both sides since they last synced.
    private func conflicting(_ directory: URL) throws -> SyncPair {
        let pair = try SyncPair(in: directory)
        try pair.set(pair.a, "phone = 'A'")
        try pair.set(pair.b, "phone = 'B'")
        return pair
    }

    @Test func sourceWinsTakesTheSourcesValue() throws {
        try withTemporaryDirectory { directory in
            var pair = try conflicting(directory)
            let (report, conflicts) = try pair.sync(.sourceWins)
            #expect(counts(report, "customers").updated == 1 && report.totals.conflicts == 0)
            #expect(conflicts.first?["resolution"]?.stringValue?.contains("source") == true)
            #expect(try pair.value(pair.b, "phone") == .text("A"))
        }
    }

    @Test func targetWinsKeepsTheTargetsValue() throws {
        try withTemporaryDirectory { directory in
            var pair = try conflicting(directory)
            let (report, _) = try pair.sync(.targetWins)
            #expect(report.totals.conflicts == 0)
            #expect(try pair.value(pair.b, "phone") == .text("B"))
        }
    }

    @Test func newerWinsComparesTheUpdatedAtColumn() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            for store in [pair.a, pair.b] {
                try store.database.execute("ALTER TABLE customers ADD COLUMN updatedAt TEXT")
            }
            try pair.set(pair.a, "phone = 'A', updatedAt = '2026-11-02T10:00:00Z'")
            try pair.set(pair.b, "phone = 'B', updatedAt = '2026-11-03T10:00:00Z'")
            try pair.set(pair.a, "phone = 'A2', updatedAt = '2026-11-05T10:00:00Z'", company: "Pinecrest Realty")
            try pair.set(pair.b, "phone = 'B2', updatedAt = '2026-11-04T10:00:00Z'", company: "Pinecrest Realty")
            let (report, _) = try pair.sync(.newerWins)
            #expect(report.totals.conflicts == 0)
            #expect(try pair.value(pair.b, "phone") == .text("B"), "the target's edit is newer")
            #expect(try pair.value(pair.b, "phone", company: "Pinecrest Realty") == .text("A2"), "the source's edit is newer")
        }
    }

    @Test func newerWinsWithoutAnUpdatedAtColumnIsAnErrorThatSaysSo() throws {
        try withTemporaryDirectory { directory in
            var pair = try conflicting(directory)
            let before = try Data(contentsOf: URL(fileURLWithPath: pair.bPath))
            #expect { _ = try pair.sync(.newerWins) } throws: { error in
                (error as? FerryError)?.message.contains("updatedAt") == true
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: pair.bPath)) == before)
        }
    }

    @Test func abortRollsBackEverythingAndLeavesTheTargetByteIdentical() throws {
        try withTemporaryDirectory { directory in
            var pair = try conflicting(directory)
            try pair.set(pair.a, "phone = 'also changed'", company: "Pinecrest Realty")
            let before = try Data(contentsOf: URL(fileURLWithPath: pair.bPath))
            #expect(throws: FerryError.self) { _ = try pair.sync(.abort) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: pair.bPath)) == before)
        }
    }

    @Test func rerunningWithAnotherPolicySettlesADeferredConflict() throws {
        try withTemporaryDirectory { directory in
            var pair = try conflicting(directory)
            let (deferred, _) = try pair.sync()
            #expect(deferred.totals.conflicts == 1)
            let changeset = directory.appendingPathComponent("sync1").path
            let (settled, _) = try pair.importInto(changeset, .sourceWins)
            #expect(settled.totals.conflicts == 0)
            #expect(try pair.value(pair.b, "phone") == .text("A"))
        }
    }

    @Test func aPolicyCanBeSetPerTableInTheProfile() throws {
        try withTemporaryDirectory { directory in
            let pair = try conflicting(directory)
            let changeset = directory.appendingPathComponent("export").path
            _ = try Exporter(store: pair.a, options: ExportOptions(profile: try Profile.load(path: try SampleCRM.locate().profilePath))).export(to: changeset)
            let report = try Importer(store: pair.b, changeset: try ChangesetReader(path: changeset), options: ImportOptions(
                profile: Profile(tables: ["customers": .init(match: [["email"], ["company"]], onConflict: .sourceWins)]),
                rejectsPath: directory.appendingPathComponent("r").path, conflictsPath: directory.appendingPathComponent("c").path)).run()
            #expect(report.totals.conflicts == 0)
            #expect(try pair.value(pair.b, "phone") == .text("A"))
        }
    }
}

@Suite struct PruneTests {
    @Test func pruneDeletesTargetRowsAFullChangesetDoesNotHold() throws {
        try withTemporaryDirectory { directory in
            var pair = try SyncPair(in: directory)
            let user = try pair.b.database.scalar("SELECT id FROM users LIMIT 1")!.string!
            try pair.b.database.execute("""
                INSERT INTO customers (id, company, createdBy, syncStatus, createdAt) VALUES ('only-in-b', 'Only In B', '\(user)', 'pending', '2026-11-01');
                INSERT INTO proposals (id, title, type, customerId, createdBy, status, syncStatus, createdAt) VALUES ('p-only-in-b', 'x', 'quote', 'only-in-b', '\(user)', 'draft', 'pending', '2026-11-01');
                """)
            let path = directory.appendingPathComponent("mirror").path
            _ = try Exporter(store: pair.a, options: ExportOptions(profile: try Profile.load(path: try SampleCRM.locate().profilePath))).export(to: path)
            let before = try Data(contentsOf: URL(fileURLWithPath: pair.bPath))
            let dry = try Importer(store: pair.b, changeset: try ChangesetReader(path: path), options: ImportOptions(dryRun: true, rejectsPath: directory.appendingPathComponent("r").path, prune: true)).run()
            #expect(dry.totals.deleted == 2)
            #expect(try Data(contentsOf: URL(fileURLWithPath: pair.bPath)) == before, "dry run first, as the docs say")
            let report = try Importer(store: pair.b, changeset: try ChangesetReader(path: path), options: ImportOptions(rejectsPath: directory.appendingPathComponent("r").path, prune: true)).run()
            #expect(counts(report, "customers").deleted == 1)
            #expect(counts(report, "proposals").deleted == 1)
            #expect(try pair.b.rowCount("customers") == 5 && pair.b.rowCount("proposals") == 5)
            #expect(try pair.b.database.rows("PRAGMA foreign_key_check").isEmpty)
            _ = try pair.sync()
        }
    }

    @Test func pruneRefusesAnIncrementalChangeset() throws {
        try withTemporaryDirectory { directory in
            let pair = try SyncPair(in: directory)
            let path = directory.appendingPathComponent("inc").path
            _ = try Exporter(store: pair.a, options: ExportOptions(incremental: true)).export(to: path)
            #expect { _ = try Importer(store: pair.b, changeset: try ChangesetReader(path: path), options: ImportOptions(prune: true)).run() } throws: { error in
                (error as? FerryError)?.message.contains("--prune needs a full changeset") == true
            }
        }
    }
}
