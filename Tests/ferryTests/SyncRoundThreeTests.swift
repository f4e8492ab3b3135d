import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Round three of the hostile tester, through the CLI as a user runs it. Each test fails on
/// the commit before its fix.
@Suite struct SyncRoundThreeTests {
    /// A small world of stores in one folder, driven by the ferry binary.
    struct World {
        let directory: URL
        func db(_ name: String) -> URL { directory.appendingPathComponent("\(name).db") }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        @discardableResult
        func run(_ arguments: [String], expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
            let result = try ferry(arguments + ["-q"])
            #expect(result.status == status, "ferry \(arguments.joined(separator: " ")): status \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
            return result
        }

        /// `ferry prepare` on stores a and b.
        func prepare(_ extra: [String] = []) throws {
            for store in ["a", "b"] { try run(["prepare", "--db", db(store).path] + extra) }
        }

        func export(_ store: String, _ out: String, _ extra: [String] = []) throws { try run(["export", "--db", db(store).path, "--out", path(out)] + extra) }
        func importInto(_ store: String, _ changeset: String, _ extra: [String] = [], expect status: Int32 = 0,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
            try run(["import", path(changeset), "--db", db(store).path] + extra, expect: status, sourceLocation: sourceLocation)
        }
        func rows(_ store: String, _ sql: String) throws -> [String] {
            try SQLiteDatabase(path: db(store).path, mode: .readOnly).rows(sql).map { $0.map { $0.string ?? $0.description }.joined(separator: "|") }
        }
    }

    private func world(_ schema: String, _ stores: [String] = ["a", "b"], _ body: (World) throws -> Void) throws {
        try withTemporaryDirectory { directory in
            let world = World(directory: directory)
            for store in stores { try database(world.db(store), schema) }
            try body(world)
        }
    }

    static let setNull = """
        CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);
        CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL, body TEXT);
        """

    @Test func aParentAndItsSetNullChildDeletedTogetherAreBothGone() throws {
        try world(Self.setNull) { w in
            try w.prepare()
            try database(w.db("a"), "INSERT INTO accounts (email) VALUES ('ann@x'); INSERT INTO notes (account_id, body) VALUES (1, 'n1');")
            try w.export("a", "a1")
            try w.importInto("b", "a1")
            try database(w.db("a"), "PRAGMA foreign_keys = ON; DELETE FROM notes; DELETE FROM accounts;")
            try w.export("a", "a2", ["--incremental"])
            try w.importInto("b", "a2") // no conflict: exit 0
            #expect(try w.rows("b", "SELECT count(*) FROM notes") == ["0"])
            try w.run(["replay", w.path("a1"), w.path("a2"), "--db", w.db("r").path])
            #expect(try w.rows("r", "SELECT count(*) FROM notes") == ["0"], "a replay reproduces the source")
        }
    }

    @Test func aChildMovedOffADeletedSetNullParentFollowsTheSource() throws {
        try world(Self.setNull) { w in
            try w.prepare()
            try database(w.db("a"), "INSERT INTO accounts (email) VALUES ('ann@x'), ('bob@x'); INSERT INTO notes (account_id, body) VALUES (1, 'n1');")
            try w.export("a", "a1")
            try w.importInto("b", "a1")
            try database(w.db("a"), "PRAGMA foreign_keys = ON; DELETE FROM accounts WHERE email = 'ann@x'; UPDATE notes SET account_id = (SELECT id FROM accounts WHERE email = 'bob@x');")
            try w.export("a", "a2", ["--incremental"])
            try w.importInto("b", "a2")
            #expect(try w.rows("b", "SELECT n.body, a.email FROM notes n LEFT JOIN accounts a ON a.id = n.account_id") == ["n1|bob@x"])
        }
    }

    @Test func aStaleCopyOfAChildWhoseSetNullParentWasDeletedStaysQuiet() throws {
        let schema = "CREATE TABLE employees (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL UNIQUE, manager_id INTEGER REFERENCES employees(id) ON DELETE SET NULL);"
        try world(schema) { w in
            try w.prepare()
            try database(w.db("b"), "INSERT INTO employees (code) VALUES ('E6'); INSERT INTO employees (code, manager_id) VALUES ('E7', 1);")
            try w.export("b", "b1")
            try w.importInto("a", "b1")
            try database(w.db("b"), "PRAGMA foreign_keys = ON; DELETE FROM employees WHERE code = 'E6';")
            try w.export("a", "a1") // A's full export: stale E6, and E7 still under E6
            try w.importInto("b", "a1") // exit 0: both are stale copies
            let left = try w.rows("b", "SELECT code, coalesce(manager_id, 'none') FROM employees")
            #expect(left == ["E7|none"], "\(left)")
        }
    }

