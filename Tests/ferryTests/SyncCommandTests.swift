import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

// Sync over time through the built binary: the CLI contract of incremental export (the
// chain, --since, tombstones), the three-way merge's conflict policies (exit codes, the
// conflicts file, the report), the predecessor check with --force, and `ferry replay`.
// The merge rules themselves are covered at library level (FerryKitTests/SyncTests.swift,
// IncrementalTests.swift); these tests are about what a user or a script sees.

// MARK: - Helpers

/// `ferry export --db DB --out OUT --profile samples/crm/profile.json --quiet EXTRA…`
@discardableResult
private func exportChangeset(_ db: URL, to out: URL, _ extra: [String] = []) throws -> CommandResult {
    try ferry(["export", "--db", db.path, "--out", out.path, "--profile", sampleProfile.path, "--quiet"] + extra)
}

/// What one `ferry import` wrote, all inside the test's folder.
private struct SyncImport {
    let result: CommandResult
    let report: URL
    let conflicts: URL
    let rejects: URL
}

/// `ferry import CHANGESET --db DB --report … --rejects … --conflicts … EXTRA…`, every file
/// named after `tag` inside `directory`.
private func importChangeset(_ changeset: URL, into db: URL, in directory: URL, tag: String, _ extra: [String] = []) throws -> SyncImport {
    let report = directory.appendingPathComponent("\(tag).report.json")
    let conflicts = directory.appendingPathComponent("\(tag).conflicts.ndjson")
    let rejects = directory.appendingPathComponent("\(tag).rejects.ndjson")
    let result = try ferry(["import", changeset.path, "--db", db.path, "--report", report.path, "--rejects", rejects.path,
                            "--conflicts", conflicts.path] + extra)
    return SyncImport(result: result, report: report, conflicts: conflicts, rejects: rejects)
}

/// A column of one customer (by company), as the system sqlite3 prints it (NULL is "").
private func customerValue(_ db: URL, _ company: String, _ column: String = "phone") throws -> String {
    try sqlite3(db, "SELECT \(column) FROM customers WHERE company = '\(company)'").trimmingCharacters(in: .newlines)
}

private func changesetId(of changeset: URL) throws -> String {
    try #require(try readManifest(changeset)["changesetId"] as? String, "manifest of \(changeset.lastPathComponent) has no changesetId")
}

/// The rows count of every table in a changeset's manifest, by table name.
private func manifestRowCounts(_ changeset: URL) throws -> [String: Int] {
    let tables = try #require(try readManifest(changeset)["tables"] as? [[String: Any]], "manifest has no tables array")
    var counts: [String: Int] = [:]
    for table in tables {
        counts[try #require(table["name"] as? String)] = table["rows"] as? Int
    }
    return counts
}

/// True when a failed export left neither its output nor its staging folder behind.
private func leftNothingBehind(_ out: URL) throws -> Bool {
    let names = try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path)
    return !names.contains(out.lastPathComponent) && !names.contains { $0.hasPrefix(".\(out.lastPathComponent).tmp-") }
}

/// The sample pair after a first sync (local exported with the sample profile and imported
/// into cloud), then the phone of Pinecrest Realty changed differently on each side, and
/// local exported in full again to `l2c-2`.
private struct PhoneConflict {
    static let company = "Pinecrest Realty"
    static let originalPhone = "+1 555 0177"
    static let localPhone = "+1 555 1111 (local)"
    static let cloudPhone = "+1 555 2222 (cloud)"

    let pair: CRMPair
    var changeset: URL { pair.directory.appendingPathComponent("l2c-2") }

    init(in directory: URL) throws {
        pair = try CRMPair(in: directory)
        let first = try pair.importInto(nil, ["--conflicts", directory.appendingPathComponent("first.conflicts.ndjson").path])
        try #require(first.status == 0, "first sync failed: \(first.stderr)")
        try #require(try customerValue(pair.cloud, Self.company) == Self.originalPhone)
        _ = try sqlite3(pair.local, "UPDATE customers SET phone = '\(Self.localPhone)' WHERE company = '\(Self.company)'")
        _ = try sqlite3(pair.cloud, "UPDATE customers SET phone = '\(Self.cloudPhone)' WHERE company = '\(Self.company)'")
        let export = try exportChangeset(pair.local, to: changeset)
        try #require(export.status == 0, "second export failed: \(export.stderr)")
    }
}

