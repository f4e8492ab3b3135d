import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

// The reconciling import through the built binary: the field scenario (local → cloud, same
// logical rows under different ids), exit codes, the report, the rejects file, --strict,
// --dry-run, replays, the import log, and identifiers that need quoting.

// MARK: - Helpers (shared with PrepareAndProfileCommandTests)

let sampleFolder = packageRoot.appendingPathComponent("samples/crm")
let sampleProfile = sampleFolder.appendingPathComponent("profile.json")
let sampleTableCountsAfterSync = ["users": 10, "roles": 6, "permissions": 61, "products": 6, "customers": 5, "proposals": 5, "content": 5]
let reportFigureKeys = ["inserted", "updated", "merged", "unchanged", "deleted", "conflicts", "rejected"]

/// The field scenario in one folder: local.db and cloud.db built from the sample CRM,
/// optionally prepared (cloudIds filled) and local exported to `l2c` with the sample profile.
struct CRMPair {
    let directory: URL
    var local: URL { directory.appendingPathComponent("local.db") }
    var cloud: URL { directory.appendingPathComponent("cloud.db") }
    var changeset: URL { directory.appendingPathComponent("l2c") }
    var report: URL { directory.appendingPathComponent("r.json") }
    var rejects: URL { directory.appendingPathComponent("REJECTS.ndjson") }

    init(in directory: URL, prepare: Bool = true, export: Bool = true) throws {
        self.directory = directory
        let sample = SampleCRM(folder: sampleFolder.path)
        try sample.build(.local, at: directory.appendingPathComponent("local.db").path)
        try sample.build(.cloud, at: directory.appendingPathComponent("cloud.db").path)
        if prepare {
            for db in [local, cloud] {
                let result = try ferry(["prepare", "--db", db.path])
                #expect(result.status == 0, "prepare \(db.lastPathComponent) failed: \(result.stderr)")
            }
        }
        if export {
            let result = try ferry(["export", "--db", local.path, "--out", changeset.path, "--profile", sampleProfile.path, "--quiet"])
            try #require(result.status == 0, "export failed: \(result.stderr)")
        }
    }

    /// `ferry import CHANGESET --db cloud.db --report r.json --rejects REJECTS.ndjson EXTRA…`
    @discardableResult
    func importInto(_ changeset: URL? = nil, report: URL? = nil, _ extra: [String] = []) throws -> CommandResult {
        try ferry(["import", (changeset ?? self.changeset).path, "--db", cloud.path,
                   "--report", (report ?? self.report).path, "--rejects", rejects.path] + extra)
    }
}

/// A JSON object read with JSONSerialization (a peer parser, not Ferry's own).
func jsonObject(at url: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: url)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(url.lastPathComponent) is not a JSON object")
}

func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}

/// The report's totals as integers.
func reportTotals(_ report: [String: Any]) throws -> [String: Int] {
    let totals = try #require(report["totals"] as? [String: Any], "the report has no totals object")
    var figures: [String: Int] = [:]
    for (key, value) in totals { figures[key] = value as? Int }
    return figures
}

/// The report's per-table figures (without "seconds", which varies), by table name.
func reportTableFigures(_ report: [String: Any]) throws -> [String: [String: Int]] {
    let tables = try #require(report["tables"] as? [[String: Any]], "the report has no tables array")
    var result: [String: [String: Int]] = [:]
    for table in tables {
        let name = try #require(table["name"] as? String)
        result[name] = Dictionary(uniqueKeysWithValues: reportFigureKeys.compactMap { key in (table[key] as? Int).map { (key, $0) } })
    }
    return result
}

/// Runs SQL with the system sqlite3 (a peer, not Ferry's SQLite wrapper) and returns its output.
func sqlite3(_ db: URL, _ sql: String) throws -> String {
    let result = try runTool("/usr/bin/sqlite3", [db.path, sql])
    try #require(result.status == 0, "sqlite3 failed on \(sql): \(result.stderr)")
    return result.stdout
}