    @Test func aLogTableInAPreparedStoreIsNotDuplicatedByAReplay() throws {
        try world("CREATE TABLE logs (at TEXT, msg TEXT); CREATE TABLE items (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE);", ["s"]) { w in
            try database(w.db("s"), "INSERT INTO logs VALUES ('t0', 'boot'); INSERT INTO items VALUES ('i1', 'c1');")
            try w.run(["prepare", "--db", w.db("s").path])
            #expect(try w.rows("s", "SELECT count(*) FROM pragma_table_info('logs') WHERE name = 'cloudId'") == ["0"], "a table without a primary key gets no cloudId")
            try w.export("s", "full")
            try database(w.db("s"), "INSERT INTO logs VALUES ('t1', 'late');")
            try w.export("s", "inc1", ["--incremental"])
            try w.run(["replay", w.path("full"), w.path("inc1"), "--db", w.db("r").path])
            #expect(try w.rows("r", "SELECT at, msg FROM logs ORDER BY rowid") == ["t0|boot", "t1|late"])
        }
    }

    @Test func aReplayOfAChainKeepsTheSourcesAutoincrementCounter() throws {
        try world("CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL UNIQUE);", ["s"]) { w in
            try w.run(["prepare", "--db", w.db("s").path])
            try database(w.db("s"), "INSERT INTO items (code) VALUES ('a'), ('b');")
            try w.export("s", "full")
            try database(w.db("s"), "INSERT INTO items (code) VALUES ('c'), ('d'); DELETE FROM items WHERE code = 'd';")
            try w.export("s", "inc1", ["--incremental"])
            try w.run(["replay", w.path("full"), w.path("inc1"), "--db", w.db("r").path])
            #expect(try w.rows("r", "SELECT seq FROM sqlite_sequence WHERE name = 'items'") == w.rows("s", "SELECT seq FROM sqlite_sequence WHERE name = 'items'"))
        }
    }

