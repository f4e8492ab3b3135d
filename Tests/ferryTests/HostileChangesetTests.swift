import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// A stranger's changeset (a file attached to a support ticket) is refused cleanly when it
/// is damaged or forged in ways the checksums of the table files alone do not catch: the
/// manifest itself, links and odd files, duplicate archive members, forged ids and numbers,
/// expressions in its schema, and lines too long to hold in memory.
extension BadInputTests {
    /// The manifest's text, so a test can change bytes the way a bad copy would.
    func manifestText(_ changeset: URL) throws -> String {
        try String(contentsOf: changeset.appendingPathComponent("manifest.json"), encoding: .utf8)
    }

    func writeManifestText(_ text: String, to changeset: URL) throws {
        try Data(text.utf8).write(to: changeset.appendingPathComponent("manifest.json"))
    }

    // MARK: - The manifest's own digest

    @Test func aFlippedByteInACreateStatementIsRefusedByVerifyAndImport() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var text = try manifestText(changeset)
            // One byte inside users' CREATE statement: still valid JSON, still valid SQL.
            let create = try #require(text.range(of: #""create" : "CREATE TABLE \"users\""#))
            let integer = try #require(text.range(of: "INTEGER", range: create.upperBound..<text.endIndex))
            text.replaceSubrange(integer, with: "INTEGES")
            try writeManifestText(text, to: changeset)

