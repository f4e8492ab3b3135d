import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// Every damaged, forged or misplaced changeset is refused by `ferry import` with exit 1,
/// one readable "error: …" line that names the file (and line), no crash, and the target
/// database left exactly as it was, byte for byte. A target that did not exist is not
/// left behind.
@Suite struct BadInputTests {
    /// Which targets an import is tried against.
    struct Targets: OptionSet {
        let rawValue: Int
        /// The sample local CRM, built at a path first: it exists and holds 98 rows.
        static let existing = Targets(rawValue: 1)
        /// A path where no file exists yet.
        static let fresh = Targets(rawValue: 2)
        static let both: Targets = [.existing, .fresh]
    }

    /// Imports `changeset` and expects a clean refusal that mentions every one of `mentions`.
    @discardableResult
    func expectImportRefused(
        _ changeset: URL, in directory: URL, mentions: [String], anyOf alternatives: [String] = [],
        targets: Targets = .both, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [CommandResult] {
        var results: [CommandResult] = []
        func check(_ result: CommandResult, _ label: String) {
            expectCleanRefusal(result, label, mentions: mentions, anyOf: alternatives, sourceLocation: sourceLocation)
            results.append(result)
        }
        if targets.contains(.existing) {
            let target = directory.appendingPathComponent("target-\(UUID().uuidString.prefix(8)).db")
            try buildSampleLocal(at: target)
            let before = try fileBytes(target)
            let tablesBefore = try rowCounts(ofDatabase: target)
            check(try ferry(["import", changeset.path, "--db", target.path, "--quiet"], in: directory), "existing target")
            #expect(try fileBytes(target) == before, "the existing target changed although the import was refused", sourceLocation: sourceLocation)
            #expect(try rowCounts(ofDatabase: target) == tablesBefore, sourceLocation: sourceLocation)
            for suffix in ["-journal", "-wal", "-shm"] {
                #expect(!FileManager.default.fileExists(atPath: target.path + suffix), "\(target.lastPathComponent)\(suffix) left behind", sourceLocation: sourceLocation)
            }
        }
        if targets.contains(.fresh) {
            let target = directory.appendingPathComponent("fresh-\(UUID().uuidString.prefix(8)).db")
            check(try ferry(["import", changeset.path, "--db", target.path, "--quiet"], in: directory), "new target")
            for suffix in ["", "-journal", "-wal", "-shm"] {
                #expect(!FileManager.default.fileExists(atPath: target.path + suffix), "a refused import into a new path left \(target.lastPathComponent)\(suffix) behind", sourceLocation: sourceLocation)
            }
        }
        return results
    }

    /// A record the target's schema cannot hold. DESIGN.md lists this as a `schema` reject
    /// (exit 3: the record goes to the rejects file, the rest is applied); refusing the whole
    /// import (exit 1) also keeps the target safe. Either way: no crash, the message names
    /// the column, and the bad record never reaches the target's users table.
    func expectSchemaProblem(
        _ changeset: URL, in directory: URL, line: Int, column: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let target = directory.appendingPathComponent("target-\(UUID().uuidString.prefix(8)).db")
        try buildSampleLocal(at: target)
        let before = try fileBytes(target)
        let usersQuery = "SELECT * FROM users ORDER BY id"
        let usersBefore = try SQLiteDatabase(path: target.path, mode: .readOnly).rows(usersQuery)
        let report = directory.appendingPathComponent("report-\(UUID().uuidString.prefix(8)).json")
        let result = try ferry(["import", changeset.path, "--db", target.path, "--quiet", "--report", report.path], in: directory)
        #expect(!looksLikeACrash(result.stderr), "stderr shows a crash: \(result.stderr)", sourceLocation: sourceLocation)
        switch result.status {
        case 1:
            #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains("users.ndjson.gz"), "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains("\"\(column)\""), "the error does not name column \(column): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(try fileBytes(target) == before, "the target changed although the import was refused", sourceLocation: sourceLocation)
        case 3:
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any], sourceLocation: sourceLocation)
            let rejectsPath = try #require(json["rejects"] as? String, "exit 3 but the report names no rejects file: \(json)", sourceLocation: sourceLocation)
            let rejects = try String(contentsOfFile: rejectsPath, encoding: .utf8).split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let schemaRejects = rejects.compactMap { $0["reject"] as? [String: Any] }.filter {
                $0["table"] as? String == "users" && $0["reason"] as? String == "schema"
            }
            #expect(schemaRejects.contains { $0["line"] as? Int == line && ($0["message"] as? String ?? "").contains(column) },
                    "no schema reject for users line \(line) naming \(column): \(schemaRejects)", sourceLocation: sourceLocation)
            #expect(try SQLiteDatabase(path: target.path, mode: .readOnly).rows(usersQuery) == usersBefore,
                    "a record with a schema problem changed the users table", sourceLocation: sourceLocation)
        default:
            Issue.record("exit status \(result.status): expected 1 (refused) or 3 (record rejected); stderr: \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Control

    @Test func aManifestRewrittenByJSONSerializationStillImports() throws {
        // The damage below is made by rewriting manifest.json; this shows the rewrite alone is harmless.
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifest(changeset) { _ in }
            try fixUpManifest(changeset)
            let target = directory.appendingPathComponent("replay.db")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--quiet"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try rowCounts(ofDatabase: target).values.reduce(0, +) == 98)
        }
    }

    // MARK: - Where the changeset is

    @Test func aChangesetPathThatDoesNotExistIsRefused() throws {
        try withTemporaryDirectory { directory in
            let missing = directory.appendingPathComponent("no-such-changeset")
            try expectImportRefused(missing, in: directory, mentions: [missing.path, "no changeset"])
        }
    }

    @Test func aFolderWithoutManifestIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try FileManager.default.removeItem(at: changeset.appendingPathComponent("manifest.json"))
            try expectImportRefused(changeset, in: directory, mentions: [changeset.path, "manifest.json"])
        }
    }

    @Test func aPlainFileThatIsNotAChangesetIsRefused() throws {
        try withTemporaryDirectory { directory in
            let text = directory.appendingPathComponent("notes.txt")
            try Data("not a changeset\n".utf8).write(to: text)
            try expectImportRefused(text, in: directory, mentions: [text.path, "neither a changeset folder nor a .ferry archive"])
            // A larger file is read as a tar header, whose checksum cannot match.
            let database = directory.appendingPathComponent("other.db")
            try buildSampleLocal(at: database)
            try expectImportRefused(database, in: directory, mentions: [database.path], anyOf: ["damaged", "not a .ferry", "neither"])
        }
    }

    // MARK: - The manifest

    @Test func aNewerFormatVersionIsRefusedByName() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifest(changeset) { $0["formatVersion"] = 4 }
            try expectImportRefused(changeset, in: directory, mentions: ["manifest.json", "format version 4", "reads versions 1 to 3"])
        }
    }

    /// A changeset of format version 1 (an earlier Ferry's) still imports.
    @Test func aVersionOneChangesetStillImports() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifest(changeset) { $0["formatVersion"] = 1 }
            let target = directory.appendingPathComponent("target.db")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--quiet"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try rowCounts(ofDatabase: target).values.reduce(0, +) > 0)
        }
    }

    @Test func aManifestThatIsNotJSONIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let manifest = changeset.appendingPathComponent("manifest.json")
            let text = try fileBytes(manifest)
            try text.prefix(text.count / 2).write(to: manifest)
            try expectImportRefused(changeset, in: directory, mentions: ["manifest.json", "not valid JSON"])
        }
    }

    @Test func aManifestOfAnotherFormatIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifest(changeset) { $0["format"] = "something-else" }
            try expectImportRefused(changeset, in: directory, mentions: ["manifest.json", "not a Ferry manifest"])
        }
    }

    @Test func aManifestWithoutTablesIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifest(changeset) { $0["tables"] = nil }
            try expectImportRefused(changeset, in: directory, mentions: ["manifest.json", "\"tables\""])
        }
    }

    @Test func aTableNameWithQuotesAndSemicolonIsNeverRunAsSQL() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let evil = "users\"; DROP TABLE roles; --"
            try editManifestTable(changeset, "users") { $0["name"] = evil } // file stays users.ndjson.gz
            try expectImportRefused(changeset, in: directory, mentions: [evil])
            // The existing target above still has all its tables and rows (checked byte for byte);
            // check once more, by name, on a copy that was never touched.
            let target = directory.appendingPathComponent("check.db")
            try buildSampleLocal(at: target)
            _ = try ferry(["import", changeset.path, "--db", target.path, "--quiet"], in: directory)
            let counts = try rowCounts(ofDatabase: target)
            #expect(counts.count == 7, "\(counts)")
            #expect(counts["roles"] == 6)
            #expect(counts["users"] == 10)
        }
    }

    @Test(arguments: ["../users.ndjson.gz", "/etc/passwd", "sub/users.ndjson.gz", ".hidden.ndjson.gz"])
    func aFileNameThatLeavesTheFolderIsRefused(file: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { $0["file"] = file }
            try expectImportRefused(changeset, in: directory, mentions: ["manifest.json", "\"\(file)\"", "not a plain file name inside the changeset"])
        }
    }

    /// `EVIL` stands for a database path inside the test's folder.
    @Test(arguments: [
        "CREATE TABLE \"roles\"(id); DROP TABLE x",
        "CREATE TABLE \"roles\"(id); ATTACH DATABASE 'EVIL' AS evil",
        "CREATE TRIGGER evil AFTER INSERT ON users BEGIN DELETE FROM roles; END",
        "ATTACH DATABASE 'EVIL' AS evil",
        "CREATE TEMP TABLE \"roles\"(id TEXT PRIMARY KEY, name TEXT, description TEXT, createdAt TEXT)",
        "CREATE VIEW \"roles\" AS SELECT 1 AS id",
    ])
    func aForgedCreateStatementIsNeverRun(create: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let evilDatabase = directory.appendingPathComponent("evil.db")
            try editManifestTable(changeset, "roles") { $0["create"] = create.replacingOccurrences(of: "EVIL", with: evilDatabase.path) }
            // Only a new target creates tables from the manifest.
            try expectImportRefused(changeset, in: directory, mentions: ["roles"], anyOf: ["refuse", "forged"], targets: .fresh)
            #expect(!FileManager.default.fileExists(atPath: evilDatabase.path), "the forged statement attached (created) \(evilDatabase.path)")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.db"))
        }
    }

    @Test func anIndexStatementOnAnotherTableIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { entry in
                entry["indexes"] = ["CREATE INDEX \"sneaky\" ON \"roles\"(\"description\")"]
            }
            try expectImportRefused(changeset, in: directory, mentions: ["users"], anyOf: ["refuse", "forged"], targets: .fresh)
        }
    }

    // MARK: - The table files

    @Test func aFlippedByteIsAChecksumMismatchNamingTheFile() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try flipByte(in: changeset.appendingPathComponent("users.ndjson.gz"))
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz", "checksum mismatch"])
        }
    }

    @Test func aMissingTableFileIsRefusedByName() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try FileManager.default.removeItem(at: changeset.appendingPathComponent("users.ndjson.gz"))
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz", "missing"])
        }
    }

    @Test func aTruncatedGzipWithMatchingChecksumIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let file = changeset.appendingPathComponent("users.ndjson.gz")
            try gzip(try tableLines(changeset).joined(separator: "\n") + "\n", to: file)
            let whole = try fileBytes(file)
            try whole.prefix(whole.count / 2).write(to: file)
            try fixUpManifest(changeset) // checksum and size now match: only the truncation is left
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz"], anyOf: ["truncated", "ends early"])
        }
    }

    @Test func aCorruptGzipBodyWithMatchingChecksumIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let file = changeset.appendingPathComponent("users.ndjson.gz")
            // A valid gzip header (deflate, no flags, OS unix), then bytes no deflate stream starts with.
            let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]
            try Data(header + [UInt8](repeating: 0xFF, count: 200)).write(to: file)
            try fixUpManifest(changeset)
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz", "corrupt"])
        }
    }

    @Test func aGzipWhoseCRCDoesNotMatchItsDataIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let file = changeset.appendingPathComponent("users.ndjson.gz")
            try flipByte(in: file, at: try fileBytes(file).count - 8) // the first byte of the CRC-32 trailer
            try fixUpManifest(changeset)
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz", "corrupt"])
        }
    }

    @Test func aGzipCutInItsTrailerIsRefusedAfterEveryRowWasRead() throws {
        // Every line decodes and is applied before the end shows the file is incomplete:
        // the transaction must still roll back all of it.
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let file = changeset.appendingPathComponent("users.ndjson.gz")
            let whole = try fileBytes(file)
            try whole.prefix(whole.count - 4).write(to: file)
            try fixUpManifest(changeset)
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz"], anyOf: ["truncated", "ends early"])
        }
    }

    @Test func aLineThatIsNotJSONIsRefusedWithItsLineNumber() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var lines = try tableLines(changeset)
            lines[2] = #"{"op":"upsert","row":{"#
            try writeTableLines(changeset, "users", lines)
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz line 3", "JSON"])
        }
    }

    @Test(arguments: ["[1,2]", "true", #"{"$base64":true,"encoded":"!!"}"#, #"{"$real":"huge"}"#, #"{"nested":"object"}"#])
    func aValueOfTheWrongShapeIsRefusedWithLineAndColumn(value: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var lines = try tableLines(changeset)
            lines[1] = try replacingRowValue(in: lines[1], column: "name", with: value)
            try writeTableLines(changeset, "users", lines)
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz line 2", "column \"name\""])
        }
    }

    @Test func aRowWithADuplicateColumnIsRefused() throws {
        // Same column count as the manifest, but "name" is missing and "email" twice: a reader
        // that reused the previous row's buffer would silently import the wrong name.
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var lines = try tableLines(changeset)
            let withoutName = try removingRowColumn(in: lines[1], column: "name")
            lines[1] = withoutName.replacingOccurrences(of: "\"row\":{", with: "\"row\":{\"email\":\"dup@example.com\",")
            try writeTableLines(changeset, "users", lines)
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz line 2", "duplicate key \"email\""])
        }
    }

    @Test func aRowLackingAColumnNeverReachesTheTarget() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var lines = try tableLines(changeset)
            lines[1] = try removingRowColumn(in: lines[1], column: "name")
            try writeTableLines(changeset, "users", lines)
            try expectSchemaProblem(changeset, in: directory, line: 2, column: "name")
        }
    }

    @Test func aRowWithAColumnTheManifestLacksNeverReachesTheTarget() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var lines = try tableLines(changeset)
            lines[4] = lines[4].replacingOccurrences(of: "\"row\":{", with: "\"row\":{\"extra\":1,")
            try writeTableLines(changeset, "users", lines)
            try expectSchemaProblem(changeset, in: directory, line: 5, column: "extra")
        }
    }

    @Test func aRowCountThatDisagreesWithTheManifestIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { $0["rows"] = 11 }
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz", "holds 10 records but the manifest says 11"])
        }
    }

    // MARK: - The target's schema

    @Test func aColumnTheTargetLacksIsNamedAndNeverWritten() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let lines = try tableLines(changeset).map { $0.replacingOccurrences(of: "\"row\":{", with: "\"row\":{\"extra\":1,") }
            try writeTableLines(changeset, "users", lines)
            try editManifestTable(changeset, "users") { entry in
                var columns = try #require(entry["columns"] as? [[String: Any]])
                // A copy of an INTEGER column's entry, renamed, so it has every key the manifest format wants.
                var extra = try #require(columns.first { $0["name"] as? String == "isActive" }, "users has no isActive column")
                extra["name"] = "extra"
                columns.append(extra)
                entry["columns"] = columns
            }
            // The changeset itself is consistent: only the target lacks the column.
            let verify = try ferry(["verify", changeset.path, "--quiet"])
            #expect(verify.status == 0, "\(verify.stderr)")
            try expectSchemaProblem(changeset, in: directory, line: 1, column: "extra")
        }
    }
}