// MARK: - Tests

@Suite struct SyncCommandTests {
    /// 1. Round trip over time: local → cloud in full, then the cloud's edits back to local as
    /// an incremental that continues the cloud's own full export.
    @Test func roundTripOverTimeWithAnIncrementalChain() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            let first = try importChangeset(pair.changeset, into: pair.cloud, in: directory, tag: "l2c")
            try #require(first.result.status == 0, "local → cloud: \(first.result.stderr)")

            // A prepared database that never exported cannot export incrementally.
            let early = directory.appendingPathComponent("c-early")
            let refused = try exportChangeset(pair.cloud, to: early, ["--incremental"])
            #expect(refused.status == 1, "status \(refused.status), stderr: \(refused.stderr)")
            #expect(refused.stderr.lowercased().contains("export in full once"), "stderr: \(refused.stderr)")
            #expect(!looksLikeACrash(refused.stderr))
            #expect(try leftNothingBehind(early), "the refused export left files behind")

            let full = directory.appendingPathComponent("c-full")
            let fullExport = try exportChangeset(pair.cloud, to: full)
            try #require(fullExport.status == 0, "cloud full export: \(fullExport.stderr)")
            let fullManifest = try readManifest(full)
            #expect(fullManifest["mode"] as? String == "full")
            #expect(fullManifest["incrementalTo"] == nil || fullManifest["incrementalTo"] is NSNull)
            let fullId = try changesetId(of: full)

            let newPhone = "+1 555 0142"
            _ = try sqlite3(pair.cloud, "UPDATE customers SET phone = '\(newPhone)' WHERE company = 'Blue Harbor Dental'")
            let incremental = directory.appendingPathComponent("c-inc")
            let incExport = try exportChangeset(pair.cloud, to: incremental, ["--incremental"])
            try #require(incExport.status == 0, "cloud incremental export: \(incExport.stderr)")

            let manifest = try readManifest(incremental)
            #expect(manifest["mode"] as? String == "incremental")
            #expect(manifest["incrementalTo"] as? String == fullId)
            let counts = try manifestRowCounts(incremental)
            #expect(Set(counts.keys) == Set(SampleCRM.tables), "\(counts)")
            for (table, rows) in counts {
                #expect(rows == (table == "customers" ? 1 : 0), "\(table) ships \(rows) row(s) in the incremental")
            }
            let lines = try tableLines(incremental, "customers")
            try #require(lines.count == 1, "\(lines)")
            let record = try jsonObject(lines[0])
            #expect(record["op"] as? String == "upsert")
            #expect((record["row"] as? [String: Any])?["phone"] as? String == newPhone)
            #expect(record["hash"] is String, "the record carries no hash: \(lines[0])")
            // The base is the version that crossed, one digest per column: the phone's is
            // that of NULL, which the new phone's is not.
            let base = try #require(record["base"] as? String, "the record carries no base: \(lines[0])")
            #expect(base.count % 8 == 0 && base.count >= 8 * 5, "\(base)")
            #expect(base.contains(String(format: "%08x", ColumnDigests.digest(column: "phone", value: .null))), "\(lines[0])")
            #expect(!base.contains(String(format: "%08x", ColumnDigests.digest(column: "phone", value: .text(newPhone)))), "\(lines[0])")

            // Local never applied the cloud's full export: the incremental is refused.
            let localBefore = try fileBytes(pair.local)
            let orphan = try importChangeset(incremental, into: pair.local, in: directory, tag: "orphan")
            #expect(orphan.result.status == 1, "status \(orphan.result.status), stderr: \(orphan.result.stderr)")
            #expect(orphan.result.stderr.contains("--force"), "stderr: \(orphan.result.stderr)")
            #expect(orphan.result.stderr.contains(fullId), "the message should name the missing predecessor: \(orphan.result.stderr)")
            #expect(!looksLikeACrash(orphan.result.stderr))
            #expect(try fileBytes(pair.local) == localBefore, "exit 1 says nothing was applied, but local.db changed")