            let verify = try ferry(["verify", changeset.path], in: directory)
            expectCleanRefusal(verify, "verify", mentions: ["manifest.json", "changed or damaged", "Copy the changeset again"])
            let inspect = try ferry(["inspect", changeset.path], in: directory)
            expectCleanRefusal(inspect, "inspect", mentions: ["manifest.json", "changed or damaged"])
            try expectImportRefused(changeset, in: directory, mentions: ["manifest.json", "changed or damaged", "Nothing was applied"])
        }
    }

    @Test func aManifestWithoutItsDigestIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var manifest = try readManifest(changeset)
            manifest.removeValue(forKey: "manifestSha256")
            try writeManifestUnsealed(manifest, to: changeset)
            expectCleanRefusal(try ferry(["verify", changeset.path], in: directory), "verify", mentions: ["manifest.json", "manifestSha256"])
            try expectImportRefused(changeset, in: directory, mentions: ["manifest.json", "manifestSha256"], targets: .fresh)
        }
    }

    /// A column's `epochUnit` multiplies every integer moment of it: a forged 0 (or 7) would
    /// store each one as some other instant. Only 1 and 1000 are read.
    @Test(arguments: [0, 7, -1000])
    func anEpochUnitOtherThanMillisecondsOrSecondsIsRefused(unit: Int) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { table in
                var columns = try #require(table["columns"] as? [[String: Any]])
                columns[0]["epochUnit"] = unit
                table["columns"] = columns
            }
            expectCleanRefusal(try ferry(["verify", changeset.path], in: directory), "verify", mentions: ["epochUnit", "unreadable value", "ask for a new export"])
            try expectImportRefused(changeset, in: directory, mentions: ["epochUnit", "unreadable value", "ask for a new export"])
        }
    }

    @Test func aDigestThatIsNotLowercaseHexIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let text = try manifestText(changeset)
            let digest = try #require(try readManifest(changeset)["manifestSha256"] as? String)
            try writeManifestText(text.replacingOccurrences(of: digest, with: digest.uppercased()), to: changeset)
            expectCleanRefusal(try ferry(["verify", changeset.path], in: directory), "verify", mentions: ["manifestSha256", "64 lowercase hex"])
        }
    }

    /// The README's check: zeros in the field, then sha256sum, gives the field's value.
    @Test func theDigestIsWhatTheReadmeOneLinerPrints() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let digest = try #require(try readManifest(changeset)["manifestSha256"] as? String)
            let oneLiner = #"sed -E 's/("manifestSha256" *: *")[0-9a-f]{64}/\10000000000000000000000000000000000000000000000000000000000000000/' manifest.json | sha256sum"#
            let result = try runTool("/bin/sh", ["-c", oneLiner], in: changeset)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix(digest), "the README's one-liner printed \(result.stdout), the manifest says \(digest)")
            let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
            #expect(readme.contains(oneLiner), "README.md does not show the one-liner this test runs")
        }
    }

    // MARK: - Links and odd files inside a folder changeset

    @Test func aTableFileThatIsASymlinkOutOfTheFolderIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let inside = changeset.appendingPathComponent("users.ndjson.gz")
            let outside = directory.appendingPathComponent("elsewhere.ndjson.gz")
            try FileManager.default.moveItem(at: inside, to: outside)
            // The link's target has the very bytes the manifest's checksum expects.
            try FileManager.default.createSymbolicLink(at: inside, withDestinationURL: outside)
            expectCleanRefusal(try ferry(["verify", changeset.path], in: directory), "verify", mentions: ["users.ndjson.gz", "symbolic link"])
            try expectImportRefused(changeset, in: directory, mentions: ["users.ndjson.gz", "symbolic link"])
        }
    }

    @Test func aManifestThatIsASymlinkIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let inside = changeset.appendingPathComponent("manifest.json")
            let outside = directory.appendingPathComponent("manifest-elsewhere.json")
            try FileManager.default.moveItem(at: inside, to: outside)
            try FileManager.default.createSymbolicLink(at: inside, withDestinationURL: outside)
            expectCleanRefusal(try ferry(["verify", changeset.path], in: directory), "verify", mentions: ["manifest.json", "symbolic link"])
            try expectImportRefused(changeset, in: directory, mentions: ["manifest.json", "symbolic link"], targets: .fresh)
        }
    }

    @Test func aTableFileThatIsAPipeIsRefusedWithoutWaiting() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let inside = changeset.appendingPathComponent("users.ndjson.gz")
            try FileManager.default.removeItem(at: inside)
            #expect(mkfifo(inside.path, 0o644) == 0)
            expectCleanRefusal(try ferry(["verify", changeset.path], in: directory), "verify", mentions: ["users.ndjson.gz", "not a regular file"])
        }
    }

    /// Only what is inside the folder must be a regular file; the path the user gives may be a link.
    @Test func aChangesetPathThatIsASymlinkStillImports() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let link = directory.appendingPathComponent("link-to-changeset")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: changeset)
            let result = try ferry(["import", link.path, "--db", directory.appendingPathComponent("t.db").path, "--quiet"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    // MARK: - .ferry archives

    @Test func anArchiveWithADuplicateMemberIsRefusedByName() throws {
        try withTemporaryDirectory { directory in
            let archive = try exportSample(in: directory, name: "x.ferry")
            let extracted = directory.appendingPathComponent("extracted")
            try FileManager.default.createDirectory(at: extracted, withIntermediateDirectories: true)
            #expect(try runTool("/usr/bin/tar", ["-xf", archive.path, "-C", extracted.path]).status == 0)
            // A second users.ndjson.gz after the first: `tar xf` would keep the last one.
            let append = try runTool("/usr/bin/tar", ["--format=ustar", "-rf", archive.path, "-C", extracted.path, "users.ndjson.gz"])
            #expect(append.status == 0, "\(append.stderr)")
            expectCleanRefusal(try ferry(["verify", archive.path], in: directory), "verify", mentions: ["users.ndjson.gz", "twice"])
            try expectImportRefused(archive, in: directory, mentions: ["users.ndjson.gz", "twice"])
        }
    }

    /// A member size of eleven octal 7s (64 GiB) in a small file: refused, never an overflow
    /// or a read past the end.
    @Test func anArchiveMemberWithAHugeSizeIsRefused() throws {
        try withTemporaryDirectory { directory in
            let archive = try exportSample(in: directory, name: "x.ferry")
            var bytes = [UInt8](try fileBytes(archive))
            bytes.replaceSubrange(124..<136, with: Array("77777777777\0".utf8))
            bytes.replaceSubrange(148..<156, with: Array("        ".utf8))
            let checksum = bytes[0..<512].reduce(0) { $0 + Int($1) }
            bytes.replaceSubrange(148..<156, with: Array((String(checksum, radix: 8).leftPadding(to: 6) + "\0 ").utf8))
            try Data(bytes).write(to: archive)
            expectCleanRefusal(try ferry(["verify", archive.path], in: directory), "verify", mentions: ["manifest.json"], anyOf: ["cut short", "truncated"])
        }
    }

    // MARK: - Forged ids and numbers

    @Test(arguments: ["../../evil", "not-a-uuid", "", "1b4e28ba-2fa1-11d2-883f-0016d3cca427/../x"])
    func aChangesetIdThatIsNotAUUIDIsRefused(id: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifest(changeset) { $0["changesetId"] = id }
            expectCleanRefusal(try ferry(["verify", changeset.path], in: directory), "verify", mentions: ["changesetId", "not a UUID"])
            try expectImportRefused(changeset, in: directory, mentions: ["changesetId", "not a UUID"], targets: .fresh)
        }
    }

    @Test func anUppercaseUUIDIsAChangesetId() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifest(changeset) { $0["changesetId"] = "1B4E28BA-2FA1-11D2-883F-0016D3CCA427" }
            let verify = try ferry(["verify", changeset.path], in: directory)
            #expect(verify.status == 0, "\(verify.stderr)")
        }
    }

    /// `Int.max` rows or bytes once crashed import, replay, --dry-run and inspect with
    /// "arithmetic overflow" (exit 132). Now: exit 1, a clear message, no new target left.
    @Test(arguments: ["rows", "bytes"])
    func aHugeRowCountOrSizeIsRefusedByEveryCommand(field: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { $0[field] = Int.max }
            let commands: [(String, [String])] = [
                ("import", ["import", changeset.path]),
                ("import --dry-run", ["import", changeset.path, "--dry-run"]),
                ("replay", ["replay", changeset.path]),
            ]
            for (label, arguments) in commands {
                let target = directory.appendingPathComponent("fresh-\(UUID().uuidString.prefix(8)).db")
                let result = try ferry(arguments + ["--db", target.path, "--quiet"], in: directory)
                expectCleanRefusal(result, label, mentions: ["users", "manifest.json", "\(Int.max)"])
                #expect(!FileManager.default.fileExists(atPath: target.path), "\(label) left \(target.lastPathComponent) behind")
            }
            for arguments in [["inspect", changeset.path], ["inspect", changeset.path, "--json"], ["verify", changeset.path]] {
                let result = try ferry(arguments, in: directory)
                #expect(!looksLikeACrash(result.stderr), "\(arguments): \(result.stderr)")
                #expect(result.status == 1 || (arguments[0] == "inspect" && result.status == 0), "\(arguments): exit \(result.status), \(result.stderr)")
            }
            try expectImportRefused(changeset, in: directory, mentions: ["users", "\(Int.max)"], targets: .existing)
        }
    }

    /// 2^53 in two tables is over the total, though each alone is allowed.
    @Test func rowCountsWhoseSumOverflowsAreRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { $0["rows"] = 1 << 53 }
            try editManifestTable(changeset, "roles") { $0["rows"] = 1 << 53 }
            let inspect = try ferry(["inspect", changeset.path], in: directory)
            expectCleanRefusal(inspect, "inspect", mentions: ["manifest.json", "2^53"])
        }
    }

    // MARK: - Lines longer than the limit

    /// `line` (a users record) with its name padded so the whole line is `length` bytes.
    func padding(_ line: String, toLength length: Int) throws -> String {
        let empty = try replacingRowValue(in: line, column: "name", with: "\"\"")
        return try replacingRowValue(in: line, column: "name", with: "\"" + String(repeating: "x", count: length - empty.utf8.count) + "\"")
    }

    @Test func aLineOverTheConfiguredLimitIsRefusedWithFileLineAndLimit() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var lines = try tableLines(changeset)
            lines[2] = try padding(lines[2], toLength: 5000)
            #expect(lines[2].utf8.count == 5000)
            try writeTableLines(changeset, "users", lines)
            let mentions = ["users.ndjson.gz line 3", "1000 bytes", "--max-line-size"]
            expectCleanRefusal(try ferry(["verify", changeset.path, "--max-line-size", "1000"], in: directory), "verify", mentions: mentions)
            expectCleanRefusal(try ferry(["inspect", changeset.path, "--table", "users", "--rows", "5", "--max-line-size", "1000"], in: directory), "inspect", mentions: mentions)
            let target = directory.appendingPathComponent("fresh.db")
            expectCleanRefusal(try ferry(["import", changeset.path, "--db", target.path, "--max-line-size", "1000", "--quiet"], in: directory), "import", mentions: mentions)
            expectCleanRefusal(try ferry(["replay", changeset.path, "--db", target.path, "--max-line-size", "1000", "--quiet"], in: directory), "replay", mentions: mentions)
            #expect(!FileManager.default.fileExists(atPath: target.path))
            // The same line within a raised limit (with a unit suffix) passes.
            let verify = try ferry(["verify", changeset.path, "--max-line-size", "8K"], in: directory)
            #expect(verify.status == 0, "\(verify.stderr)")
            let imported = try ferry(["import", changeset.path, "--db", target.path, "--max-line-size", "5000", "--quiet"], in: directory)
            #expect(imported.status == 0, "a line of exactly the limit was refused: \(imported.stderr)")
        }
    }

    @Test(arguments: ["0", "-5", "12Q", "M", "99999999999999G"])
    func aMaxLineSizeThatIsNotASizeIsAUsageError(value: String) throws {
        let result = try ferry(["verify", "nowhere", "--max-line-size", value])
        #expect(result.status == 64, "--max-line-size \(value): exit \(result.status), \(result.stderr)")
        #expect(result.stderr.contains("max-line-size"), "\(result.stderr)")
    }

    /// The default limit is 64 MiB: a line one byte longer is refused (memory stays bounded).
    @Test func theDefaultLimitRefusesALineOf64MiBPlusOne() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let file = changeset.appendingPathComponent("users.ndjson.gz")
            let make = try runTool("/bin/sh", ["-c", "head -c \(64 * 1024 * 1024 + 1) /dev/zero | tr '\\0' x | gzip -1 -n > \(file.path)"])
            #expect(make.status == 0, "\(make.stderr)")
            try fixUpManifest(changeset, rows: 1)
            let verify = try ferry(["verify", changeset.path], in: directory)
            expectCleanRefusal(verify, "verify", mentions: ["users.ndjson.gz line 1", "64 MiB", "--max-line-size"])
        }
    }

    // MARK: - Expressions in the changeset's schema

    /// users' CREATE statement with `column` added at the end.
    func usersCreate(adding column: String) -> String {
        #"CREATE TABLE "users" ("id" TEXT NOT NULL PRIMARY KEY, "email" TEXT NOT NULL, "name" TEXT NOT NULL, "roleId" TEXT NOT NULL, "isActive" INTEGER NOT NULL DEFAULT 1, "createdAt" TEXT NOT NULL, "#
            + column + #", CONSTRAINT "users_roleId_fkey" FOREIGN KEY ("roleId") REFERENCES "roles" ("id"))"#
    }

    @Test(arguments: [
        ("randomblob", #""pad" BLOB DEFAULT (randomblob(900000000))"#),
        ("printf", #""note" TEXT CHECK (length(printf('%.*c', 900000000, 'x')) > 0)"#),
        ("zeroblob", #""pad" BLOB GENERATED ALWAYS AS (zeroblob(900000000)) STORED"#),
    ])
    func anAmplifyingFunctionInTheSchemaIsRefusedQuickly(function: String, column: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { $0["create"] = usersCreate(adding: column) }
            let started = Date()
            // Only a new target creates tables from the manifest.
            try expectImportRefused(changeset, in: directory, mentions: ["users", "\(function)()", "--trust-schema"], targets: .fresh)
            #expect(Date().timeIntervalSince(started) < 20, "the refusal took \(Date().timeIntervalSince(started)) s")
        }
    }

    @Test func anIndexExpressionWithAnUnlistedFunctionIsRefused() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { $0["indexes"] = [#"CREATE INDEX "users_pad" ON "users" (replace("name", 'a', 'bbbbbbbb'))"#] }
            try expectImportRefused(changeset, in: directory, mentions: ["users", "index statement 1", "replace()", "--trust-schema"], targets: .fresh)
        }
    }

    /// --trust-schema lets an unlisted function through; SQLITE_LIMIT_LENGTH still caps what
    /// it can build, so even a trusted randomblob(900000000) cannot fill the disk.
    @Test func trustSchemaAllowsAnUnlistedFunctionButNotAGiantValue() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "users") { $0["create"] = usersCreate(adding: #""slug" TEXT DEFAULT (replace('a-b', '-', '_'))"#) }
            let target = directory.appendingPathComponent("trusted.db")
            let refused = try ferry(["import", changeset.path, "--db", target.path, "--quiet"], in: directory)
            expectCleanRefusal(refused, "without --trust-schema", mentions: ["users", "replace()", "--trust-schema"])
            let trusted = try ferry(["import", changeset.path, "--db", target.path, "--quiet", "--trust-schema"], in: directory)
            #expect(trusted.status == 0, "\(trusted.stderr)")
            #expect(try sqlite3(target, "SELECT DISTINCT slug FROM users") == "a_b\n")

            let giant = directory.appendingPathComponent("giant")
            try FileManager.default.copyItem(at: changeset, to: giant)
            try editManifestTable(giant, "users") { $0["create"] = usersCreate(adding: #""pad" BLOB DEFAULT (randomblob(900000000))"#) }
            let giantTarget = directory.appendingPathComponent("giant.db")
            let result = try ferry(["import", giant.path, "--db", giantTarget.path, "--quiet", "--trust-schema"], in: directory)
            expectCleanRefusal(result, "a trusted randomblob(900000000) default", mentions: ["64 MiB", "--max-line-size"])
            #expect(!FileManager.default.fileExists(atPath: giantTarget.path), "the refused import left \(giantTarget.lastPathComponent) behind")
        }
    }

    /// The functions real schemas use still work: CURRENT_TIMESTAMP, lower() in a DEFAULT,
    /// length() in a CHECK, a generated column, an expression index, json_valid, datetime.
    @Test func aNormalSchemaWithExpressionsStillImports() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("notes.db")
            _ = try sqlite3(source, """
                CREATE TABLE notes (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL CHECK (length(name) > 0),
                    createdAt TEXT DEFAULT CURRENT_TIMESTAMP,
                    tag TEXT DEFAULT (lower('X')),
                    stamp TEXT DEFAULT (datetime('now', '+1 day')),
                    data TEXT CHECK (data IS NULL OR json_valid(data)),
                    shout TEXT GENERATED ALWAYS AS (upper(name)) VIRTUAL
                );
                CREATE INDEX notes_lower_name ON notes (lower(name)) WHERE abs(id) > 0;
                INSERT INTO notes (id, name, data) VALUES (1, 'Ann', '{"a":1}'), (2, 'Bob', NULL);
                """)
            let changeset = directory.appendingPathComponent("changeset")
            let export = try ferry(["export", "--db", source.path, "--out", changeset.path, "--quiet"], in: directory)
            #expect(export.status == 0, "\(export.stderr)")
            let target = directory.appendingPathComponent("target.db")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--quiet"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try sqlite3(target, "SELECT name, shout, tag FROM notes ORDER BY id") == "Ann|ANN|x\nBob|BOB|x\n")
            #expect(try sqlite3(target, "SELECT count(*) FROM sqlite_schema WHERE name = 'notes_lower_name'") == "1\n")
            #expect(try sqlite3(target, "INSERT INTO notes (id, name) VALUES (3, 'Cy'); SELECT tag, createdAt IS NOT NULL FROM notes WHERE id = 3") == "x|1\n")
        }
    }

    /// SQLITE_LIMIT_LENGTH follows the line limit: a value within it still imports.
    @Test func aLargeValueWithinTheLimitStillImports() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var lines = try tableLines(changeset)
            lines[0] = try padding(lines[0], toLength: 3_000_000)
            try writeTableLines(changeset, "users", lines)
            let target = directory.appendingPathComponent("target.db")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--max-line-size", "3M", "--quiet"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try sqlite3(target, "SELECT max(length(name)) > 2900000 FROM users") == "1\n")
        }
    }
}

private extension String {
    func leftPadding(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
