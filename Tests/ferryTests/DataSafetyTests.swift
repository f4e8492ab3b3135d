import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// Issue 13, "Data loss": every case leaves every byte of the user's files intact.
@Suite struct DataSafetyTests {
    /// Every file under `url` with its bytes, so "intact" means byte for byte.
    func snapshot(_ url: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey])
        while let file = enumerator?.nextObject() as? URL {
            if (try file.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
                result[file.path.replacingOccurrences(of: url.path, with: "")] = try Data(contentsOf: file)
            }
        }
        return result
    }

    // MARK: export --force

    @Test func forceNeverReplacesAFolderHoldingTheSourceDatabase() throws {
        try withTemporaryDirectory { directory in
            let scratch = directory.appendingPathComponent("scratch")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let db = scratch.appendingPathComponent("app.db")
            try buildSampleLocal(at: db)
            let before = try snapshot(scratch)
            let result = try ferry(["export", "--db", db.path, "--out", scratch.path, "--force"])
            expectCleanRefusal(result, mentions: ["--force replaces only a changeset Ferry wrote", "app.db"])
            #expect(try snapshot(scratch) == before, "the folder and the database are byte for byte as they were")
        }
    }

    @Test func forceNeverEmptiesTheCurrentFolder() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("app.db")
            try buildSampleLocal(at: db)
            try Data("notes".utf8).write(to: directory.appendingPathComponent("notes.txt"))
            let before = try snapshot(directory)
            let result = try ferry(["export", "--db", db.path, "--out", ".", "--force"], in: directory)
            expectCleanRefusal(result, mentions: ["--force replaces only a changeset Ferry wrote"])
            #expect(try snapshot(directory) == before)
        }
    }

    @Test(arguments: ["app.db", "backup.ferry", "notes.txt"])
    func forceNeverReplacesAFileFerryDidNotWrite(name: String) throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("source.db")
            try buildSampleLocal(at: db)
            let victim = directory.appendingPathComponent(name)
            if name == "notes.txt" {
                try Data("my notes".utf8).write(to: victim)
            } else {
                try FileManager.default.copyItem(at: db, to: victim) // a database, whatever its name says
            }
            let before = try fileBytes(victim)
            let result = try ferry(["export", "--db", db.path, "--out", victim.path, "--force"])
            expectCleanRefusal(result, mentions: ["--force replaces only a changeset Ferry wrote", name])
            #expect(try fileBytes(victim) == before)
        }
    }

    @Test(arguments: ["changeset", "changeset.ferry"])
    func forceReplacesAChangesetFerryWrote(name: String) throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("source.db")
            try buildSampleLocal(at: db)
            let out = directory.appendingPathComponent(name)
            #expect(try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"]).status == 0)
            let first = try readManifestId(out)
            let again = try ferry(["export", "--db", db.path, "--out", out.path, "--force", "--quiet"])
            #expect(again.status == 0, "stderr: \(again.stderr)")
            #expect(try readManifestId(out) != first, "the new changeset took the old one's place")
            #expect(try ferry(["verify", out.path, "--quiet"]).status == 0)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "no staging or old copy is left: \(leftovers)")
        }
    }

    /// A folder that holds a changeset and something else is not Ferry's alone.
    @Test func forceNeverReplacesAChangesetFolderWithOtherFilesInIt() throws {
        try withTemporaryDirectory { directory in
            let out = try exportSample(in: directory)
            try Data("keep me".utf8).write(to: out.appendingPathComponent("README.txt"))
            let before = try snapshot(out)
            let result = try ferry(["export", "--db", directory.appendingPathComponent("source.db").path, "--out", out.path, "--force"])
            expectCleanRefusal(result, mentions: ["also holds other files", "README.txt"])
            #expect(try snapshot(out) == before)
        }
    }

    /// Killed at any moment while replacing, the output is a whole changeset: the old or the new.
    @Test func aKilledForcedExportLeavesAWholeChangeset() throws {
        try withTemporaryDirectory { directory in
            let out = try exportSample(in: directory)
            let db = directory.appendingPathComponent("source.db")
            for delay in [0.0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3] {
                let process = Process()
                process.executableURL = ferryBinary
                process.arguments = ["export", "--db", db.path, "--out", out.path, "--force", "--quiet"]
                process.standardError = FileHandle.nullDevice
                try process.run()
                Thread.sleep(forTimeInterval: delay)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let verify = try ferry(["verify", out.path, "--quiet"])
                #expect(verify.status == 0, "after a kill at \(delay) s the changeset is whole: \(verify.stderr)")
            }
        }
    }

    func readManifestId(_ changeset: URL) throws -> String {
        let inspect = try ferry(["inspect", changeset.path, "--json", "--rows", "0"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any], "inspect --json: \(inspect.stderr)")
        return try #require(object["changesetId"] as? String ?? (object["manifest"] as? [String: Any])?["changesetId"] as? String, "no changesetId in \(inspect.stdout.prefix(300))")
    }

    // MARK: side outputs

    @Test(arguments: ["--report", "--rejects", "--conflicts"])
    func aSideOutputNeverOverwritesTheTarget(flag: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let target = directory.appendingPathComponent("t.db")
            try FileManager.default.copyItem(at: directory.appendingPathComponent("source.db"), to: target)
            let before = try fileBytes(target)
            let result = try ferry(["import", changeset.path, "--db", target.path, flag, target.path])
            expectCleanRefusal(result, mentions: ["is not a Ferry", "never overwrites", flag])
            #expect(try fileBytes(target) == before, "the target is byte for byte as it was")
        }
    }

    @Test(arguments: ["--report", "--rejects", "--conflicts"])
    func aSideOutputNeverOverwritesAnUnrelatedFile(flag: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let other = directory.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            let unrelated = other.appendingPathComponent("other.db")
            try FileManager.default.copyItem(at: directory.appendingPathComponent("source.db"), to: unrelated)
            let before = try fileBytes(unrelated)
            let target = directory.appendingPathComponent("new.db")
            let result = try ferry(["import", changeset.path, "--db", target.path, flag, unrelated.path])
            expectCleanRefusal(result, mentions: ["never overwrites"])
            #expect(try fileBytes(unrelated) == before)
            #expect(!FileManager.default.fileExists(atPath: target.path), "a new target of a refused import is not left behind")
        }
    }

    @Test func aReportFerryWroteIsReplaced() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let target = directory.appendingPathComponent("t.db")
            let report = directory.appendingPathComponent("report.json")
            #expect(try ferry(["import", changeset.path, "--db", target.path, "--report", report.path, "--quiet"]).status == 0)
            let first = try #require(try JSONSerialization.jsonObject(with: fileBytes(report)) as? [String: Any])
            #expect(((first["totals"] as? [String: Any])?["inserted"] as? Int ?? 0) > 0)
            let again = try ferry(["import", changeset.path, "--db", target.path, "--report", report.path, "--quiet"])
            #expect(again.status == 0, "a report Ferry wrote is replaced: \(again.stderr)")
            let second = try #require(try JSONSerialization.jsonObject(with: fileBytes(report)) as? [String: Any])
            #expect((second["totals"] as? [String: Any])?["inserted"] as? Int == 0, "the second report is the replay's")
        }
    }

    /// Two customers whose edits make one reject (a missing parent) and one conflict.
    func changesetWithARejectAndAConflict(in directory: URL) throws -> (changeset: URL, target: URL) {
        let source = directory.appendingPathComponent("a.db")
        let target = directory.appendingPathComponent("b.db")
        for path in [source, target] {
            try database(path, """
                CREATE TABLE owners (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE);
                CREATE TABLE pets (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, ownerId TEXT REFERENCES owners(id), note TEXT);
                INSERT INTO owners VALUES ('o1', 'ann@example.com');
                INSERT INTO pets VALUES ('p1', 'Rex', 'o1', 'old'), ('p2', 'Tom', 'o1', 'old');
                """)
        }
        try database(source, "UPDATE pets SET note = 'source' WHERE id = 'p1'")
        try database(target, "UPDATE pets SET note = 'target' WHERE id = 'p1'")
        let changeset = try exportChangeset(source, in: directory)
        // Tom now points at an owner nobody has: a missing_parent reject.
        let lines = try tableLines(changeset, "pets").map { line in
            line.contains("\"Tom\"") ? line.replacingOccurrences(of: "ann@example.com", with: "nobody@example.com").replacingOccurrences(of: "\"o1\"", with: "\"o9\"") : line
        }
        try writeTableLines(changeset, "pets", lines)
        return (changeset, target)
    }

    func sideFiles(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("rejects") || $0.contains("conflicts") || $0.contains(".partial-") }
    }

    @Test func aDryRunWritesNoSideFiles() throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try changesetWithARejectAndAConflict(in: directory)
            let report = directory.appendingPathComponent("report.json")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--dry-run", "--report", report.path])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: fileBytes(report)) as? [String: Any])
            let totals = try #require(json["totals"] as? [String: Any])
            #expect(totals["rejected"] as? Int == 1 && totals["conflicts"] as? Int == 1, "the dry run still counts: \(totals)")
            #expect(json["rejects"] == nil && json["conflictsFile"] == nil)
            let files = try sideFiles(in: directory)
            #expect(files.isEmpty, "no rejects or conflicts file: \(files)")
        }
    }

    @Test func aRolledBackImportLeavesNoConflictsFile() throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try changesetWithARejectAndAConflict(in: directory)
            let before = try fileBytes(target)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--strict"])
            #expect(result.status == 1)
            #expect(try fileBytes(target) == before)
            let files = try sideFiles(in: directory)
            #expect(!files.contains { $0.contains("conflicts") }, "the conflicts of a rolled-back import are not kept: \(files)")
            #expect(files.contains { $0.contains("rejects") && $0.hasSuffix(".rolled-back.ndjson") }, "the rejects that explain the roll-back are kept, named as a rolled-back run's: \(files)")
            #expect(!files.contains { $0.contains(".partial-") })
        }
    }

    @Test func sideFilesAppearWhenTheImportCommits() throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try changesetWithARejectAndAConflict(in: directory)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let files = try sideFiles(in: directory)
            #expect(files.contains { $0.contains("rejects") } && files.contains { $0.contains("conflicts") }, "\(files)")
            // Importing again rewrites them: they are Ferry's own.
            #expect(try ferry(["import", changeset.path, "--db", target.path, "--quiet"]).status == 3)
        }
    }

    // MARK: prune

    @Test func pruneNeverDeletesARowWhoseReplacementWasRejected() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("a.db")
            let target = directory.appendingPathComponent("b.db")
            for path in [source, target] {
                try database(path, """
                    CREATE TABLE authors (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE);
                    CREATE TABLE posts (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, authorId TEXT NOT NULL REFERENCES authors(id));
                    INSERT INTO authors VALUES ('a1', 'ann@example.com');
                    INSERT INTO posts VALUES ('p1', 'one', 'a1'), ('p2', 'two', 'a1'), ('p3', 'three', 'a1'), ('p4', 'four', 'a1');
                    """)
            }
            try database(target, "INSERT INTO posts VALUES ('p5', 'gone-at-source', 'a1')")
            let changeset = try exportChangeset(source, in: directory)
            // Three posts now point at an author who exists nowhere: rejected as missing_parent.
            let lines = try tableLines(changeset, "posts").map { line in
                line.contains("\"four\"") ? line : line.replacingOccurrences(of: "ann@example.com", with: "ghost@example.com").replacingOccurrences(of: "\"a1\"", with: "\"a9\"")
            }
            try writeTableLines(changeset, "posts", lines)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--prune", "--yes"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let slugs = try SQLiteDatabase(path: target.path, mode: .readOnly).rows("SELECT slug FROM posts ORDER BY slug").compactMap { $0[0].string }
            #expect(slugs == ["four", "one", "three", "two"], "only the row no record stands for is pruned: \(slugs)")
        }
    }

    /// The check after an import counts every row that points at nothing, against the count
    /// before: a target that already had 20 such rows (the most a message shows) let the
    /// import's own dangling rows through unseen.
    @Test(arguments: [0, 20, 45])
    func aDanglingRowTheImportMadeFailsItWhateverTheTargetHadBefore(danglingBefore: Int) throws {
        try withTemporaryDirectory { directory in
            let schema = """
                CREATE TABLE owners (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE);
                CREATE TABLE items (id TEXT PRIMARY KEY, sku TEXT NOT NULL UNIQUE, ownerId TEXT REFERENCES owners(id));
                """
            let orphans = (0..<danglingBefore).map { "('x\($0)', 'orphan-\($0)', 'nobody')" }
            let (source, target) = try sourceAndTarget(in: directory, "source.db", "target.db", schema: schema, source: """
                INSERT INTO owners VALUES ('s-o1', 'ann@example.com');
                INSERT INTO items VALUES ('s-i1', 'boom', 's-o1');
                """, target: """
                INSERT INTO owners VALUES ('t-o1', 'ann@example.com');
                \(orphans.isEmpty ? "" : "INSERT INTO items VALUES \(orphans.joined(separator: ", "));")
                -- Something Ferry cannot see: inserting this item takes its owner away.
                CREATE TRIGGER takes_the_owner AFTER INSERT ON items WHEN NEW.sku = 'boom' BEGIN DELETE FROM owners WHERE id = NEW.ownerId; END;
                """)
            let before = try Data(contentsOf: target)
            let result = try ferry(["import", try exportChangeset(source, in: directory).path, "--db", target.path])
            #expect(result.status != 0, "the item the import wrote points at nothing: \(result.stdout)")
            #expect(result.stderr.contains("point at missing parents"), "\(result.stderr)")
            #expect(result.stderr.contains(danglingBefore == 0 ? "1 row " : "\(danglingBefore + 1) rows (\(danglingBefore) before"), "the message counts them: \(result.stderr)")
            #expect(try Data(contentsOf: target) == before, "nothing was imported")
        }
    }

    /// A foreign key the store fills itself, which no record's parent stands for: a column
    /// the changeset lacks with a DEFAULT (the target's schema is ahead), and a generated
    /// column. Into empty tables, with nothing but inserts, the check after the import must
    /// still run for them (found by a tester: both committed dangling rows).
    @Test(arguments: [
        ("CREATE TABLE c (id INTEGER PRIMARY KEY, label TEXT UNIQUE NOT NULL);",
         "CREATE TABLE c (id INTEGER PRIMARY KEY, label TEXT UNIQUE NOT NULL, owner_id INTEGER NOT NULL DEFAULT 1 REFERENCES p (id));"),
        ("CREATE TABLE c (id INTEGER PRIMARY KEY, raw INTEGER, pid INTEGER GENERATED ALWAYS AS (raw) REFERENCES p (id), label TEXT UNIQUE NOT NULL);",
         "CREATE TABLE c (id INTEGER PRIMARY KEY, raw INTEGER, pid INTEGER GENERATED ALWAYS AS (raw) REFERENCES p (id), label TEXT UNIQUE NOT NULL);"),
        // The second tester: a key into a TEXT column, stored in an INTEGER column here,
        // where '007' becomes 7 and names no parent.
        ("CREATE TABLE c (id INTEGER PRIMARY KEY, label TEXT UNIQUE NOT NULL, pcode TEXT REFERENCES p (name));",
         "CREATE TABLE c (id INTEGER PRIMARY KEY, label TEXT UNIQUE NOT NULL, pcode INTEGER REFERENCES p (name));"),
    ])
    func aForeignKeyTheStoreFillsItselfIsStillChecked(source sourceTable: String, target targetTable: String) throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);" + sourceTable + """
                INSERT INTO p VALUES (1, '007'), (2, 'b');
                INSERT INTO c (id, label\(sourceTable.contains("raw") ? ", raw" : "")) VALUES (1, 'x'\(sourceTable.contains("raw") ? ", 1" : "")), (2, 'y'\(sourceTable.contains("raw") ? ", 2" : ""));
                \(sourceTable.contains("pcode") ? "UPDATE c SET pcode = '007';" : "")
                """)
            let target = directory.appendingPathComponent("target.db")
            // The parents are there under other ids; c is empty.
            try database(target, "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);" + targetTable
                         + (targetTable.contains("pcode") ? "" : "INSERT INTO p VALUES (10, '007'), (20, 'b');"))
            let result = try ferry(["import", try exportChangeset(source, in: directory).path, "--db", target.path])
            #expect(try sqlite3(target, "PRAGMA foreign_key_check").isEmpty, "no row may point at nothing: \(result.stdout) \(result.stderr)")
            #expect(result.status != 0, "\(result.stdout)")
        }
    }

    /// A third tester's round: a parent key `'007'` stored as 7 by a child column whose type
    /// converts otherwise than its name says (ANY beside a STRICT parent, an empty quoted
    /// type, a type name with a letter beyond ASCII), a foreign key naming its parent in a
    /// case SQLite does not fold, and a trigger on Ferry's own book. Each committed a row
    /// pointing at nothing while the check after the import was left out.
    @Test(arguments: [
        ("CREATE TABLE p (code ANY PRIMARY KEY) STRICT; CREATE TABLE c (id INTEGER PRIMARY KEY, pcode ANY REFERENCES p (code));", ""),
        (#"CREATE TABLE p (code PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, pcode "" REFERENCES p (code));"#, ""),
        (#"CREATE TABLE p (code "ıntext" PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, pcode INTEGER REFERENCES p (code));"#, ""),
    ])
    func aKeyStoredOtherwiseThanItsParentIsStillChecked(target schema: String, _ unused: String) throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, "CREATE TABLE p (code TEXT PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, pcode TEXT REFERENCES p (code)); INSERT INTO p VALUES ('007'); INSERT INTO c VALUES (1, '007');")
            let target = directory.appendingPathComponent("target.db")
            try database(target, schema)
            let result = try ferry(["import", try exportChangeset(source, in: directory).path, "--db", target.path])
            #expect(try sqlite3(target, "PRAGMA foreign_key_check").isEmpty, "\(result.stdout) \(result.stderr)")
        }
    }

    @Test func aParentNamedInACaseSQLiteDoesNotFoldIsStillChecked() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, #"CREATE TABLE "é" (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES "é" (id)); INSERT INTO "é" VALUES (1, 'a'); INSERT INTO c VALUES (1, 1);"#)
            let target = directory.appendingPathComponent("target.db")
            try database(target, #"CREATE TABLE "é" (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES "É" (id));"#)
            let result = try ferry(["import", try exportChangeset(source, in: directory).path, "--db", target.path])
            #expect(try sqlite3(target, "PRAGMA foreign_key_check").isEmpty, "\(result.stdout) \(result.stderr)")
        }
    }

    @Test func aTriggerOnTheBookIsATriggerToo() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE); CREATE TABLE c (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, pid INTEGER REFERENCES p (id));"
            let (source, target) = try sourceAndTarget(in: directory, "source.db", "target.db", schema: schema,
                                                       source: "INSERT INTO p VALUES (1, 'a'), (2, 'b'); INSERT INTO c VALUES (1, 'c1', 1), (2, 'c2', 2);",
                                                       target: "INSERT INTO p VALUES (1, 'a'), (2, 'b');")
            let changeset = directory.appendingPathComponent("cs")
            #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "--tables", "c", "-q"]).status == 0)
            #expect(try ferry(["prepare", "--db", target.path, "-q"]).status == 0)
            try database(target, "CREATE TRIGGER zap AFTER INSERT ON _ferry_rows BEGIN DELETE FROM p; END;")
            let result = try ferry(["import", changeset.path, "--db", target.path])
            #expect(try sqlite3(target, "PRAGMA foreign_key_check").isEmpty, "\(result.stdout) \(result.stderr)")
        }
    }

    /// An import into a new file that renames a key other rows point at (`was`): the rows
    /// already in point at a key that is gone. Into empty tables too, the check after the
    /// import runs whenever a row was changed, not only added.
    @Test func aKeyRenamedUnderItsChildrenIsCaughtInANewFileToo() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, """
                CREATE TABLE employees (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, manager TEXT REFERENCES employees(email));
                INSERT INTO employees VALUES ('e1', 'b@x', NULL), ('e2', 'w@x', 'b@x');
                """)
            let changeset = try exportChangeset(source, in: directory)
            let lines = try tableLines(changeset, "employees")
            try writeTableLines(changeset, "employees", lines + [#"{"op":"upsert","keys":{"email":"b2@x"},"was":{"email":"b@x"},"row":{"id":"e1","email":"b2@x","manager":null}}"#])
            let target = directory.appendingPathComponent("new.db")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins"])
            if result.status == 0 || result.status == 3 {
                #expect(try sqlite3(target, "PRAGMA foreign_key_check").isEmpty, "\(result.stdout)")
            } else {
                #expect(result.stderr.contains("point at missing parents"), "\(result.stderr)")
                #expect(!FileManager.default.fileExists(atPath: target.path), "the new file is taken away again")
            }
        }
    }

    /// A row `--prune` could not delete is a reject that names the row as an export would
    /// (its natural key, a foreign key as its parent's identity), so the rejects file, once
    /// what held the row is gone, deletes it. Before, it named the row by this store's own
    /// id, which matched nothing, and the re-import counted the row unchanged.
    @Test func aPruneRejectImportedAgainDeletesTheRow() throws {
        try withTemporaryDirectory { directory in
            let schema = """
                CREATE TABLE authors (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE);
                CREATE TABLE follows (authorId TEXT NOT NULL REFERENCES authors(id), topic TEXT NOT NULL, PRIMARY KEY (authorId, topic));
                """
            let (source, target) = try sourceAndTarget(in: directory, "source.db", "target.db", schema: schema, source: """
                INSERT INTO authors VALUES ('a1', 'ann@x');
                """, target: """
                INSERT INTO authors VALUES ('t1', 'ann@x'), ('t2', 'zed@x');
                INSERT INTO follows VALUES ('t2', 'news');
                CREATE TABLE notes (id TEXT PRIMARY KEY, authorId TEXT REFERENCES authors(id));
                INSERT INTO notes VALUES ('n1', 't2');
                CREATE TABLE marks (id TEXT PRIMARY KEY, authorId TEXT, topic TEXT, FOREIGN KEY (authorId, topic) REFERENCES follows (authorId, topic));
                INSERT INTO marks VALUES ('m1', 't2', 'news');
                """)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", try exportChangeset(source, in: directory).path, "--db", target.path, "--prune", "--yes", "--rejects", rejects.path])
            #expect(result.status == 3, "zed is held by a note, zed's follow by a mark: \(result.stderr)")
            let lines = try String(contentsOf: rejects, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == 2 && lines.allSatisfy { $0.contains(#""op":"delete""#) }, "zed's follow, then zed: \(lines)")
            #expect(lines.contains { $0.contains(#""keys":{"email":"zed@x"}"#) }, "\(lines)")
            #expect(lines.contains { $0.contains(#""keys":{"authorId":{"$ref":{"keys":{"email":"zed@x"}}},"topic":"news"}"#) }, "\(lines)")
            try database(target, "DELETE FROM notes; DELETE FROM marks")
            // A delete of a row that never crossed is a conflict (the row may be an edit here).
            let again = try ferry(["import", rejects.path, "--db", target.path, "--on-conflict", "source-wins"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try sqlite3(target, "SELECT group_concat(email) FROM authors") == "ann@x\n", "\(again.stdout)")
            #expect(try sqlite3(target, "SELECT count(*) FROM follows") == "0\n")
        }
    }

    /// A row with no identity another import could find (a NULL natural key, no cloudId) is
    /// still rejected, and its reject says the rejects file cannot delete it (the second
    /// tester saw such a re-import do nothing and exit 0 without a word). A row added
    /// after `prepare` and never exported is named by nothing either.
    @Test func aPruneRejectOfARowWithNoIdentitySaysSo() throws {
        try withTemporaryDirectory { directory in
            let (source, target) = try sourceAndTarget(in: directory, "source.db", "target.db",
                schema: "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE, v TEXT);",
                source: "INSERT INTO parent VALUES (1, 'a', 'x');",
                target: """
                    INSERT INTO parent VALUES (5, 'a', 'x'), (6, 'b', 'y'), (7, NULL, 'z');
                    CREATE TABLE h (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id));
                    INSERT INTO h VALUES (1, 6), (2, 7);
                    """)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", try exportChangeset(source, in: directory).path, "--db", target.path, "--prune", "--yes", "--rejects", rejects.path])
            #expect(result.status == 3, "\(result.stderr)")
            let lines = try String(contentsOf: rejects, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(lines)")
            #expect(lines.contains { $0.contains(#""keys":{"code":"b"}"#) && !$0.contains("no identity") }, "\(lines)")
            #expect(lines.contains { $0.contains(#""keys":{"code":null}"#) && $0.contains("will not delete it") }, "\(lines)")
        }
    }

    @Test func aPruneOfMostOfATableNeedsYes() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE tags (id TEXT PRIMARY KEY, label TEXT NOT NULL UNIQUE);"
            let (source, target) = try sourceAndTarget(in: directory, "a.db", "b.db", schema: schema,
                source: "INSERT INTO tags VALUES ('t1', 'red');",
                target: "INSERT INTO tags VALUES ('t1', 'red'), ('t2', 'green'), ('t3', 'blue'), ('t4', 'cyan');")
            let changeset = try exportChangeset(source, in: directory)
            let before = try fileBytes(target)
            let refused = try ferry(["import", changeset.path, "--db", target.path, "--prune"])
            expectCleanRefusal(refused, mentions: ["--prune would delete 3 of the 4 rows of table tags", "--dry-run", "--yes"])
            #expect(try fileBytes(target) == before)
            let dryRun = try ferry(["import", changeset.path, "--db", target.path, "--prune", "--dry-run"])
            #expect(dryRun.status == 0 && dryRun.stderr.contains("3"), "a dry run shows what would go: \(dryRun.stderr)")
            let yes = try ferry(["import", changeset.path, "--db", target.path, "--prune", "--yes", "--quiet"])
            #expect(yes.status == 0, "stderr: \(yes.stderr)")
            #expect(try scalar(target, "SELECT count(*) FROM tags") == .integer(1))
            // Below the limit no --yes is needed.
            try database(target, "INSERT INTO tags VALUES ('t5', 'pink')")
            let small = try ferry(["import", changeset.path, "--db", target.path, "--prune", "--prune-limit", "60", "--quiet"])
            #expect(small.status == 0, "stderr: \(small.stderr)")
            #expect(try scalar(target, "SELECT count(*) FROM tags") == .integer(1))
        }
    }

    // MARK: prepare

    @Test func prepareFiresNoApplicationTrigger() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("app.db")
            try database(db, """
                CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT NOT NULL DEFAULT '2020-01-01', cloudId TEXT UNIQUE);
                CREATE TABLE audit (what TEXT);
                CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN UPDATE notes SET updated_at = '2099-12-31' WHERE id = NEW.id; END;
                CREATE TRIGGER notes_audit AFTER UPDATE ON notes BEGIN INSERT INTO audit (what) VALUES ('updated ' || NEW.id); END;
                INSERT INTO notes (id, body) VALUES (1, 'a'), (2, 'b'), (3, 'c');
                """)
            let result = try ferry(["prepare", "--db", db.path, "--quiet"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try scalar(db, "SELECT count(*) FROM notes WHERE cloudId IS NULL") == .integer(0), "every row got a cloudId")
            #expect(try scalar(db, "SELECT group_concat(DISTINCT updated_at) FROM notes") == .text(Array("2020-01-01".utf8)), "no updated_at moved")
            #expect(try scalar(db, "SELECT count(*) FROM audit") == .integer(0), "no trigger fired")
            // The triggers are back, in their order, and still work for the application.
            let triggers = try SQLiteDatabase(path: db.path, mode: .readOnly).rows("SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY rowid").compactMap { $0[0].string }
            #expect(triggers == ["notes_touch", "notes_audit"])
            try database(db, "UPDATE notes SET body = 'x' WHERE id = 1")
            #expect(try scalar(db, "SELECT updated_at FROM notes WHERE id = 1") == .text(Array("2099-12-31".utf8)))
        }
    }

    // MARK: identities

    /// Rows with a NULL in a nullable UNIQUE key: each is its own row, never "deleted here".
    @Test func aNullInANaturalKeyIsNoIdentity() throws {
        try withTemporaryDirectory { directory in
            // A composite UNIQUE key with a nullable column, as a per-organisation email often is.
            let schema = "CREATE TABLE people (id TEXT PRIMARY KEY, org TEXT NOT NULL, email TEXT, name TEXT NOT NULL, UNIQUE (org, email)); CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT);"
            let (source, target) = try sourceAndTarget(in: directory, "a.db", "b.db", schema: schema,
                source: "INSERT INTO people VALUES ('p1', 'acme', NULL, 'Ann'), ('p3', 'acme', 'cy@example.com', 'Cy');",
                target: "INSERT INTO people VALUES ('q1', 'acme', 'dee@example.com', 'Dee');")
            // Both keep a sync book, but people has no cloudId: its identity is the key alone.
            // (A plain `ferry prepare` would give people a cloudId, since its key allows NULL.)
            for path in [source, target] { #expect(try ferry(["prepare", "--db", path.path, "--tables", "notes", "--quiet"]).status == 0) }
            let first = directory.appendingPathComponent("first")
            #expect(try ferry(["export", "--db", source.path, "--out", first.path, "--quiet"]).status == 0)
            #expect(try ferry(["import", first.path, "--db", target.path, "--quiet"]).status == 0)
            // A second person without an email: the book knows Ann's entry, whose key is also NULL.
            try database(source, "INSERT INTO people (id, org, email, name) VALUES ('p2', 'acme', NULL, 'Bob')")
            let second = directory.appendingPathComponent("second")
            #expect(try ferry(["export", "--db", source.path, "--out", second.path, "--quiet"]).status == 0)
            let result = try ferry(["import", second.path, "--db", target.path])
            #expect(result.status == 0, "no false deleted-here conflict: \(result.stderr)")
            #expect(!result.stderr.contains("source-wins"), "no advice that would duplicate rows")
            #expect(try scalar(target, "SELECT count(*) FROM people") == .integer(4))
            // Both ways and once more: still four rows on each side, nothing in conflict.
            let back = directory.appendingPathComponent("back")
            #expect(try ferry(["export", "--db", target.path, "--out", back.path, "--quiet"]).status == 0)
            let returned = try ferry(["import", back.path, "--db", source.path])
            #expect(returned.status == 0, "stderr: \(returned.stderr)")
            let again = try ferry(["import", second.path, "--db", target.path])
            #expect(again.status == 0, "stderr: \(again.stderr)")
            #expect(try scalar(target, "SELECT count(*) FROM people") == .integer(4))
            #expect(try scalar(source, "SELECT count(*) FROM people") == .integer(4))
        }
    }

    /// In a profile's `match`, NULL equals NULL: the row is found, not duplicated.
    @Test func aNullInAMatchCompositeEqualsNull() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE content (id TEXT PRIMARY KEY, title TEXT NOT NULL, type TEXT, body TEXT);"
            let (source, target) = try sourceAndTarget(in: directory, "a.db", "b.db", schema: schema,
                source: "INSERT INTO content VALUES ('c1', 'Welcome', NULL, 'hello');",
                target: "INSERT INTO content VALUES ('x9', 'Welcome', NULL, 'hello'), ('x8', 'Welcome', 'page', 'other');")
            let profile = directory.appendingPathComponent("profile.json")
            try Data(#"{"tables": {"content": {"match": [["title", "type"]]}}}"#.utf8).write(to: profile)
            let changeset = try exportChangeset(source, in: directory, profile: profile)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try scalar(target, "SELECT count(*) FROM content") == .integer(2), "matched x9, no duplicate")
        }
    }

    @Test func aTableMatchedByAnIntegerIdAloneIsNamedWithItsFix() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE colors (id INTEGER PRIMARY KEY, label TEXT NOT NULL, hex TEXT);"
            let (source, target) = try sourceAndTarget(in: directory, "a.db", "b.db", schema: schema,
                source: "INSERT INTO colors VALUES (1, 'red', 'f00'), (2, 'green', '0f0');",
                target: "INSERT INTO colors VALUES (7, 'green', '0f0');")
            let profile = try ferry(["profile", "--db", target.path])
            #expect(profile.status == 0)
            #expect(profile.stderr.contains("warning: table colors is matched by its primary key (id) alone"), "stderr: \(profile.stderr)")
            #expect(profile.stderr.contains(#""match": [["label"]]"#), "it says which match line fixes it: \(profile.stderr)")
            let changeset = try exportChangeset(source, in: directory)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--quiet"])
            #expect(result.stderr.contains("warning: table colors is matched by its primary key (id) alone"), "import warns even with --quiet: \(result.stderr)")
            // An empty target has nothing to duplicate: no warning.
            let fresh = try ferry(["import", changeset.path, "--db", directory.appendingPathComponent("new.db").path, "--quiet"])
            #expect(!fresh.stderr.contains("warning"), "stderr: \(fresh.stderr)")
        }
    }

    // MARK: found by a hostile tester

    @Test func theDemoNeverWritesIntoAFolderOfTheUsersFiles() throws {
        try withTemporaryDirectory { directory in
            let mine = directory.appendingPathComponent("local.db")
            try buildSampleLocal(at: mine)
            let before = try snapshot(directory)
            let result = try ferry(["demo", "--work-dir", directory.path])
            expectCleanRefusal(result, mentions: ["is not empty", "local.db"])
            #expect(try snapshot(directory) == before)
            let file = try ferry(["demo", "--work-dir", mine.path])
            expectCleanRefusal(file, mentions: ["is a file"])
        }
    }

    @Test func aKilledExportsLeftoversAreRemovedByTheNextExport() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("source.db")
            try buildSampleLocal(at: db)
            // What a killed export leaves: a staging folder named after a process that is gone.
            let dead = directory.appendingPathComponent(".out.tmp-999999999-0b1e")
            try FileManager.default.createDirectory(at: dead, withIntermediateDirectories: true)
            try Data("half".utf8).write(to: dead.appendingPathComponent("users.ndjson.gz"))
            // A running export's (this process is alive) is left alone.
            let alive = directory.appendingPathComponent(".out.tmp-\(getpid())-0b1e")
            try FileManager.default.createDirectory(at: alive, withIntermediateDirectories: true)
            #expect(try ferry(["export", "--db", db.path, "--out", directory.appendingPathComponent("out").path, "--quiet"]).status == 0)
            #expect(!FileManager.default.fileExists(atPath: dead.path), "the dead export's staging folder is gone")
            #expect(FileManager.default.fileExists(atPath: alive.path), "a live one's stays")
        }
    }

    @Test func forceChecksThatTableFilesAreGzip() throws {
        try withTemporaryDirectory { directory in
            let out = try exportSample(in: directory)
            let disguised = out.appendingPathComponent("users.ndjson.gz")
            try FileManager.default.removeItem(at: disguised)
            try FileManager.default.copyItem(at: directory.appendingPathComponent("source.db"), to: disguised)
            let before = try fileBytes(disguised)
            let result = try ferry(["export", "--db", directory.appendingPathComponent("source.db").path, "--out", out.path, "--force"])
            expectCleanRefusal(result, mentions: ["users.ndjson.gz"])
            #expect(try fileBytes(disguised) == before)
        }
    }

    @Test func anEmptyFolderIsAnOutputWithoutForce() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("source.db")
            try buildSampleLocal(at: db)
            let out = directory.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let result = try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try ferry(["verify", out.path, "--quiet"]).status == 0)
        }
    }

    @Test(arguments: ["folder", "/dev/null"])
    func aDbThatIsNoFileIsRefusedUpFront(kind: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let path = kind == "folder" ? directory.path : kind
            let result = try ferry(["import", changeset.path, "--db", path])
            expectCleanRefusal(result, mentions: [kind == "folder" ? "is a folder" : "not a regular file"])
            #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
        }
    }

    /// A UNIQUE key that allows NULL identifies no row that holds one: prepare gives such a
    /// table a cloudId, and profile says why.
    @Test func aTableWhoseKeysAllowNullGetsACloudId() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("a.db")
            let target = directory.appendingPathComponent("b.db")
            let schema = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);"
            try database(source, schema + "INSERT INTO users VALUES (1, 'a@x', 'A'), (2, NULL, 'B'), (3, NULL, 'C');")
            let profile = try ferry(["profile", "--db", source.path])
            #expect(profile.stderr.contains("warning: table users is recognised by (email), which may be NULL"), "stderr: \(profile.stderr)")
            #expect(try ferry(["prepare", "--db", source.path, "--quiet"]).status == 0)
            #expect(try scalar(source, "SELECT count(*) FROM users WHERE cloudId IS NOT NULL") == .integer(3))
            let changeset = try exportChangeset(source, in: directory)
            for _ in 0..<3 { #expect(try ferry(["import", changeset.path, "--db", target.path, "--quiet"]).status == 0) }
            #expect(try scalar(target, "SELECT count(*) FROM users") == .integer(3), "imported three times, still three rows")
        }
    }
}
