import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// Issue 13, "Messages a person reads" and "Correctness under real settings" at the CLI.
@Suite struct MessagesTests {
    @Test func aLockedTargetSaysWhoHoldsTheLockAndHowToWait() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let target = directory.appendingPathComponent("t.db")
            try FileManager.default.copyItem(at: directory.appendingPathComponent("source.db"), to: target)
            // Another program holds the write lock for a few seconds.
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            holder.arguments = ["python3", "-c", """
                import sqlite3, sys, time
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute('BEGIN IMMEDIATE'); c.execute('CREATE TABLE held (x)')
                print("locked", flush=True); time.sleep(8)
                """, target.path]
            let ready = Pipe()
            holder.standardOutput = ready
            try holder.run()
            defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
            _ = ready.fileHandleForReading.availableData // "locked"
            let started = Date()
            let result = try ferry(["import", changeset.path, "--db", target.path, "--busy-timeout", "0.3"])
            #expect(Date().timeIntervalSince(started) < 10, "--busy-timeout shortens the wait")
            expectCleanRefusal(result, mentions: ["is locked by another program", "process \(holder.processIdentifier)", "python3", "--busy-timeout"])
            #expect(!result.stderr.contains("SQLite error"), "plain words, not SQLite's: \(result.stderr)")
        }
    }

    @Test(arguments: ["import", "profile", "prepare", "export"])
    func aFileThatIsNotADatabaseIsCalledThat(command: String) throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let text = directory.appendingPathComponent("notes.db")
            try Data(String(repeating: "not a database\n", count: 400).utf8).write(to: text)
            let before = try fileBytes(text)
            let arguments: [String]
            switch command {
            case "import": arguments = ["import", changeset.path, "--db", text.path]
            case "export": arguments = ["export", "--db", text.path, "--out", directory.appendingPathComponent("out").path]
            default: arguments = [command, "--db", text.path]
            }
            let result = try ferry(arguments)
            expectCleanRefusal(result, mentions: ["is not a SQLite database"])
            #expect(!result.stderr.contains("damaged"), "stderr: \(result.stderr)")
            #expect(try fileBytes(text) == before)
        }
    }

    @Test func errorsCarryNoSQLUnlessVerbose() throws {
        try withTemporaryDirectory { directory in
            let text = directory.appendingPathComponent("notes.db")
            try Data(String(repeating: "x", count: 4096).utf8).write(to: text)
            let plain = try ferry(["profile", "--db", text.path])
            #expect(plain.stderr.split(separator: "\n").count == 1, "one line: \(plain.stderr)")
            #expect(!plain.stderr.contains("SELECT"), "no internal SQL: \(plain.stderr)")
            let verbose = try ferry(["profile", "--db", text.path, "--verbose"])
            #expect(verbose.stderr.contains("detail: SQLite error 26"), "the detail is there for those who ask: \(verbose.stderr)")
        }
    }

    /// Runs ferry as a user without write access to `folder`: as root (who may write anywhere)
    /// through setpriv as nobody, otherwise after taking the folder's write bit away.
    func ferryWithoutWriteAccess(to folder: URL, _ arguments: [String]) throws -> CommandResult {
        if getuid() == 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            return try runTool("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", ferryBinary.path] + arguments)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path) }
        return try ferry(arguments)
    }

    @Test func aReadOnlyFolderSaysItIsNotWritable() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let locked = directory.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
            let newTarget = try ferryWithoutWriteAccess(to: locked, ["import", changeset.path, "--db", locked.appendingPathComponent("new.db").path])
            expectCleanRefusal(newTarget, mentions: ["is not writable"])
            let export = try ferryWithoutWriteAccess(to: locked, ["export", "--db", directory.appendingPathComponent("source.db").path, "--out", locked.appendingPathComponent("out").path])
            expectCleanRefusal(export, mentions: ["is not writable"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
        }
    }

    @Test func verifyNeverTalksAboutImporting() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try flipByte(in: changeset.appendingPathComponent("users.ndjson.gz"))
            let result = try ferry(["verify", changeset.path])
            expectCleanRefusal(result, mentions: ["checksum mismatch"])
            #expect(!result.stderr.lowercased().contains("import"), "stderr: \(result.stderr)")
        }
    }

    @Test(arguments: [["import"], ["export", "--db", "x.db"], ["frob"], ["import", "cs", "--db", "t.db", "--on-conflict", "maybe"],
                      ["import", "cs", "--db", "t.db", "--prune-limit", "101"], ["profile", "--db", "x.db", "--busy-timeout", "-1"]])
    func aUsageErrorIsOneErrorLine(arguments: [String]) throws {
        let result = try ferry(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.split(separator: "\n").count == 1, "one error line: \(result.stderr)")
        #expect(result.stderr.contains("--help"), "it points at the help: \(result.stderr)")
    }

    @Test func inspectWithoutArgumentsSaysWhatItNeeds() throws {
        let result = try ferry(["inspect"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("inspect needs a changeset"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("--db"), "stderr: \(result.stderr)")
    }

    @Test(arguments: ["prepare", "profile", "export", "import", "replay", "verify", "inspect", "demo"])
    func everyCommandTakesQuiet(command: String) throws {
        let help = try ferry([command, "--help"])
        #expect(help.stdout.contains("--quiet"), "\(command) --help lists --quiet")
        #expect(help.stdout.contains("--verbose"), "\(command) --help lists --verbose")
    }

    @Test func quietProfileAndInspectPrintOnlyTheirOutput() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let profile = try ferry(["profile", "--db", directory.appendingPathComponent("source.db").path, "--quiet"])
            #expect(profile.status == 0 && profile.stderr.isEmpty, "stderr: \(profile.stderr)")
            let inspect = try ferry(["inspect", changeset.path, "--quiet"])
            #expect(inspect.status == 0 && inspect.stderr.isEmpty, "stderr: \(inspect.stderr)")
        }
    }

    @Test func oneIsSingular() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("source.db")
            try buildSampleLocal(at: db)
            let result = try ferry(["export", "--db", db.path, "--out", directory.appendingPathComponent("cs").path, "--tables", "roles"])
            #expect(result.stderr.contains("exported 1 table,"), "stderr: \(result.stderr)")
            #expect(!result.stderr.contains("1 tables"))
        }
    }

    @Test func demoHelpDescribesTheDemo() throws {
        let help = try ferry(["demo", "--help"]).stdout
        for step in ["local and a cloud database", "prepares both", "imports it into the cloud", "Test Company XYZ", "replays"] {
            #expect(help.contains(step), "demo --help mentions \(step): \(help)")
        }
    }

    /// A UNIQUE collision on a logical duplicate: the advice is a match rule, not an edit.
    @Test func aUniqueCollisionAdvisesAMatchRule() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("a.db")
            let target = directory.appendingPathComponent("b.db")
            // A partial UNIQUE index guards `code` but identifies no row (not outside its WHERE),
            // so the same item under another id collides instead of matching.
            for path in [source, target] {
                try SQLiteDatabase(path: path.path, mode: .readWriteCreate).execute("""
                    CREATE TABLE items (id TEXT PRIMARY KEY, code TEXT, label TEXT);
                    CREATE UNIQUE INDEX items_code ON items (code) WHERE code IS NOT NULL;
                    """)
            }
            try SQLiteDatabase(path: source.path, mode: .readWrite).execute("INSERT INTO items VALUES ('i1', 'A-1', 'anvil')")
            try SQLiteDatabase(path: target.path, mode: .readWrite).execute("INSERT INTO items VALUES ('k7', 'A-1', 'anvil')")
            let changeset = try exportChangeset(source, in: directory)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--rejects", rejects.path, "--quiet"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let text = String(decoding: try fileBytes(rejects), as: UTF8.self)
            #expect(text.contains(#"\"match\": [[\"code\"]]"#), "the advice names the match rule: \(text)")
            #expect(!text.contains("Fix the value in the record"), "not an edit that would make a duplicate: \(text)")
        }
    }

    /// A stranger's manifest cannot put escape codes on the terminal or forge an error line.
    @Test func controlCharactersFromAChangesetArePrintedEscaped() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "roles") { $0["name"] = "roles\nerror: all good\u{1B}]0;pwned\u{07}" }
            let result = try ferry(["import", changeset.path, "--db", directory.appendingPathComponent("t.db").path])
            #expect(result.status == 1)
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
            #expect(!result.stderr.contains("\u{1B}") && !result.stderr.contains("\u{07}"), "no raw escape codes: \(result.stderr)")
        }
    }

    @Test func aManifestNumberTooLargeIsExplainedInFerrysWords() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let path = changeset.appendingPathComponent("manifest.json")
            var text = try String(contentsOf: path, encoding: .utf8)
            let rows = try #require(text.range(of: #""rows" : [0-9]+"#, options: .regularExpression))
            text.replaceSubrange(rows, with: #""rows" : 18446744073709551615"#)
            try Data(text.utf8).write(to: path)
            try editManifest(changeset) { _ in } // reseal the digest around the edit
            let result = try ferry(["verify", changeset.path])
            expectCleanRefusal(result, mentions: ["64 bits"])
            #expect(!result.stderr.contains("The given data"), "not Foundation's words: \(result.stderr)")
        }
    }
}