            // The chain in order: the full export, then the incremental.
            let back = try importChangeset(full, into: pair.local, in: directory, tag: "c-full")
            #expect(back.result.status == 0, "cloud full → local: \(back.result.stderr)")
            let backTotals = try reportTotals(try jsonObject(at: back.report))
            #expect(backTotals["conflicts"] == 0 && backTotals["rejected"] == 0, "\(backTotals)")
            let next = try importChangeset(incremental, into: pair.local, in: directory, tag: "c-inc")
            #expect(next.result.status == 0, "cloud incremental → local: \(next.result.stderr)")
            let totals = try reportTotals(try jsonObject(at: next.report))
            #expect(totals["updated"] == 1, "\(totals)")
            #expect(totals["conflicts"] == 0, "\(totals)")
            #expect(try customerValue(pair.local, "Blue Harbor Dental") == newPhone)
            #expect(try rowCount(pair.local, "customers") == 5)
        }
    }

    /// 2. The same column changed on both sides: deferred by default (exit 3, both versions
    /// in the conflicts file), then settled by importing again with source-wins.
    @Test func aConflictIsDeferredRecordedAndSettledBySourceWins() throws {
        try withTemporaryDirectory { directory in
            let setup = try PhoneConflict(in: directory)
            let cloud = setup.pair.cloud

            let deferred = try importChangeset(setup.changeset, into: cloud, in: directory, tag: "defer")
            #expect(deferred.result.status == 3, "status \(deferred.result.status), stderr: \(deferred.result.stderr)")
            #expect(deferred.result.stderr.contains(deferred.conflicts.path), "stderr: \(deferred.result.stderr)")
            #expect(deferred.result.stderr.contains("--on-conflict"), "stderr: \(deferred.result.stderr)")
            #expect(!looksLikeACrash(deferred.result.stderr))

            let report = try jsonObject(at: deferred.report)
            let totals = try reportTotals(report)
            #expect(totals["conflicts"] == 1, "\(totals)")
            #expect(totals["rejected"] == 0, "\(totals)")
            #expect(try reportTableFigures(report)["customers"]?["conflicts"] == 1)
            let conflictsFile = try #require(report["conflictsFile"] as? String, "the report names no conflictsFile")
            #expect(conflictsFile.hasPrefix("/"), "not absolute: \(conflictsFile)")
            #expect(conflictsFile == deferred.conflicts.standardizedFileURL.path)

            let lines = try String(contentsOf: deferred.conflicts, encoding: .utf8).split(separator: "\n").map(String.init)
            try #require(lines.count == 1, "\(lines)")
            let conflict = try jsonObject(lines[0])
            #expect(conflict["table"] as? String == "customers")
            #expect(conflict["kind"] as? String == "update")
            #expect(conflict["columns"] as? [String] == ["phone"])
            #expect((conflict["incoming"] as? [String: Any])?["phone"] as? String == PhoneConflict.localPhone, "\(lines[0])")
            #expect((conflict["target"] as? [String: Any])?["phone"] as? String == PhoneConflict.cloudPhone, "\(lines[0])")
            #expect(conflict["base"] is NSNull, "the book keeps digests, not the base's values: \(lines[0])")
            #expect(conflict["policy"] as? String == "defer")

            // Deferred: the target keeps its version.
            #expect(try customerValue(cloud, PhoneConflict.company) == PhoneConflict.cloudPhone)

            let settled = try importChangeset(setup.changeset, into: cloud, in: directory, tag: "source-wins", ["--on-conflict", "source-wins"])
            #expect(settled.result.status == 0, "status \(settled.result.status), stderr: \(settled.result.stderr)")
            let settledTotals = try reportTotals(try jsonObject(at: settled.report))
            #expect(settledTotals["conflicts"] == 0, "\(settledTotals)")
            #expect(settledTotals["updated"] == 1, "\(settledTotals)")
            #expect(try customerValue(cloud, PhoneConflict.company) == PhoneConflict.localPhone)
            #expect(try rowCount(cloud, "customers") == 5)
        }
    }

    /// 3. abort: a conflict rolls the whole import back; the target is byte-identical.
    @Test func abortOnAConflictAppliesNothing() throws {
        try withTemporaryDirectory { directory in
            let setup = try PhoneConflict(in: directory)
            let before = try fileBytes(setup.pair.cloud)
            let aborted = try importChangeset(setup.changeset, into: setup.pair.cloud, in: directory, tag: "abort", ["--on-conflict", "abort"])
            #expect(aborted.result.status != 0 && aborted.result.status != 3, "status \(aborted.result.status), stderr: \(aborted.result.stderr)")
            #expect(aborted.result.stderr.contains("abort"), "stderr: \(aborted.result.stderr)")
            #expect(!looksLikeACrash(aborted.result.stderr))
            #expect(try fileBytes(setup.pair.cloud) == before, "cloud.db changed under --on-conflict abort")
            for suffix in ["-journal", "-wal"] {
                #expect(!FileManager.default.fileExists(atPath: setup.pair.cloud.path + suffix))
            }
        }
    }

    /// 4. newer-wins needs an updatedAt column; the sample's customers have none, so the
    /// conflict cannot be settled: exit 1, nothing applied, and the message says why.
    @Test func newerWinsWithoutUpdatedAtFailsAndAppliesNothing() throws {
        try withTemporaryDirectory { directory in
            let setup = try PhoneConflict(in: directory)
            let before = try fileBytes(setup.pair.cloud)
            let result = try importChangeset(setup.changeset, into: setup.pair.cloud, in: directory, tag: "newer", ["--on-conflict", "newer-wins"])
            #expect(result.result.status == 1, "status \(result.result.status), stderr: \(result.result.stderr)")
            #expect(result.result.stderr.contains("updatedAt"), "stderr: \(result.result.stderr)")
            #expect(!looksLikeACrash(result.result.stderr))
            #expect(try fileBytes(setup.pair.cloud) == before, "cloud.db changed although newer-wins failed")
        }
    }

    /// 5. A row deleted at the source travels as a tombstone in the incremental and is
    /// deleted in the target.
    @Test func aDeletionTravelsAsATombstone() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            let first = try importChangeset(pair.changeset, into: pair.cloud, in: directory, tag: "l2c")
            try #require(first.result.status == 0, "first sync: \(first.result.stderr)")
            try #require(try rowCount(pair.cloud, "proposals") == 5)

            _ = try sqlite3(pair.local, "DELETE FROM proposals WHERE title = 'Staff onboarding'")
            let incremental = directory.appendingPathComponent("l-inc")
            let export = try exportChangeset(pair.local, to: incremental, ["--incremental"])
            try #require(export.status == 0, "incremental export: \(export.stderr)")
            #expect(try readManifest(incremental)["incrementalTo"] as? String == changesetId(of: pair.changeset))

            let lines = try tableLines(incremental, "proposals")
            let tombstones = lines.filter { $0.contains("\"op\":\"delete\"") }
            #expect(tombstones.count == 1, "proposals lines: \(lines)")
            #expect(lines.count == 1, "only the deletion should travel: \(lines)")
            if let line = tombstones.first {
                let record = try jsonObject(line)
                #expect(record["op"] as? String == "delete")
                #expect(record["row"] == nil, "a tombstone carries no row: \(line)")
            }

            let applied = try importChangeset(incremental, into: pair.cloud, in: directory, tag: "l-inc")
            #expect(applied.result.status == 0, "status \(applied.result.status), stderr: \(applied.result.stderr)")
            let totals = try reportTotals(try jsonObject(at: applied.report))
            #expect(totals["deleted"] == 1, "\(totals)")
            #expect(totals["conflicts"] == 0 && totals["rejected"] == 0, "\(totals)")
            #expect(try reportTableFigures(try jsonObject(at: applied.report))["proposals"]?["deleted"] == 1)
            #expect(try rowCount(pair.cloud, "proposals") == 4)
            #expect(try sqlite3(pair.cloud, "SELECT count(*) FROM proposals WHERE title = 'Staff onboarding'") == "0\n")
            #expect(try sqlite3(pair.cloud, "PRAGMA foreign_key_check") == "")
        }
    }

    /// 6. `ferry replay FULL INC` restores a database; an incremental alone is refused.
    @Test func replayAppliesAChainInOrderAndRefusesAnOrphanIncremental() throws {
        try withTemporaryDirectory { directory in
            let local = directory.appendingPathComponent("local.db")
            try buildSampleLocal(at: local)
            let prepare = try ferry(["prepare", "--db", local.path])
            try #require(prepare.status == 0, "prepare: \(prepare.stderr)")

            let full = directory.appendingPathComponent("full")
            try #require(try exportChangeset(local, to: full).status == 0)
            let newName = "Dr. Maya Chen-Lindqvist"
            _ = try sqlite3(local, "UPDATE customers SET name = '\(newName)' WHERE company = 'Blue Harbor Dental'")
            let incremental = directory.appendingPathComponent("inc")
            let incExport = try exportChangeset(local, to: incremental, ["--incremental"])
            try #require(incExport.status == 0, "incremental export: \(incExport.stderr)")

            let restored = directory.appendingPathComponent("new.db")
            let replay = try ferry(["replay", full.path, incremental.path, "--db", restored.path])
            #expect(replay.status == 0, "status \(replay.status), stderr: \(replay.stderr)")
            #expect(!looksLikeACrash(replay.stderr))
            #expect(try customerValue(restored, "Blue Harbor Dental", "name") == newName)
            #expect(try rowCounts(ofDatabase: restored) == rowCounts(ofDatabase: local))
            #expect(try sqlite3(restored, "PRAGMA foreign_key_check") == "")

            let other = directory.appendingPathComponent("other.db")
            let orphan = try ferry(["replay", incremental.path, "--db", other.path])
            #expect(orphan.status == 1, "status \(orphan.status), stderr: \(orphan.stderr)")
            #expect(orphan.stderr.contains("--force"), "stderr: \(orphan.stderr)")
            #expect(!looksLikeACrash(orphan.stderr))
            #expect(!FileManager.default.fileExists(atPath: other.path), "a refused replay left a new database behind")
        }
    }

    /// 7. --since names any earlier export of this database (by id or by the changeset's
    /// path) and ships every change made since it, whichever exports came between: a hub
    /// keeps one chain per spoke. An id this database never exported is refused.
    @Test func sinceNamesAnyEarlierExport() throws {
        try withTemporaryDirectory { directory in
            let local = directory.appendingPathComponent("local.db")
            try buildSampleLocal(at: local)
            try #require(try ferry(["prepare", "--db", local.path]).status == 0)
            let full = directory.appendingPathComponent("full")
            try #require(try exportChangeset(local, to: full).status == 0)
            let fullId = try changesetId(of: full)

            let wrongId = UUID().uuidString.lowercased()
            let wrongOut = directory.appendingPathComponent("wrong")
            let wrong = try exportChangeset(local, to: wrongOut, ["--since", wrongId])
            #expect(wrong.status == 1, "status \(wrong.status), stderr: \(wrong.stderr)")
            #expect(wrong.stderr.contains("is not a changeset exported from local.db"), "stderr: \(wrong.stderr)")
            #expect(!looksLikeACrash(wrong.stderr))
            #expect(try leftNothingBehind(wrongOut), "the refused export left files behind")

            _ = try sqlite3(local, "UPDATE customers SET phone = '+1 555 0100' WHERE company = 'Pinecrest Realty'")
            let next = directory.appendingPathComponent("next")
            let byPath = try exportChangeset(local, to: next, ["--since", full.path])
            #expect(byPath.status == 0, "status \(byPath.status), stderr: \(byPath.stderr)")
            let manifest = try readManifest(next)
            #expect(manifest["mode"] as? String == "incremental")
            #expect(manifest["incrementalTo"] as? String == fullId)
            #expect(try manifestRowCounts(next)["customers"] == 1)

            // Another change, another export: --since the full one still ships both changes,
            // --since the last one only the second.
            _ = try sqlite3(local, "UPDATE customers SET phone = '+1 555 0199' WHERE company = 'Blue Harbor Dental'")
            try #require(try exportChangeset(local, to: directory.appendingPathComponent("third"), ["--incremental"]).status == 0)
            let sinceFull = directory.appendingPathComponent("since-full")
            let again = try exportChangeset(local, to: sinceFull, ["--since", full.path])
            #expect(again.status == 0, "status \(again.status), stderr: \(again.stderr)")
            #expect(try manifestRowCounts(sinceFull)["customers"] == 2)
            #expect(try readManifest(sinceFull)["incrementalTo"] as? String == fullId)
            let sinceNext = directory.appendingPathComponent("since-next")
            #expect(try exportChangeset(local, to: sinceNext, ["--since", try changesetId(of: next)]).status == 0)
            #expect(try manifestRowCounts(sinceNext)["customers"] == 1)
        }
    }

    /// 8. `ferry import --help` lists every conflict policy.
    @Test func importHelpListsTheConflictPolicies() throws {
        let help = try ferry(["import", "--help"])
        #expect(help.status == 0, "stderr: \(help.stderr)")
        let text = help.stdout + help.stderr
        #expect(text.contains("--on-conflict"), "help: \(text)")
        for policy in ["defer", "source-wins", "target-wins", "newer-wins", "abort"] {
            #expect(text.contains(policy), "help does not list \(policy): \(text)")
        }
    }

    /// The refusal of an orphan incremental advises --force; that advice must work with the
    /// command that gave it (replay has no --force today: "Unknown option '--force'", exit 64).
    @Test
    func replaysAdviceToPassForceIsAccepted() throws {
        try withTemporaryDirectory { directory in
            let local = directory.appendingPathComponent("local.db")
            try buildSampleLocal(at: local)
            try #require(try ferry(["prepare", "--db", local.path]).status == 0)
            try #require(try exportChangeset(local, to: directory.appendingPathComponent("full")).status == 0)
            _ = try sqlite3(local, "UPDATE customers SET phone = '+1 555 0100' WHERE company = 'Pinecrest Realty'")
            let incremental = directory.appendingPathComponent("inc")
            try #require(try exportChangeset(local, to: incremental, ["--incremental"]).status == 0)

            let other = directory.appendingPathComponent("other.db")
            let refused = try ferry(["replay", incremental.path, "--db", other.path])
            try #require(refused.status == 1, "stderr: \(refused.stderr)")
            if refused.stderr.contains("--force") && !refused.stderr.contains("ferry import") {
                let forced = try ferry(["replay", incremental.path, "--db", other.path, "--force"])
                #expect(!forced.stderr.contains("Unknown option"), "the advice is not accepted: \(forced.stderr)")
                // Applied (the fresh database lacks the customer's user, so 3 with a missing_parent reject is fine).
                #expect(forced.status == 0 || forced.status == 3, "status \(forced.status), stderr: \(forced.stderr)")
            }
        }
    }

    /// `ferry replay --help` reads as prose: no stray backslashes from the source's line continuations.
    @Test
    func replayHelpHasNoStrayBackslashes() throws {
        let help = try ferry(["replay", "--help"])
        #expect(help.status == 0, "stderr: \(help.stderr)")
        #expect(help.stdout.contains("Backup and replay"), "help: \(help.stdout)")
        let continued = help.stdout.split(separator: "\n").filter { $0.hasSuffix("\\") }
        #expect(continued.isEmpty, "lines ending in a backslash: \(continued)")
    }
}
