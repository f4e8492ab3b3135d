import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

// `ferry prepare` (cloudIds), the export warning for an unprepared source, and
// `ferry profile` (the resolved profile, bad profile files), through the built binary.

private let uuidV7 = try! NSRegularExpression(pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

private func isUUIDv7(_ text: String) -> Bool {
    uuidV7.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
}

/// The column names of a table (PRAGMA table_info), by the system sqlite3.
private func columnNames(_ db: URL, _ table: String) throws -> [String] {
    try sqlite3(db, "SELECT name FROM pragma_table_info('\(table)')").split(separator: "\n").map(String.init)
}

/// `id|cloudId` lines of a table, ordered by id.
private func cloudIds(_ db: URL, _ table: String) throws -> [String] {
    try sqlite3(db, "SELECT id, cloudId FROM \(table) ORDER BY id").split(separator: "\n").map(String.init)
}

/// The sample's local database alone, unprepared.
private func buildLocal(in directory: URL) throws -> URL {
    let db = directory.appendingPathComponent("local.db")
    try SampleCRM(folder: sampleFolder.path).build(.local, at: db.path)
    return db
}

@Suite struct PrepareCommandTests {
    /// 8. prepare fills NULL cloudIds with UUIDv7s, only where needed, and is idempotent.
    @Test func prepareFillsCloudIdsOnceAndKeepsThem() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            let started = Date()
            let first = try ferry(["prepare", "--db", db.path])
            #expect(first.status == 0, "stderr: \(first.stderr)")
            for table in ["customers", "proposals", "content"] {
                #expect(first.stderr.contains("\(table): 5 cloudIds filled"), "stderr: \(first.stderr)")
                #expect(try sqlite3(db, "SELECT count(*) FROM \(table) WHERE cloudId IS NULL") == "0\n")
            }
            // Tables with a natural key get no cloudId column without --tables.
            for table in ["users", "roles", "permissions", "products"] {
                #expect(try !columnNames(db, table).contains("cloudId"), "\(table) got a cloudId column")
                #expect(!first.stderr.contains("\(table):"), "stderr: \(first.stderr)")
            }

            let customers = try cloudIds(db, "customers")
            #expect(customers.count == 5)
            var all: [String] = []
            for table in ["customers", "proposals", "content"] {
                all += try sqlite3(db, "SELECT cloudId FROM \(table)").split(separator: "\n").map(String.init)
            }
            #expect(all.count == 15)
            #expect(Set(all).count == 15, "cloudIds repeat")
            for id in all {
                #expect(isUUIDv7(id), "not a UUIDv7: \(id)")
                // The first 48 bits are the Unix time in milliseconds: now, give or take.
                let milliseconds = UInt64(id.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16) ?? 0
                let time = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
                #expect(abs(time.timeIntervalSince(started)) < 600, "cloudId \(id) carries time \(time)")
            }

            let second = try ferry(["prepare", "--db", db.path])
            #expect(second.status == 0, "stderr: \(second.stderr)")
            for table in ["customers", "proposals", "content"] {
                #expect(second.stderr.contains("\(table): 0 cloudIds filled"), "stderr: \(second.stderr)")
                #expect(!second.stderr.contains("\(table): added"), "stderr: \(second.stderr)")
            }
            #expect(try cloudIds(db, "customers") == customers, "a second prepare changed existing cloudIds")
        }
    }

    /// 8. A row added later gets a cloudId; the others keep theirs.
    @Test func prepareFillsOnlyTheNullCloudIds() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            try #require(try ferry(["prepare", "--db", db.path]).status == 0)
            let before = try cloudIds(db, "customers")
            _ = try sqlite3(db, "INSERT INTO customers (id, company, createdBy, createdAt) VALUES ('zzz-new', 'Late Arrival Ltd', 'cmu3xylc00009k3v9lds7nk59', '2026-11-01T00:00:00.000Z')")
            let result = try ferry(["prepare", "--db", db.path, "--tables", "customers"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("customers: 1 cloudId filled"), "stderr: \(result.stderr)")
            let after = try cloudIds(db, "customers")
            #expect(Array(after.prefix(5)) == before)
            let newRow = try #require(after.last)
            #expect(newRow.hasPrefix("zzz-new|"))
            #expect(isUUIDv7(String(newRow.dropFirst("zzz-new|".count))))
        }
    }

    /// 8. --tables adds the column and a unique index even to a table with a natural key.
    @Test func prepareTablesAddsACloudIdColumnWithAUniqueIndex() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            let result = try ferry(["prepare", "--db", db.path, "--tables", "users"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("users: added cloudId"), "stderr: \(result.stderr)")
            #expect(result.stderr.contains("10 cloudIds filled"), "stderr: \(result.stderr)")
            #expect(!result.stderr.contains("customers:"), "--tables users prepared other tables: \(result.stderr)")
            #expect(try columnNames(db, "users").contains("cloudId"))
            let uniqueIndexes = try sqlite3(db, """
                SELECT il.name FROM pragma_index_list('users') AS il JOIN pragma_index_info(il.name) AS ii
                WHERE il."unique" = 1 AND ii.name = 'cloudId'
                """)
            #expect(!uniqueIndexes.isEmpty, "no unique index on users.cloudId")
            let ids = try sqlite3(db, "SELECT cloudId FROM users").split(separator: "\n").map(String.init)
            #expect(ids.count == 10)
            #expect(ids.allSatisfy(isUUIDv7), "\(ids)")
            #expect(Set(ids).count == 10)
            // The other tables are untouched.
            #expect(try sqlite3(db, "SELECT count(*) FROM customers WHERE cloudId IS NOT NULL") == "0\n")
            #expect(try sqlite3(db, "PRAGMA integrity_check") == "ok\n")
        }
    }

    /// 8. An unknown table fails, naming the tables there are.
    @Test func prepareUnknownTableFailsListingTheTables() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            let before = try fileBytes(db)
            let result = try ferry(["prepare", "--db", db.path, "--tables", "nosuch"])
            #expect(result.status != 0)
            #expect(!looksLikeACrash(result.stderr))
            #expect(result.stderr.contains("nosuch"), "stderr: \(result.stderr)")
            for table in SampleCRM.tables {
                #expect(result.stderr.contains(table), "the message does not list \(table): \(result.stderr)")
            }
            #expect(try fileBytes(db) == before)
        }
    }

    /// A database with full-text search: FTS5 keeps its index in shadow tables (notes_fts_data,
    /// _idx, _content, _docsize, _config) whose columns the module relies on.
    private func buildFullTextDatabase(in directory: URL) throws -> URL {
        let db = directory.appendingPathComponent("fts.db")
        _ = try sqlite3(db, """
            CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
            INSERT INTO notes VALUES (1, 'hello world'), (2, 'ferry boats');
            CREATE VIRTUAL TABLE notes_fts USING fts5(body);
            INSERT INTO notes_fts (rowid, body) SELECT id, body FROM notes;
            """)
        return db
    }

    private func shadowTables(_ db: URL) throws -> [String] {
        try sqlite3(db, "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow' ORDER BY name").split(separator: "\n").map(String.init)
    }

    /// prepare is the one command that writes to a source: it must not break the app's full-text search.
    @Test
    func prepareLeavesFullTextShadowTablesAlone() throws {
        try withTemporaryDirectory { directory in
            let db = try buildFullTextDatabase(in: directory)
            let shadows = try shadowTables(db)
            try #require(shadows.count >= 4, "no FTS5 shadow tables: \(shadows)")
            let result = try ferry(["prepare", "--db", db.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try columnNames(db, "notes").contains("cloudId"), "notes has no natural key, so it gets a cloudId")
            for shadow in shadows {
                #expect(try !columnNames(db, shadow).contains("cloudId"), "prepare altered the FTS5 shadow table \(shadow)")
                #expect(!result.stderr.contains("\(shadow):"), "stderr: \(result.stderr)")
            }
            // The full-text index still takes writes and answers queries.
            let write = try runTool("/usr/bin/sqlite3", [db.path, "INSERT INTO notes_fts (rowid, body) VALUES (3, 'another ferry'); SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'ferry';"])
            #expect(write.status == 0, "FTS5 broken after prepare: \(write.stderr)")
            #expect(write.stdout == "2\n")
            let check = try runTool("/usr/bin/sqlite3", [db.path, "INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check');"])
            #expect(check.status == 0, "FTS5 integrity-check: \(check.stderr)")
        }
    }

    /// Export ships user tables: not the FTS5 module's shadow tables, whose rows are an index
    /// the target's own module must build.
    @Test
    func exportLeavesOutFullTextShadowTables() throws {
        try withTemporaryDirectory { directory in
            let db = try buildFullTextDatabase(in: directory)
            let shadows = Set(try shadowTables(db))
            let out = directory.appendingPathComponent("out")
            let result = try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let names = (try readManifest(out)["tables"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names.contains("notes"))
            #expect(shadows.isDisjoint(with: names), "exported shadow tables: \(names)")
        }
    }

    /// 9. Exporting an unprepared source warns, still succeeds, records the warnings, and leaves the source as it was.
    @Test func exportOfAnUnpreparedSourceWarnsAndChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            let before = try fileBytes(db)
            let out = directory.appendingPathComponent("out")
            let result = try ferry(["export", "--db", db.path, "--out", out.path, "--profile", sampleProfile.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let warning = try #require(result.stderr.split(separator: "\n").first { $0.hasPrefix("warning:") && $0.contains("customers") },
                                       "no warning naming customers: \(result.stderr)")
            #expect(warning.contains("ferry prepare"), "the warning does not advise ferry prepare: \(warning)")
            let warnings = try #require(try readManifest(out)["warnings"] as? [String], "the manifest has no warnings array")
            #expect(warnings.contains { $0.contains("customers") }, "\(warnings)")
            #expect(try fileBytes(db) == before, "export changed the source")
            for suffix in ["-journal", "-wal", "-shm"] {
                #expect(!FileManager.default.fileExists(atPath: db.path + suffix))
            }

            // Once prepared, the warning is gone.
            try #require(try ferry(["prepare", "--db", db.path, "--quiet"]).status == 0)
            let again = try ferry(["export", "--db", db.path, "--out", directory.appendingPathComponent("out2").path, "--profile", sampleProfile.path])
            #expect(again.status == 0)
            #expect(!again.stderr.contains("warning:"), "stderr: \(again.stderr)")
        }
    }
}

