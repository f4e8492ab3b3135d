import Foundation
import FerryKit
import FerrySQLite
import FerryStores
import Testing

/// Support tickets: `export --where` ships one case's rows with their foreign-key closure
/// (`--with-children` adds the rows pointing at them), and `--redact` keeps what the
/// support engineer must not see out of every byte of the changeset.
@Suite struct TicketTests {
    let testCompany = "customers:email = 'contact@testcompanyxyz.com'"

    func sampleSource(in directory: URL, _ side: SampleCRM.Side = .local, name: String = "source.db") throws -> URL {
        let db = directory.appendingPathComponent(name)
        try SampleCRM(folder: packageRoot.appendingPathComponent("samples/crm").path).build(side, at: db.path)
        return db
    }

    func export(_ db: URL, to out: URL, _ arguments: [String]) throws -> CommandResult {
        try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"] + arguments)
    }

    /// A `.ferry` bundle unpacked with the system tar, to read as a folder.
    func unpacked(_ bundle: URL) throws -> URL {
        let folder = bundle.deletingPathExtension().appendingPathExtension("unpacked")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = try runTool("/bin/tar", ["-xf", bundle.path, "-C", folder.path])
        try #require(result.status == 0, "tar failed: \(result.stderr)")
        return folder
    }

    func foreignKeyProblems(_ db: URL) throws -> String {
        try sqlite3(db, "PRAGMA foreign_key_check")
    }