    @Test func preparingAgainKeepsTheCloudIdsTheBookGave() throws {
        let schema = """
            CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, sku TEXT, qty INTEGER);
            CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER REFERENCES items(id) ON DELETE CASCADE, what TEXT);
            """
        try world(schema) { w in
            try w.prepare()
            try w.export("a", "a0")
            try database(w.db("a"), "INSERT INTO items (sku, qty) VALUES ('late', 1); INSERT INTO events (item_id, what) VALUES (1, 'e');")
            try w.export("a", "a1", ["--incremental"])
            let shipped = try ChangesetReader(path: w.path("a1"))
            var cloudId: Value = .null
            try shipped.forEachRecord(in: try #require(shipped.manifest.tables.first { $0.name == "items" })) { _, record, _ in cloudId = record.cloudId }
            try w.run(["prepare", "--db", w.db("a").path])
            #expect(try scalar(w.db("a"), "SELECT cloudId FROM items") == cloudId, "prepare kept the cloudId the row crossed under")
            try database(w.db("a"), "UPDATE items SET qty = 2")
            try w.export("a", "a2", ["--incremental"])
            for changeset in ["a0", "a1"] { try w.importInto("b", changeset) }
            try database(w.db("b"), "INSERT INTO events (item_id, what) SELECT id, 'b-own-event' FROM items WHERE sku = 'late'")
            try w.importInto("b", "a2")
            #expect(try w.rows("b", "SELECT sku, qty FROM items") == ["late|2"])
            #expect(try w.rows("b", "SELECT what FROM events ORDER BY what") == ["b-own-event", "e"], "B's own child survives")
        }
    }

    @Test func aMatchCompositeNeverFoldsTwoRowsOfOneChangesetIntoOne() throws {
        try world("CREATE TABLE customers (id TEXT PRIMARY KEY, company TEXT NOT NULL, notes TEXT);") { w in
            let profile = w.path("p.json")
            try Data(#"{"tables":{"customers":{"match":[["company"]]}}}"#.utf8).write(to: URL(fileURLWithPath: profile))
            try database(w.db("a"), "INSERT INTO customers VALUES ('c1', 'Beta', 'first')")
            try w.prepare(["--profile", profile])
            try w.export("a", "a1", ["--profile", profile])
            try w.importInto("b", "a1")
            try database(w.db("b"), "INSERT INTO customers (id, company, notes) VALUES ('c2', 'Beta', 'second')") // another customer named Beta
            try w.export("b", "b1", ["--profile", profile])
            try w.importInto("a", "b1")
            #expect(try w.rows("a", "SELECT id, notes FROM customers ORDER BY id") == ["c1|first", "c2|second"])
        }
    }

    @Test func aPinnedFirstContactThatIsDeferredStaysMatched() throws {
        try world("CREATE TABLE customers (id TEXT PRIMARY KEY, company TEXT NOT NULL, notes TEXT);") { w in
            let profile = w.path("p.json")
            try Data(#"{"tables":{"customers":{"match":[["company"]]}}}"#.utf8).write(to: URL(fileURLWithPath: profile))
            try database(w.db("a"), "INSERT INTO customers VALUES ('ca2', 'Beta', 'from-a')")
            try database(w.db("b"), "INSERT INTO customers VALUES ('cb2', 'Beta', 'x'), ('cb3', 'Beta', 'y')")
            try w.prepare(["--profile", profile])
            try w.export("a", "a1", ["--profile", profile])
            try w.importInto("b", "a1", ["--pin", "customers:ca2=cb2"], expect: 3) // a deferred first-contact conflict
            try database(w.db("a"), "UPDATE customers SET notes = 'from-a-2'")
            try w.export("a", "a2", ["--incremental", "--profile", profile])
            try w.importInto("b", "a2", ["--on-conflict", "source-wins"]) // no pin now: matched by the cloudId the pin stamped
            let held = try w.rows("b", "SELECT id, notes FROM customers ORDER BY id")
            #expect(held == ["cb2|from-a-2", "cb3|y"], "\(held)")
        }
    }

    /// Round four: versions that credit the target with more changes than it ever made are
    /// forged (or from a copy): the import refuses the changeset whole, nothing changes.
    @Test func versionsCreditingTheTargetWithChangesItNeverMadeAreRefused() throws {
        try world("CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);") { w in
            try w.prepare()
            try database(w.db("a"), "INSERT INTO users VALUES ('u1', 'ann@x', 'Ann')")
            try w.export("a", "a0")
            try w.importInto("b", "a0")
            try database(w.db("b"), "UPDATE users SET name = 'edited here'")
            try database(w.db("a"), "DELETE FROM users")
            try w.export("a", "a1", ["--incremental"])
            let storeId = try #require(try scalar(w.db("b"), "SELECT value FROM _ferry_state WHERE key = 'storeId'")?.string)
            let changeset = URL(fileURLWithPath: w.path("a1"))
            let forged = try tableLines(changeset).map { $0.replacingOccurrences(of: #""versions":{"#, with: #""versions":{"\#(storeId)":9007199254740992,"#) }
            try writeTableLines(changeset, "users", forged)
            let result = try ferry(["import", changeset.path, "--db", w.db("b").path])
            #expect(result.status == 1 && result.stderr.contains("more than it ever made"), "status \(result.status): \(result.stderr)")
            #expect(try w.rows("b", "SELECT name FROM users") == ["edited here"], "the forged delete took nothing")
        }
    }

    /// Round four: a parent deleted with its children in one changeset, where the children's
    /// foreign keys restrict the delete (no CASCADE): the parent's delete waits for theirs.
    @Test func aParentDeletedWithItsRestrictingChildrenInOneChangesetGoes() throws {
        let schema = """
            CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);
            CREATE TABLE members (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users(id), team TEXT NOT NULL, UNIQUE (user_id, team));
            """
        try world(schema) { w in
            try w.prepare()
            try database(w.db("a"), "INSERT INTO users (email) VALUES ('u1'), ('u2'); INSERT INTO members (user_id, team) VALUES (1, 'red'), (2, 'blue');")
            try w.export("a", "a0")
            try w.importInto("b", "a0")
            try database(w.db("a"), "DELETE FROM members WHERE team = 'blue'; DELETE FROM users WHERE email = 'u2';")
            try w.export("a", "a1", ["--incremental"])
            try w.importInto("b", "a1") // exit 0: no reject
            #expect(try w.rows("b", "SELECT email FROM users") == ["u1"])
        }
    }

    /// Round four: a delete's key given as `{"$ref":…}` must name a row and be a foreign
    /// key of the table; otherwise the delete would find nothing and vanish without a word.
    @Test func aMalformedRefInADeletesKeysIsNeverDroppedSilently() throws {
        try world("CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE);") { w in
            try w.prepare()
            try database(w.db("a"), "INSERT INTO users VALUES ('u1', 'ann@x'), ('u2', 'bob@x')")
            try w.export("a", "a0")
            try w.importInto("b", "a0")
            try database(w.db("a"), "DELETE FROM users WHERE email = 'bob@x'")
            try w.export("a", "a1", ["--incremental"])
            let changeset = URL(fileURLWithPath: w.path("a1"))
            let original = try tableLines(changeset)
            #expect(original.count == 1 && original[0].contains(#""keys":{"email":"bob@x"}"#), "\(original)")

            try writeTableLines(changeset, "users", original.map { $0.replacingOccurrences(of: #""keys":{"email":"bob@x"}"#, with: #""keys":{"email":{"$ref":{}}}"#) })
            let empty = try ferry(["import", changeset.path, "--db", w.db("b").path])
            #expect(empty.status == 1 && empty.stderr.contains("names no row"), "status \(empty.status): \(empty.stderr)")

            try writeTableLines(changeset, "users", original.map { $0.replacingOccurrences(of: #""keys":{"email":"bob@x"}"#, with: #""keys":{"email":{"$ref":{"keys":{"email":"bob@x"}}}}"#) })
            let notAForeignKey = try ferry(["import", changeset.path, "--db", w.db("b").path, "--rejects", w.path("rejects.ndjson")])
            #expect(notAForeignKey.status == 3, "status \(notAForeignKey.status): \(notAForeignKey.stderr)")
            let rejects = (try? String(contentsOfFile: w.path("rejects.ndjson"), encoding: .utf8)) ?? ""
            #expect(rejects.contains("is not a foreign key of users"), "\(rejects)")
            #expect(try w.rows("b", "SELECT count(*) FROM users") == ["2"], "nothing deleted")
        }
    }
}