@Suite struct ProfileCommandTests {
    /// 10. The resolved profile: natural keys from the schema, match sets and the cloudId from the file, references.
    @Test func profilePrintsTheResolvedProfile() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            let result = try ferry(["profile", "--db", db.path, "--profile", sampleProfile.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let profile = try jsonObject(result.stdout)
            let tables = try #require(profile["tables"] as? [String: [String: Any]], "stdout: \(result.stdout)")
            #expect(Set(tables.keys) == Set(SampleCRM.tables))
            #expect(tables["users"]?["naturalKeys"] as? [[String]] == [["email"]])
            #expect(tables["roles"]?["naturalKeys"] as? [[String]] == [["name"]])
            #expect(tables["products"]?["naturalKeys"] as? [[String]] == [["sku"]])
            #expect(tables["permissions"]?["naturalKeys"] as? [[String]] == [["resource", "action", "scope"]])
            #expect(tables["customers"]?["cloudId"] as? String == "cloudId")
            #expect(tables["customers"]?["match"] as? [[String]] == [["email"], ["company"]])
            #expect(tables["content"]?["match"] as? [[String]] == [["title", "type", "createdBy"]])
            let userReferences = try #require(tables["users"]?["references"] as? [[String: Any]])
            #expect(userReferences.first?["table"] as? String == "roles")
            #expect(userReferences.first?["columns"] as? [String] == ["roleId"])
            let contentParents = (tables["content"]?["references"] as? [[String: Any]] ?? []).compactMap { $0["table"] as? String }
            #expect(Set(contentParents) == ["users", "content"])
        }
    }