    @Test func aCustomerWithItsChildrenImportsIntoAnEmptyDatabaseWithEveryForeignKeyIntact() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let ticket = directory.appendingPathComponent("ticket.ferry")
            let exported = try export(source, to: ticket, ["--where", testCompany, "--with-children"])
            #expect(exported.status == 0, "\(exported.stderr)")
            let target = directory.appendingPathComponent("support.db")
            let imported = try ferry(["import", ticket.path, "--db", target.path, "-q"])
            #expect(imported.status == 0, "\(imported.stderr)")
            let counts = try rowCounts(ofDatabase: target)
            // The customer, its two proposals, the product they sell, the two users who made
            // them (the customer's owner and a proposal's), and those users' roles.
            #expect(counts["customers"] == 1 && counts["proposals"] == 2 && counts["products"] == 1, "\(counts)")
            #expect(counts["users"] == 2 && counts["roles"] == 2, "\(counts)")
            #expect(counts["permissions"] == 0 && counts["content"] == 0, "\(counts)")
            #expect(try foreignKeyProblems(target).isEmpty)
            let manifest = try readManifest(try unpacked(ticket))
            #expect(manifest["mode"] as? String == "selection")
            let selection = try #require(manifest["selection"] as? [String: Any])
            #expect(selection["withChildren"] as? Bool == true)
            #expect((selection["filters"] as? [[String: Any]])?.first?["condition"] as? String == "email = 'contact@testcompanyxyz.com'")
            let inspected = try ferry(["inspect", ticket.path, "--rows", "0"])
            #expect(inspected.stdout.contains("selection  customers: email = 'contact@testcompanyxyz.com', with children"), "\(inspected.stdout)")
        }
    }

    @Test func withoutChildrenOnlyTheRowAndWhatItPointsAtShip() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let ticket = directory.appendingPathComponent("ticket")
            #expect(try export(source, to: ticket, ["--where", testCompany]).status == 0)
            let rows = Dictionary(uniqueKeysWithValues: try (readManifest(ticket)["tables"] as? [[String: Any]] ?? []).map { ($0["name"] as! String, $0["rows"] as! Int) })
            #expect(rows == ["customers": 1, "users": 1, "roles": 1, "proposals": 0, "products": 0, "permissions": 0, "content": 0], "\(rows)")
        }
    }

    /// Self references and cycles: a reply's thread up to its root, and two rows that point
    /// at each other, each shipped once.
    @Test func theClosureFollowsSelfReferencesAndCycles() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("staff.db")
            try database(source, """
                CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT NOT NULL, manager INTEGER REFERENCES staff(id), buddy INTEGER REFERENCES staff(id));
                INSERT INTO staff VALUES (1, 'ceo', NULL, NULL), (2, 'vp', 1, NULL), (3, 'lead', 2, NULL), (4, 'dev', 3, 5), (5, 'dev2', 3, 4), (6, 'other', 1, NULL);
                """)
            let ticket = directory.appendingPathComponent("ticket")
            let exported = try export(source, to: ticket, ["--where", "staff:name = 'dev'"])
            #expect(exported.status == 0, "\(exported.stderr)")
            #expect(try tableLines(ticket, "staff").count == 5, "dev, dev2 (its buddy), lead, vp and ceo")
            let target = directory.appendingPathComponent("target.db")
            #expect(try ferry(["import", ticket.path, "--db", target.path, "-q"]).status == 0)
            #expect(try sqlite3(target, "SELECT group_concat(name, ',') FROM (SELECT name FROM staff ORDER BY id)") == "ceo,vp,lead,dev,dev2\n")
            #expect(try foreignKeyProblems(target).isEmpty)
        }
    }

    @Test func aConditionThatReadsAnotherTableAttachesOrWritesIsRefused() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let before = try fileBytes(source)
            let attempts: [(String, [String])] = [
                ("customers:createdBy IN (SELECT id FROM users WHERE email LIKE 'a%')", ["reads table users"]),
                ("customers:1 = 1); ATTACH DATABASE '\(directory.path)/x.db' AS x; --", ["one SQL expression"]),
                ("customers:1; DELETE FROM users", ["one SQL expression"]),
                ("customers:load_extension('/tmp/x.so') IS NULL", ["calls load_extension"]),
                ("customers:(SELECT count(*) FROM sqlite_master) > 0", ["reads table sqlite_master"]),
                ("customers:nosuchcolumn = 1", ["nosuchcolumn"]),
                ("nosuchtable:1 = 1", ["no such table"]),
            ]
            for (index, (condition, mentions)) in attempts.enumerated() {
                let out = directory.appendingPathComponent("t\(index)")
                expectCleanRefusal(try export(source, to: out, ["--where", condition]), condition, mentions: mentions)
                #expect(!FileManager.default.fileExists(atPath: out.path), "\(condition) left a changeset")
            }
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.db").path))
            #expect(try fileBytes(source) == before, "a refused --where changed the source")
        }
    }

    /// A filtered changeset stands for a case, never for the store: `--prune` refuses it,
    /// and the source's chain of exports goes on as if it had not been made.
    @Test func aSelectionIsNeverMistakenForAFullExportAndLeavesTheChainAlone() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            #expect(try ferry(["prepare", "--db", source.path, "-q"]).status == 0)
            let full = directory.appendingPathComponent("full")
            #expect(try export(source, to: full, []).status == 0)
            try database(source, "UPDATE products SET stock = stock + 1 WHERE sku = 'CRM-ENT-Y'")
            let ticket = directory.appendingPathComponent("ticket")
            #expect(try export(source, to: ticket, ["--where", testCompany, "--with-children"]).status == 0)
            #expect(try readManifest(ticket)["formatVersion"] != nil)
            #expect(try tableLines(ticket, "products").allSatisfy { !$0.contains("\"hash\"") && !$0.contains("\"base\"") }, "a ticket carries no sync state")
            let next = directory.appendingPathComponent("next")
            #expect(try export(source, to: next, ["--incremental"]).status == 0)
            #expect(try readManifest(next)["incrementalTo"] as? String == readManifest(full)["changesetId"] as? String)
            #expect(try tableLines(next, "products").count == 1, "the edit made before the ticket still ships")
            let mirror = try sampleSource(in: directory, name: "mirror.db")
            expectCleanRefusal(try ferry(["import", ticket.path, "--db", mirror.path, "--prune"]), mentions: ["--prune needs a full changeset", "selection"])
            expectCleanRefusal(try ferry(["export", "--db", source.path, "--out", directory.appendingPathComponent("x").path, "--where", testCompany, "--incremental"]),
                               mentions: ["--incremental"])
            expectCleanRefusal(try ferry(["export", "--db", source.path, "--out", directory.appendingPathComponent("y").path, "--with-children"]),
                               mentions: ["--where"])
        }
    }

    /// Every email and phone number of the source, in the bytes of the bundle, raw and
    /// decompressed.
    func expectNoOriginal(_ values: [String], in bundle: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let folder = bundle.pathExtension == "ferry" ? try unpacked(bundle) : bundle
        var raw = bundle.pathExtension == "ferry" ? try fileBytes(bundle) : Data()
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) { raw += try fileBytes(folder.appendingPathComponent(file)) }
        let reader = try ChangesetReader(path: bundle.path)
        var texts = [String(decoding: raw, as: UTF8.self)]
        for table in reader.manifest.tables {
            texts.append(try tableLines(folder, table.name).joined(separator: "\n"))
        }
        for value in values where !value.isEmpty {
            for text in texts {
                #expect(!text.contains(value), "\(value) appears in the bundle", sourceLocation: sourceLocation)
            }
            #expect(raw.range(of: Data(value.utf8)) == nil, sourceLocation: sourceLocation)
        }
    }

    @Test func aRedactedTicketHoldsNoOriginalEmailOrPhoneAndStillImportsWithItsKeys() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let key = directory.appendingPathComponent("redact.key")
            try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: key)
            let ticket = directory.appendingPathComponent("ticket.ferry")
            let exported = try export(source, to: ticket, ["--where", testCompany, "--with-children", "--redact", "users.email=hash", "--redact", "customers.email=hash",
                                                           "--redact", "customers.phone=mask", "--redact", "customers.name=null", "--redact", "users.id=hash", "--redact-key", key.path])
            #expect(exported.status == 0, "\(exported.stderr)")
            let originals = try sqlite3(source, "SELECT email FROM users UNION ALL SELECT email FROM customers UNION ALL SELECT phone FROM customers UNION ALL SELECT name FROM customers UNION ALL SELECT id FROM users")
                .split(separator: "\n").map(String.init)
            #expect(originals.count > 20)
            try expectNoOriginal(originals, in: ticket)
            #expect(try fileBytes(ticket).range(of: try fileBytes(key)) == nil, "the key is in the bundle")
            let manifest = try readManifest(try unpacked(ticket))
            let redaction = try #require(manifest["redaction"] as? [String: Any])
            let columns = try #require(redaction["columns"] as? [[String: Any]])
            // customers.createdBy and proposals.createdBy point at the hashed users.id: hashed alike.
            #expect(columns.contains { $0["table"] as? String == "proposals" && $0["column"] as? String == "createdBy" && $0["follows"] as? String == "users.id" }, "\(columns)")
            #expect((redaction["keyId"] as? String)?.count == 16)
            // The condition names an email the redaction hides: the manifest keeps only its table.
            let filter = try #require(((manifest["selection"] as? [String: Any])?["filters"] as? [[String: Any]])?.first)
            #expect(filter["table"] as? String == "customers" && (filter["condition"] == nil || filter["condition"] is NSNull), "\(filter)")
            let target = directory.appendingPathComponent("support.db")
            let imported = try ferry(["import", ticket.path, "--db", target.path, "-q"])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(try foreignKeyProblems(target).isEmpty)
            #expect(try rowCount(target, "users") == 2)
            #expect(try sqlite3(target, "SELECT phone, name IS NULL FROM customers") == "+* *** **00|1\n")
            #expect(try sqlite3(target, "SELECT count(*) FROM users WHERE email LIKE '%@redacted.invalid'") == "2\n")
        }
    }

    /// The field scenario's two stores hold the same people under other ids: tickets from
    /// each, made with one key, meet in one support database without a duplicate.
    @Test func twoTicketsMadeWithTheSameKeyReconcileWithoutDuplicates() throws {
        try withTemporaryDirectory { directory in
            let local = try sampleSource(in: directory)
            let cloud = try sampleSource(in: directory, .cloud, name: "cloud.db")
            let key = directory.appendingPathComponent("redact.key")
            try Data("a support team's shared secret, 2026".utf8).write(to: key)
            let redact = ["--redact", "users.email=hash", "--redact", "customers.email=hash", "--redact", "customers.phone=mask", "--redact-key", key.path]
            let first = directory.appendingPathComponent("first.ferry"), second = directory.appendingPathComponent("second.ferry")
            #expect(try export(local, to: first, ["--where", testCompany, "--with-children"] + redact).status == 0)
            #expect(try export(cloud, to: second, ["--where", "users:1 = 1"] + redact).status == 0)
            let target = directory.appendingPathComponent("support.db")
            #expect(try ferry(["import", first.path, "--db", target.path, "-q"]).status == 0)
            let again = try ferry(["import", second.path, "--db", target.path, "-q", "--on-conflict", "source-wins"])
            #expect(again.status == 0, "\(again.stderr)")
            let users = try rowCount(target, "users")
            #expect(users == (try rowCount(cloud, "users")), "hashed emails from both sides matched: \(users) users")
            #expect(try sqlite3(target, "SELECT count(*) - count(DISTINCT email) FROM users") == "0\n")
            // With another key, nothing would match: refused by name.
            let otherKey = directory.appendingPathComponent("other.key")
            try Data("another team's secret, not shared".utf8).write(to: otherKey)
            let third = directory.appendingPathComponent("third.ferry")
            #expect(try export(cloud, to: third, ["--where", "users:1 = 1", "--redact", "users.email=hash", "--redact-key", otherKey.path]).status == 0)
            expectCleanRefusal(try ferry(["import", third.path, "--db", target.path]), mentions: ["another key"])
        }
    }

    @Test func aRedactedChangesetIsRefusedIntoAStoreWithRealRowsUnlessAllowed() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let key = directory.appendingPathComponent("redact.key")
            try Data("sixteen bytes or more of secret".utf8).write(to: key)
            let ticket = directory.appendingPathComponent("ticket")
            #expect(try export(source, to: ticket, ["--redact", "users.email=hash", "--redact-key", key.path]).status == 0)
            let real = try sampleSource(in: directory, .cloud, name: "real.db")
            let before = try fileBytes(real)
            expectCleanRefusal(try ferry(["import", ticket.path, "--db", real.path]), mentions: ["redacted", "holds real rows", "--allow-redacted"])
            #expect(try fileBytes(real) == before)
            let allowed = try ferry(["import", ticket.path, "--db", real.path, "--allow-redacted", "-q", "--on-conflict", "source-wins"])
            #expect(allowed.status == 0 || allowed.status == 3, "\(allowed.stderr)")
        }
    }

    @Test func rulesThatWouldBreakTheImportAreRefusedByName() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let key = directory.appendingPathComponent("redact.key")
            try Data("sixteen bytes or more of secret".utf8).write(to: key)
            let cases: [([String], [String])] = [
                (["--redact", "users.email=hash"], ["--redact-key"]),
                (["--redact", "users.email=null"], ["NOT NULL"]),
                (["--redact", "users.id=mask"], ["points at that column", "hash"]),
                (["--redact", "customers.id=mask"], ["primary key"]),
                (["--redact", "users.nickname=mask"], ["no column nickname"]),
                (["--redact", "users.email=scramble"], ["unknown rule"]),
                (["--redact", "users.email=mask"], ["unique key", "hash"]),
                (["--redact", "proposals.customerId=hash", "--redact-key", key.path], ["points at customers.id", "no row"]),
                (["--redact", "content.parentId=mask"], ["points at content.id"]),
                (["--redact", "users.email=hash", "--redact-key", "/dev/urandom"], ["not a regular file"]),
                (["--redact", "customers.phone=hash", "--redact", "customers.phone=null", "--redact-key", key.path], ["already redacted with hash"]),
                (["--profile", sampleProfile.path, "--redact", "proposals.title=mask"], ["the profile matches proposals by", "hash"]),
                (["--redact", "users.email=hash", "--redact-key", directory.appendingPathComponent("missing.key").path], ["missing.key"]),
            ]
            for (index, (arguments, mentions)) in cases.enumerated() {
                expectCleanRefusal(try export(source, to: directory.appendingPathComponent("t\(index)"), arguments), arguments.joined(separator: " "), mentions: mentions)
            }
        }
    }

    /// Found by a tester: SQLite names a referenced column in any case (`REFERENCES
    /// Person(id)` for `ID`), and hashing must follow it all the same.
    @Test func hashingFollowsAForeignKeyWhateverTheCaseOfItsNames() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("c.db")
            try database(source, """
                CREATE TABLE Person (ID INTEGER PRIMARY KEY, Email TEXT UNIQUE NOT NULL);
                CREATE TABLE a (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES person(id));
                CREATE TABLE b (id INTEGER PRIMARY KEY, pe TEXT REFERENCES Person(email));
                INSERT INTO Person VALUES (947114711, 'ann@secret.example'); INSERT INTO a VALUES (1, 947114711); INSERT INTO b VALUES (1, 'ann@secret.example');
                """)
            let key = directory.appendingPathComponent("redact.key")
            try Data("sixteen bytes or more of secret".utf8).write(to: key)
            let ticket = directory.appendingPathComponent("ticket")
            let exported = try export(source, to: ticket, ["--redact", "Person.ID=hash", "--redact", "Person.Email=hash", "--redact-key", key.path])
            #expect(exported.status == 0, "\(exported.stderr)")
            try expectNoOriginal(["ann@secret.example", "secret.example", "947114711"], in: ticket)
            let target = directory.appendingPathComponent("target.db")
            let imported = try ferry(["import", ticket.path, "--db", target.path, "-q"])
            #expect(imported.status == 0, "every reference still matches its parent: \(imported.stderr)")
            #expect(try sqlite3(target, "SELECT count(*) FROM a JOIN Person ON Person.ID = a.pid") == "1\n")
            #expect(try sqlite3(target, "SELECT count(*) FROM b JOIN Person ON Person.Email = b.pe") == "1\n")
        }
    }

    /// Found by a tester: mask kept the text after an `@` inside free text, and an integer's
    /// last two digits (half of a PIN).
    @Test func maskKeepsOnlyTheShapeOfAWholeAddressOrPhoneNumber() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("n.db")
            try database(source, """
                CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, contact TEXT, phone TEXT, pin INTEGER, salary REAL);
                INSERT INTO note VALUES (1, 'call ann@secret.example at +1 555 123 4567, PIN 47114711', 'ann@secret.example', '+1 555 123 4567', 47114711, 123456.5);
                """)
            let ticket = directory.appendingPathComponent("ticket")
            let exported = try export(source, to: ticket, ["--redact", "note.body=mask", "--redact", "note.contact=mask", "--redact", "note.phone=mask",
                                                           "--redact", "note.pin=mask", "--redact", "note.salary=mask"])
            #expect(exported.status == 0, "\(exported.stderr)")
            // Values long enough (or with a space) that no hex digest in the manifest spells them by chance.
            try expectNoOriginal(["ann@secret", "47114711", "123456", "123 4567"], in: ticket)
            let line = try #require(try tableLines(ticket, "note").first)
            #expect(line.contains(#""body":"**** ***@******.******* ** +* *** *** ****, *** ********""#), "\(line)")
            #expect(line.contains(#""contact":"***@secret.example""#) && line.contains(#""phone":"+* *** *** **67""#), "\(line)")
            #expect(line.contains(#""pin":0"#) && line.contains(#""salary":0.0"#), "\(line)")
        }
    }

    /// Found by a tester: once one redacted ticket was in the log, any later one went in
    /// beside the real rows a full import brought.
    @Test func aStoreThatTookRealRowsStaysRealAfterATicket() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let key = directory.appendingPathComponent("redact.key")
            try Data("sixteen bytes or more of secret".utf8).write(to: key)
            let redact = ["--redact", "users.email=hash", "--redact-key", key.path]
            let first = directory.appendingPathComponent("first"), full = directory.appendingPathComponent("full"), third = directory.appendingPathComponent("third")
            #expect(try export(source, to: first, ["--where", "customers:company LIKE 'Acme%'", "--with-children"] + redact).status == 0)
            #expect(try export(source, to: full, []).status == 0)
            #expect(try export(source, to: third, redact).status == 0)
            let mixed = directory.appendingPathComponent("mixed.db")
            #expect(try ferry(["import", first.path, "--db", mixed.path, "-q"]).status == 0)
            #expect(try ferry(["import", full.path, "--db", mixed.path, "-q", "--on-conflict", "source-wins"]).status != 1)
            expectCleanRefusal(try ferry(["import", third.path, "--db", mixed.path]), mentions: ["holds real rows"])
        }
    }

    @Test func aSelectionWhoseParentTableIsExcludedSaysSo() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let profile = directory.appendingPathComponent("profile.json")
            try Data(#"{"exclude": ["users"]}"#.utf8).write(to: profile)
            let result = try ferry(["export", "--db", source.path, "--out", directory.appendingPathComponent("t").path, "--profile", profile.path,
                                    "--where", "customers:company LIKE 'Acme%' -- the Acme case"])
            #expect(result.status == 0, "a trailing comment is part of the condition: \(result.stderr)")
            #expect(result.stderr.contains("customers.createdBy points at users, which the profile excludes"), "\(result.stderr)")
        }
    }

    /// Found by a tester: a child table without an index on its reference was scanned once
    /// per selected parent (quadratic). Without an index it is now scanned once per level;
    /// either way the same rows ship.
    @Test func childrenAreTheSameWithOrWithoutAnIndexOnTheReference() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("p.db")
            try database(source, """
                CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
                CREATE TABLE c (id TEXT PRIMARY KEY, p INTEGER REFERENCES p(id), note TEXT);
                CREATE TABLE g (n INTEGER, c TEXT REFERENCES c(id));
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
                INSERT INTO p SELECT i, 'p' || i FROM n;
                INSERT INTO c SELECT 'c' || id, id, 'x' FROM p;
                INSERT INTO c SELECT 'd' || id, id, 'y' FROM p WHERE id % 3 = 0;
                INSERT INTO g SELECT id, 'c' || id FROM p WHERE id % 2 = 0;
                """)
            func shipped(_ name: String) throws -> [String: Int] {
                let out = directory.appendingPathComponent(name)
                let result = try export(source, to: out, ["--where", "p:id % 10 = 0", "--with-children"])
                #expect(result.status == 0, "\(result.stderr)")
                return Dictionary(uniqueKeysWithValues: try (readManifest(out)["tables"] as? [[String: Any]] ?? []).map { ($0["name"] as! String, $0["rows"] as! Int) })
            }
            let scanned = try shipped("scanned")
            #expect(scanned == ["p": 300, "c": 400, "g": 300], "\(scanned)")
            try database(source, "CREATE INDEX c_p ON c(p); CREATE INDEX g_c ON g(c);")
            #expect(try shipped("indexed") == scanned)
        }
    }

    @Test func aSelectionOfNoRowsSaysSo() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let result = try ferry(["export", "--db", source.path, "--out", directory.appendingPathComponent("t").path, "--where", "customers:id = 'nope'"])
            #expect(result.status == 0)
            #expect(result.stderr.contains("selected no row of customers"), "\(result.stderr)")
        }
    }

    /// An AUTOINCREMENT counter is the largest id handed out: a value of the key, which a
    /// hashed key must not show. Unredacted, the counter travels as before.
    @Test func aHashedKeysAutoincrementCounterStaysHome() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("a.db")
            try database(source, "CREATE TABLE account (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL); INSERT INTO account (id, owner) VALUES (947114711, 'ann'), (947114712, 'bob');")
            let key = directory.appendingPathComponent("redact.key")
            try Data("sixteen bytes or more of secret".utf8).write(to: key)
            let plain = directory.appendingPathComponent("plain"), hashed = directory.appendingPathComponent("hashed")
            #expect(try export(source, to: plain, []).status == 0)
            #expect(try export(source, to: hashed, ["--redact", "account.id=hash", "--redact-key", key.path]).status == 0)
            #expect(try manifestTable(plain, "account")["sequence"] as? Int == 947114712)
            #expect(try manifestTable(hashed, "account")["sequence"] == nil)
            try expectNoOriginal(["947114711", "947114712"], in: hashed)
        }
    }

    @Test func aRedactKeyThatHashesNothingIsSaid() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let key = directory.appendingPathComponent("redact.key")
            try Data("sixteen bytes or more of secret".utf8).write(to: key)
            let result = try ferry(["export", "--db", source.path, "--out", directory.appendingPathComponent("t").path, "--redact", "customers.phone=mask", "--redact-key", key.path])
            #expect(result.status == 0)
            #expect(result.stderr.contains("no column is hashed"), "\(result.stderr)")
        }
    }

    @Test func aProfileCanRedactAndDropKeepsTheColumnOut() throws {
        try withTemporaryDirectory { directory in
            let source = try sampleSource(in: directory)
            let profile = directory.appendingPathComponent("profile.json")
            try Data(#"{"tables": {"customers": {"redact": {"phone": "drop", "email": "mask"}}}}"#.utf8).write(to: profile)
            let ticket = directory.appendingPathComponent("ticket")
            let exported = try export(source, to: ticket, ["--profile", profile.path])
            #expect(exported.status == 0, "\(exported.stderr)")
            let lines = try tableLines(ticket, "customers")
            #expect(lines.count == 5)
            #expect(lines.allSatisfy { !$0.contains("\"phone\"") }, "a dropped column is left out")
            #expect(lines.contains { $0.contains(#""email":"***@testcompanyxyz.com""#) }, "\(lines)")
            let phones = try sqlite3(source, "SELECT phone FROM customers WHERE phone IS NOT NULL").split(separator: "\n").map(String.init)
            try expectNoOriginal(phones, in: ticket)
        }
    }
}