/// `SELECT count(*) FROM table`.
func rowCount(_ db: URL, _ table: String) throws -> Int {
    let database = try SQLiteDatabase(path: db.path, mode: .readOnly)
    guard case .integer(let count)? = try database.scalar("SELECT count(*) FROM \(Identifier.quote(table))") else { return -1 }
    return Int(count)
}

// MARK: - Tests

@Suite struct ReconcileCommandTests {
    /// 1. The field scenario: prepare both sides, export local, import into cloud.
    @Test func fieldScenarioSyncsLocalIntoCloudWithoutDuplicatesOrDanglingKeys() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            let result = try pair.importInto()
            #expect(result.status == 0, "import failed: \(result.stderr)")
            #expect(result.stderr.contains("total"), "no figures table on stderr: \(result.stderr)")
            #expect(result.stderr.contains("inserted"))

            let report = try jsonObject(at: pair.report)
            let manifest = try readManifest(pair.changeset)
            #expect(report["changeset"] as? String == manifest["changesetId"] as? String)
            #expect(report["dryRun"] as? Bool == false)
            let tables = try #require(report["tables"] as? [[String: Any]])
            #expect(tables.count == 7)
            #expect(Set(tables.compactMap { $0["name"] as? String }) == Set(SampleCRM.tables))
            for table in tables {
                for key in ["name", "seconds"] + reportFigureKeys {
                    #expect(table[key] != nil, "table entry \(table["name"] ?? "?") lacks \(key)")
                }
                for key in reportFigureKeys { #expect(table[key] is Int, "\(key) is not an integer") }
                #expect(table["seconds"] is Double || table["seconds"] is Int)
            }
            let totals = try reportTotals(report)
            #expect(Set(totals.keys) == Set(reportFigureKeys))
            #expect(totals["inserted"] == 14)
            #expect(totals["rejected"] == 0)
            #expect(totals["conflicts"] == 0)
            #expect(report["rejects"] == nil, "a rejects path without rejects: \(report["rejects"] ?? "")")
            // The totals are the sum of the tables.
            let figures = try reportTableFigures(report)
            for key in reportFigureKeys {
                #expect(figures.values.reduce(0) { $0 + ($1[key] ?? 0) } == totals[key], "totals.\(key) is not the sum of the tables")
            }

            for (table, expected) in sampleTableCountsAfterSync {
                #expect(try rowCount(pair.cloud, table) == expected, "cloud \(table)")
            }
            #expect(try sqlite3(pair.cloud, "PRAGMA foreign_key_check") == "")
            // No logical row twice: natural keys stay unique and every local customer is there once.
            #expect(try sqlite3(pair.cloud, "SELECT email, count(*) FROM customers WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1") == "")
            #expect(try sqlite3(pair.cloud, "SELECT count(DISTINCT company) FROM customers") == "5\n")
            // References point at the cloud's own users (Daniel Okafor's cloud id), not local ids.
            #expect(try sqlite3(pair.cloud, "SELECT u.id FROM customers c JOIN users u ON u.id = c.createdBy WHERE c.company = 'Acme Logistics GmbH'")
                == "cmu88dsa700xmw8qzdr8sac7k\n")
            #expect(try sqlite3(pair.cloud, "SELECT count(*) FROM proposals p JOIN users u ON u.id = p.createdBy JOIN customers c ON c.id = p.customerId") == "5\n")
        }
    }

    /// The l2c changeset with one proposals record whose NOT NULL title is null; returns its line number (1-based).
    private func breakOneProposal(_ pair: CRMPair) throws -> Int {
        var lines = try tableLines(pair.changeset, "proposals")
        let index = try #require(lines.firstIndex { $0.contains("\"title\":\"Fleet tablets Q4\"") }, "no Fleet tablets Q4 proposal")
        lines[index] = try replacingRowValue(in: lines[index], column: "title", with: "null")
        try writeTableLines(pair.changeset, "proposals", lines)
        let verify = try ferry(["verify", pair.changeset.path, "--quiet"])
        try #require(verify.status == 0, "the edited changeset does not verify: \(verify.stderr)")
        return index + 1
    }

    /// 2. A record the target refuses is rejected, the rest applies, and the exit status is 3.
    @Test func aRejectedRecordExitsThreeAndIsWrittenToTheRejectsFile() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            let lineNumber = try breakOneProposal(pair)
            let result = try pair.importInto()
            #expect(result.status == 3, "stderr: \(result.stderr)")
            #expect(!looksLikeACrash(result.stderr))
            #expect(result.stderr.contains(pair.rejects.lastPathComponent), "stderr does not name the rejects file: \(result.stderr)")

            let text = try String(contentsOf: pair.rejects, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            try #require(lines.count == 1, "rejects file: \(text)")
            let record = try jsonObject(String(lines[0]))
            let reject = try #require(record["reject"] as? [String: Any], "no reject annotation: \(lines[0])")
            #expect(reject["reason"] as? String == "constraint")
            #expect(reject["table"] as? String == "proposals")
            #expect(reject["line"] as? Int == lineNumber)
            #expect((reject["message"] as? String ?? "").contains("title"), "message: \(reject["message"] ?? "")")
            #expect((record["row"] as? [String: Any])?["title"] is NSNull)

            let report = try jsonObject(at: pair.report)
            #expect(try reportTotals(report)["rejected"] == 1)
            #expect(try reportTotals(report)["inserted"] == 13)
            let rejectsPath = try #require(report["rejects"] as? String, "the report has no rejects path")
            #expect(rejectsPath.hasPrefix("/"), "not absolute: \(rejectsPath)")
            #expect(URL(fileURLWithPath: rejectsPath).resolvingSymlinksInPath() == pair.rejects.resolvingSymlinksInPath())
            #expect(try reportTableFigures(report)["proposals"]?["rejected"] == 1)

            // Everything else was applied.
            #expect(try rowCount(pair.cloud, "proposals") == 4)
            #expect(try rowCount(pair.cloud, "customers") == 5)
            #expect(try rowCount(pair.cloud, "content") == 5)
            #expect(try sqlite3(pair.cloud, "SELECT count(*) FROM proposals WHERE title = 'Fleet tablets Q4'") == "0\n")
            #expect(try sqlite3(pair.cloud, "PRAGMA foreign_key_check") == "")
        }
    }

    /// 3. The rejects file, once fixed, imports as it is.
    @Test func theFixedRejectsFileImports() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            _ = try breakOneProposal(pair)
            #expect(try pair.importInto().status == 3)
            let text = try String(contentsOf: pair.rejects, encoding: .utf8)
            #expect(text.contains("\"title\":null"))
            let fixed = directory.appendingPathComponent("FIXED.ndjson")
            try Data(text.replacingOccurrences(of: "\"title\":null", with: "\"title\":\"Fleet tablets Q4\"").utf8).write(to: fixed)

            let result = try ferry(["import", fixed.path, "--db", pair.cloud.path, "--rejects", directory.appendingPathComponent("again.ndjson").path,
                                    "--report", directory.appendingPathComponent("r2.json").path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try rowCount(pair.cloud, "proposals") == 5)
            #expect(try reportTotals(try jsonObject(at: directory.appendingPathComponent("r2.json")))["inserted"] == 1)
            // The fixed proposal points at the cloud's own Acme customer and user.
            #expect(try sqlite3(pair.cloud, """
                SELECT c.company, u.email FROM proposals p JOIN customers c ON c.id = p.customerId JOIN users u ON u.id = p.createdBy
                WHERE p.title = 'Fleet tablets Q4'
                """) == "Acme Logistics GmbH|daniel.okafor@example.com\n")
            #expect(try sqlite3(pair.cloud, "PRAGMA foreign_key_check") == "")
        }
    }

    /// A rejected parent takes its children with it (missing_parent); the fixed rejects file
    /// holds both tables and applies the parent first.
    @Test func aFixedRejectsFileWithParentAndChildrenAppliesParentsFirst() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            var customers = try tableLines(pair.changeset, "customers")
            let index = try #require(customers.firstIndex { $0.contains("\"company\":\"Test Company XYZ\"") })
            customers[index] = try replacingRowValue(in: customers[index], column: "company", with: "null")
            try writeTableLines(pair.changeset, "customers", customers)

            let first = try pair.importInto()
            #expect(first.status == 3, "stderr: \(first.stderr)")
            let text = try String(contentsOf: pair.rejects, encoding: .utf8)
            let rejects = try text.split(separator: "\n").map { try jsonObject(String($0)) }
            let reasons = rejects.compactMap { record -> String? in
                guard let reject = record["reject"] as? [String: Any] else { return nil }
                return "\(reject["table"] ?? "?"):\(reject["reason"] ?? "?")"
            }
            // Test Company XYZ has the two "Annual CRM rollout" proposals.
            #expect(reasons.sorted() == ["customers:constraint", "proposals:missing_parent", "proposals:missing_parent"], "\(reasons)")
            #expect(try rowCount(pair.cloud, "customers") == 4)
            #expect(try rowCount(pair.cloud, "proposals") == 3)

            let fixed = directory.appendingPathComponent("FIXED.ndjson")
            let fixedLines = try text.split(separator: "\n").map(String.init).map { line in
                line.contains("\"company\":null") ? try replacingRowValue(in: line, column: "company", with: "\"Test Company XYZ\"") : line
            }
            try Data((fixedLines.joined(separator: "\n") + "\n").utf8).write(to: fixed)
            let second = try ferry(["import", fixed.path, "--db", pair.cloud.path, "--rejects", directory.appendingPathComponent("again.ndjson").path,
                                    "--report", directory.appendingPathComponent("r2.json").path])
            #expect(second.status == 0, "stderr: \(second.stderr)")
            #expect(try reportTotals(try jsonObject(at: directory.appendingPathComponent("r2.json")))["inserted"] == 3)
            for (table, expected) in sampleTableCountsAfterSync {
                #expect(try rowCount(pair.cloud, table) == expected, "cloud \(table)")
            }
            #expect(try sqlite3(pair.cloud, """
                SELECT count(*) FROM proposals p JOIN customers c ON c.id = p.customerId WHERE c.company = 'Test Company XYZ'
                """) == "2\n")
            #expect(try sqlite3(pair.cloud, "PRAGMA foreign_key_check") == "")
        }
    }

    /// 4. --strict turns the reject into a roll-back: nothing applied, target byte-identical.
    @Test func strictRollsBackOnAReject() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            _ = try breakOneProposal(pair)
            let before = try fileBytes(pair.cloud)
            let result = try pair.importInto(nil, ["--strict"])
            #expect(result.status != 0 && result.status != 3, "status \(result.status), stderr: \(result.stderr)")
            #expect(!looksLikeACrash(result.stderr))
            #expect(result.stderr.contains("--strict"), "stderr: \(result.stderr)")
            #expect(result.stderr.contains("nothing was applied"), "stderr: \(result.stderr)")
            #expect(try fileBytes(pair.cloud) == before, "cloud.db changed under --strict")
            #expect(try rowCount(pair.cloud, "proposals") == 0)
            for suffix in ["-journal", "-wal"] {
                #expect(!FileManager.default.fileExists(atPath: pair.cloud.path + suffix))
            }
        }
    }

    /// 5. --dry-run writes nothing and reports exactly what the real import then does.
    @Test func dryRunWritesNothingAndPredictsTheRealImport() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            let before = try fileBytes(pair.cloud)
            let ferryTables = "SELECT group_concat(name) FROM sqlite_schema WHERE name LIKE '\\_ferry\\_%' ESCAPE '\\'"
            let bookkeepingBefore = try sqlite3(pair.cloud, ferryTables)
            let dryReport = directory.appendingPathComponent("dry.json")
            let dry = try pair.importInto(nil, report: dryReport, ["--dry-run"])
            #expect(dry.status == 0, "stderr: \(dry.stderr)")
            #expect(dry.stderr.contains("dry run"), "stderr: \(dry.stderr)")
            #expect(try fileBytes(pair.cloud) == before, "cloud.db changed by --dry-run")
            #expect(try sqlite3(pair.cloud, ferryTables) == bookkeepingBefore, "no import log or other _ferry_ table appears")

            let predicted = try jsonObject(at: dryReport)
            #expect(predicted["dryRun"] as? Bool == true)

            let real = try pair.importInto()
            #expect(real.status == 0, "stderr: \(real.stderr)")
            let actual = try jsonObject(at: pair.report)
            #expect(actual["dryRun"] as? Bool == false)
            #expect(try reportTotals(predicted) == reportTotals(actual))
            #expect(try reportTableFigures(predicted) == reportTableFigures(actual))
            #expect(try reportTotals(actual)["inserted"] == 14)
        }
    }

    /// 6. Replaying an applied changeset changes nothing, not even a byte.
    @Test func reimportingTheSameChangesetChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            let first = try pair.importInto()
            try #require(first.status == 0, "stderr: \(first.stderr)")
            let before = try fileBytes(pair.cloud)

            let replayReport = directory.appendingPathComponent("replay.json")
            let replay = try pair.importInto(nil, report: replayReport)
            #expect(replay.status == 0, "stderr: \(replay.stderr)")
            let totals = try reportTotals(try jsonObject(at: replayReport))
            #expect(totals["inserted"] == 0)
            #expect(totals["updated"] == 0)
            #expect(totals["rejected"] == 0)
            #expect(totals["conflicts"] == 0)
            #expect(totals["unchanged"] == 98)
            #expect(try fileBytes(pair.cloud) == before, "the replay changed cloud.db")
        }
    }

    /// 7. `ferry inspect --db` shows the import log; a changeset and --db together, or neither, is a usage error.
    @Test func inspectShowsTheImportLog() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            let empty = try ferry(["inspect", "--db", pair.cloud.path])
            #expect(empty.status == 0, "stderr: \(empty.stderr)")
            try #require(try pair.importInto().status == 0)
            let changesetId = try #require(try readManifest(pair.changeset)["changesetId"] as? String)

            let text = try ferry(["inspect", "--db", pair.cloud.path])
            #expect(text.status == 0, "stderr: \(text.stderr)")
            #expect(text.stdout.contains(changesetId), "stdout: \(text.stdout)")
            #expect(text.stdout.contains("14 inserted"), "stdout: \(text.stdout)")

            let json = try ferry(["inspect", "--db", pair.cloud.path, "--json"])
            #expect(json.status == 0, "stderr: \(json.stderr)")
            let lines = json.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            #expect(lines.count == 1)
            let entries = try lines.map { try jsonObject($0) }
            let entry = try #require(entries.first { $0["changesetId"] as? String == changesetId }, "stdout: \(json.stdout)")
            #expect(entry["inserted"] as? Int == 14)
            #expect(entry["rejected"] as? Int == 0)

            let both = try ferry(["inspect", pair.changeset.path, "--db", pair.cloud.path])
            #expect(both.status != 0)
            #expect(both.stderr.contains("--db"), "stderr: \(both.stderr)")
            let neither = try ferry(["inspect"])
            #expect(neither.status != 0)
            #expect(neither.stderr.contains("--db"), "stderr: \(neither.stderr)")
            #expect(!looksLikeACrash(both.stderr + neither.stderr))
        }
    }

    /// Exit codes other than 0 and 3 promise that nothing was applied, so a --report that
    /// cannot be written must fail before the import commits.
    @Test
    func anUnwritableReportPathFailsBeforeAnythingIsApplied() throws {
        try withTemporaryDirectory { directory in
            let pair = try CRMPair(in: directory)
            let before = try fileBytes(pair.cloud)
            let report = directory.appendingPathComponent("no-such-folder/r.json")
            let result = try pair.importInto(nil, report: report)
            #expect(result.status != 0 && result.status != 3, "status \(result.status)")
            #expect(result.stderr.contains(report.path), "stderr: \(result.stderr)")
            #expect(!looksLikeACrash(result.stderr))
            #expect(try fileBytes(pair.cloud) == before, "exit \(result.status) says nothing was applied, but cloud.db changed")
            #expect(try rowCount(pair.cloud, "proposals") == 0)
        }
    }

    /// 11. Identifiers that need quoting: a quote and a space in names, non-ASCII, reserved words;
    /// the same parent rows exist in the target under different INTEGER ids.
    @Test func awkwardIdentifiersReconcileAndRemapReferences() throws {
        try withTemporaryDirectory { directory in
            let schema = #"""
                PRAGMA foreign_keys = ON;
                CREATE TABLE "Kunden ""GmbH""" (id INTEGER PRIMARY KEY, "e mail" TEXT NOT NULL UNIQUE, "Straße" TEXT, cloudId TEXT UNIQUE);
                CREATE TABLE "order" (id INTEGER PRIMARY KEY, "select" INTEGER NOT NULL REFERENCES "Kunden ""GmbH""" (id), what TEXT NOT NULL);
                """#
            let source = directory.appendingPathComponent("source.db")
            let target = directory.appendingPathComponent("target.db")
            do {
                let db = try SQLiteDatabase(path: source.path, mode: .readWriteCreate)
                try db.execute(schema)
                try db.execute(#"""
                    INSERT INTO "Kunden ""GmbH""" VALUES (1, 'ann@example.com', 'Hauptstraße 1', NULL), (2, 'cem@example.com', 'Ringstraße 3', NULL), (3, 'bob@example.com', 'Bahnhofstraße 2', NULL);
                    INSERT INTO "order" VALUES (1, 1, 'ann first'), (2, 2, 'cem'), (3, 3, 'bob'), (4, 1, 'ann second');
                    """#)
            }
            do {
                // ann and bob under other ids; zed only here, holding cem's source id 2.
                let db = try SQLiteDatabase(path: target.path, mode: .readWriteCreate)
                try db.execute(schema)
                try db.execute(#"""
                    INSERT INTO "Kunden ""GmbH""" VALUES (1, 'bob@example.com', 'Bahnhofstraße 2', NULL), (2, 'zed@example.com', 'Zollstraße 9', NULL), (7, 'ann@example.com', 'Hauptstraße 1', NULL);
                    """#)
            }
            for db in [source, target] {
                let prepare = try ferry(["prepare", "--db", db.path])
                #expect(prepare.status == 0, "prepare \(db.lastPathComponent): \(prepare.stderr)")
            }
            let changeset = directory.appendingPathComponent("cs")
            let export = try ferry(["export", "--db", source.path, "--out", changeset.path])
            try #require(export.status == 0, "export: \(export.stderr)")
            let report = directory.appendingPathComponent("r.json")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--report", report.path,
                                    "--rejects", directory.appendingPathComponent("rejects.ndjson").path])
            #expect(result.status == 0, "import: \(result.stderr)")
            #expect(!looksLikeACrash(result.stderr))
            let figures = try reportTableFigures(try jsonObject(at: report))
            #expect(figures["Kunden \"GmbH\""]?["inserted"] == 1, "\(figures)")
            #expect(figures["order"]?["inserted"] == 4, "\(figures)")

            // No duplicates: ann, bob, cem, zed once each; ann and bob keep the target's ids.
            #expect(try sqlite3(target, #"SELECT "e mail", count(*) FROM "Kunden ""GmbH""" GROUP BY "e mail" ORDER BY "e mail""#)
                == "ann@example.com|1\nbob@example.com|1\ncem@example.com|1\nzed@example.com|1\n")
            #expect(try sqlite3(target, #"SELECT id FROM "Kunden ""GmbH""" WHERE "e mail" IN ('ann@example.com', 'bob@example.com') ORDER BY "e mail""#) == "7\n1\n")
            #expect(try sqlite3(target, #"SELECT "Straße" FROM "Kunden ""GmbH""" WHERE "e mail" = 'cem@example.com'"#) == "Ringstraße 3\n")
            // Children point at the target's own parents, joined by "e mail".
            #expect(try sqlite3(target, #"SELECT o.what, k."e mail" FROM "order" o JOIN "Kunden ""GmbH""" k ON k.id = o."select" ORDER BY o.what"#)
                == "ann first|ann@example.com\nann second|ann@example.com\nbob|bob@example.com\ncem|cem@example.com\n")
            #expect(try sqlite3(target, #"SELECT count(*) FROM "order""#) == "4\n")
            #expect(try sqlite3(target, "PRAGMA foreign_key_check") == "")
        }
    }
}