    /// 10. Without a profile file, only what the schema says.
    @Test func profileWithoutAFileDerivesFromTheSchema() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            let result = try ferry(["profile", "--db", db.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let tables = try #require(try jsonObject(result.stdout)["tables"] as? [String: [String: Any]])
            #expect(tables["users"]?["naturalKeys"] as? [[String]] == [["email"]])
            let customerMatch = try #require(tables["customers"]?["match"] as? [[String]], "customers has a match list")
            #expect(customerMatch.isEmpty, "no fallback composite without a profile file")
            #expect(tables["customers"]?["cloudId"] as? String == "cloudId", "the cloudId column is found by its name")
        }
    }

    /// 10. A profile naming a column the table lacks fails, naming the column and the table.
    @Test func profileWithAMissingColumnFails() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            let bad = directory.appendingPathComponent("bad-profile.json")
            try Data(#"{"tables": {"customers": {"match": [["emial"]]}}}"#.utf8).write(to: bad)
            let result = try ferry(["profile", "--db", db.path, "--profile", bad.path])
            #expect(result.status != 0)
            #expect(!looksLikeACrash(result.stderr))
            #expect(result.stderr.contains("emial"), "stderr: \(result.stderr)")
            #expect(result.stderr.contains("customers"), "stderr: \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    /// 10. A profile file that is not JSON fails, naming the file.
    @Test func profileThatIsNotJSONFails() throws {
        try withTemporaryDirectory { directory in
            let db = try buildLocal(in: directory)
            let bad = directory.appendingPathComponent("not-json-profile.json")
            try Data("tables: customers\n".utf8).write(to: bad)
            let result = try ferry(["profile", "--db", db.path, "--profile", bad.path])
            #expect(result.status != 0)
            #expect(!looksLikeACrash(result.stderr))
            #expect(result.stderr.contains(bad.path), "stderr: \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}
