import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres

/// A PostgreSQL import holds the deletes of an incremental changeset and sends them a
/// table's set at a time, with the rows below the deleted parents asked once a batch
/// (`PostgresStore.hold(_:)`, `TableAccess.prefetchChildren`). The model: the same import
/// with every write sent alone, in file order. The source deletes customers (their orders
/// and those orders' items cascade, their notes are cleared), orders, employees of a
/// self-referencing tree, and hands deleted customers' emails to rows it keeps; the target
/// also holds rows of its own under those customers (orders and items that go with them,
/// invoices and audits that refuse their delete: RESTRICT, NO ACTION). Constraints are checked at each statement's end, as
/// a hand-written schema declares them, so a set sent before the writes it needs fails.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresDeleteSetTests {
    static let sqliteSchema = """
        PRAGMA foreign_keys = ON;
        CREATE TABLE customers (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
        CREATE TABLE orders (id TEXT PRIMARY KEY, customerId TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE, ref TEXT NOT NULL UNIQUE);
        CREATE TABLE items (id TEXT PRIMARY KEY, orderId TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE, sku TEXT NOT NULL UNIQUE);
        CREATE TABLE notes (id TEXT PRIMARY KEY, customerId TEXT REFERENCES customers (id) ON DELETE SET NULL, body TEXT NOT NULL UNIQUE);
        CREATE TABLE employees (id TEXT PRIMARY KEY, managerId TEXT REFERENCES employees (id) ON DELETE CASCADE, badge TEXT NOT NULL UNIQUE);
        """
    static let postgresSchema = """
        CREATE TABLE customers (id text PRIMARY KEY, "cloudId" text UNIQUE, email text NOT NULL UNIQUE, name text);
        CREATE TABLE orders (id text PRIMARY KEY, "cloudId" text UNIQUE, "customerId" text NOT NULL REFERENCES customers (id) ON DELETE CASCADE, ref text NOT NULL UNIQUE);
        CREATE INDEX ON orders ("customerId");
        CREATE TABLE items (id text PRIMARY KEY, "cloudId" text UNIQUE, "orderId" text NOT NULL REFERENCES orders (id) ON DELETE CASCADE, sku text NOT NULL UNIQUE);
        CREATE TABLE notes (id text PRIMARY KEY, "cloudId" text UNIQUE, "customerId" text REFERENCES customers (id) ON DELETE SET NULL, body text NOT NULL UNIQUE);
        CREATE TABLE employees (id text PRIMARY KEY, "cloudId" text UNIQUE, "managerId" text REFERENCES employees (id) ON DELETE CASCADE, badge text NOT NULL UNIQUE);
        CREATE TABLE invoices (id text PRIMARY KEY, "customerId" text NOT NULL REFERENCES customers (id) ON DELETE RESTRICT, number text NOT NULL UNIQUE);
        CREATE TABLE audits (id text PRIMARY KEY, "orderId" text NOT NULL REFERENCES orders (id), note text);
        """

    private func changesets(seed: UInt64, in directory: URL) throws -> (full: String, incremental: String) {
        var random = SplitMix64(seed: seed)
        func maybe(_ chance: Double) -> Bool { Double.random(in: 0..<1, using: &random) < chance }
        return try fullAndIncremental(in: directory, Self.sqliteSchema + """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
            INSERT INTO customers SELECT printf('c%03d', i), printf('u%d@x', i), 'name ' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900)
            INSERT INTO orders (id, "customerId", ref) SELECT printf('o%03d', i), printf('c%03d', 1 + (i * 7) % 300), 'R' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900)
            INSERT INTO items (id, "orderId", sku) SELECT printf('i%03d', i), printf('o%03d', 1 + (i * 13) % 900), 'S' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
            INSERT INTO notes SELECT printf('n%03d', i), printf('c%03d', 1 + (i * 11) % 300), 'note ' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
            INSERT INTO employees SELECT printf('e%03d', i), CASE WHEN i > 5 THEN printf('e%03d', 1 + (i * 3) % (i - 1)) END, 'B' || i FROM n;
            """) { source in
            // Deletes of every kind, then rows kept taking the unique values of rows deleted.
            var deletedEmails: [String] = []
            for index in 1...300 where maybe(0.3) {
                try source.execute("DELETE FROM customers WHERE id = '\(String(format: "c%03d", index))'")
                deletedEmails.append("u\(index)@x")
            }
            for index in 1...900 where maybe(0.1) {
                try source.execute("DELETE FROM orders WHERE id = '\(String(format: "o%03d", index))'")
            }
            for index in 1...200 where maybe(0.08) {
                try source.execute("DELETE FROM employees WHERE id = '\(String(format: "e%03d", index))'")
            }
            for (offset, email) in deletedEmails.enumerated() where offset % 3 == 0 {
                try source.execute("UPDATE customers SET email = '\(email)' WHERE rowid = (SELECT max(rowid) FROM customers WHERE email LIKE 'u%@x' AND id NOT IN (SELECT id FROM customers WHERE email IN (\(deletedEmails.map { "'\($0)'" }.joined(separator: ", ")))))")
            }
            try source.execute("INSERT INTO customers VALUES ('c900', 'new@x', 'new')")
        }
    }

    private struct Outcome: Equatable {
        var totals: ImportReport.Counts
        var cascaded: [ImportReport.Cascade]
        var rows: [String]
        var rejects: [String]
    }

    private func run(_ changesets: (full: String, incremental: String), holding: Bool, in directory: URL) throws -> (Outcome, deletedTogether: Int, asked: Int, ranAgain: Bool, parentsAlone: Int) {
        try PostgresTestServer.withDatabase { uri in
            let postgres = try PostgresStore(uri: uri)
            try postgres.connection.execute(Self.postgresSchema)
            _ = try importChangeset(changesets.full, into: postgres, in: directory)
            // Rows of the target's own under customers the source may delete: orders and
            // items that go with them, and invoices that keep two of them.
            try postgres.connection.execute("""
                INSERT INTO orders (id, "customerId", ref) SELECT 'to' || g, c.id, 'TR' || g FROM generate_series(1, 300, 4) AS g JOIN customers c ON c.id = 'c' || lpad(g::text, 3, '0');
                INSERT INTO items (id, "orderId", sku) SELECT 'ti' || g, 'to' || g, 'TS' || g FROM generate_series(1, 300, 8) AS g WHERE EXISTS (SELECT 1 FROM orders WHERE id = 'to' || g);
                INSERT INTO audits SELECT 'a' || g, 'o' || lpad(g::text, 3, '0'), 'kept' FROM generate_series(5, 900, 97) AS g;
                INSERT INTO invoices SELECT 'v' || g, c.id, 'N' || g FROM generate_series(1, 300, 37) AS g JOIN customers c ON c.id = 'c' || lpad(g::text, 3, '0');
                """)
            let store = try PostgresStore(uri: uri)
            // The model: every write alone, every lookup and read asked when it comes.
            if !holding {
                store.sendEachWriteAlone()
                store.prefetching = false
            }
            let rejectsPath = directory.appendingPathComponent("rejects-\(holding).ndjson").path
            let report = try importChangeset(changesets.incremental, into: store, in: directory, options: ImportOptions(rejectsPath: rejectsPath, onConflict: .sourceWins))
            var rows: [String] = []
            for table in ["customers", "orders", "items", "notes", "employees", "invoices", "audits"] {
                let result = try store.connection.query("SELECT t::text FROM \(table) AS t ORDER BY id COLLATE \"C\"")
                rows += (0..<result.rowCount).map { "\(table) \(result.string(row: $0, column: 0) ?? "")" }
            }
            let rejects = ((try? String(contentsOfFile: rejectsPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            return (Outcome(totals: report.totals, cascaded: report.cascaded, rows: rows, rejects: rejects),
                    store.rowsDeletedTogether, store.childLookupsTogether, holding && !store.holdsWrites, store.rowLookupsByKey)
        }
    }

    @Test(arguments: 1...4)
    func deletesSentInSetsEndAsDeletesSentOneByOne(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let changesets = try changesets(seed: seed, in: directory)
            let (alone, none, _, _, parentsAskedAlone) = try run(changesets, holding: false, in: directory)
            let (held, together, asked, ranAgain, parentsAsked) = try run(changesets, holding: true, in: directory)
            #expect(held.totals == alone.totals, "seed \(seed)")
            #expect(held.cascaded == alone.cascaded, "seed \(seed)")
            #expect(held.rejects == alone.rejects, "seed \(seed)")
            #expect(held.rows.count == alone.rows.count, "seed \(seed)")
            for (a, b) in zip(held.rows, alone.rows) where a != b {
                Issue.record("seed \(seed): \(a) in sets, \(b) alone")
                break
            }
            // Deletes happened, some were refused (invoices, the target's own items under a
            // RESTRICT), rows were cascaded and cleared, and the sets did the work.
            #expect(alone.totals.deleted > 100 && alone.totals.rejected > 0, "\(alone.totals)")
            #expect(alone.cascaded.contains { $0.table == "orders" && $0.deleted > 0 } && alone.cascaded.contains { $0.table == "notes" && $0.cleared > 0 }, "\(alone.cascaded) \(alone.totals)")
            #expect(none == 0)
            #expect(!ranAgain, "seed \(seed): no set was refused")
            #expect(together > alone.totals.deleted, "seed \(seed): \(together) rows deleted in sets")
            #expect(asked > 50, "seed \(seed): \(asked) parents' children asked with their batch")
            // A child's delete digests its reference as the parent's identity: the parents
            // of a batch's rows are read with the batch, not each alone.
            #expect(parentsAskedAlone > 50 && parentsAsked * 10 < parentsAskedAlone, "seed \(seed): parents asked alone \(parentsAsked), against \(parentsAskedAlone)")
        }
    }
}

/// The rows a batch asked for by a foreign key (`prefetchChildren`) answer later lookups
/// without the server: they must stay what the server would answer through every write
/// the access makes. The model is the server itself, asked after each of 300 random
/// writes: a reference moved to a value asked, to one not asked, to NULL; rows inserted
/// with the column and without it (a default), in sets and alone; rows deleted; other
/// columns written.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresChildrenAnswersTests {
    @Test(arguments: 1...3)
    func answersStayWhatTheServerSaysThroughEveryWrite(seed: UInt64) throws {
        try PostgresTestServer.withDatabase { uri in
            var random = SplitMix64(seed: seed)
            func pick(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }
            let store = try PostgresStore(uri: uri)
            try store.connection.execute("""
                CREATE TABLE staff (id text PRIMARY KEY, "managerId" text REFERENCES staff (id) DEFERRABLE INITIALLY DEFERRED,
                                    team integer DEFAULT 3, name text);
                INSERT INTO staff SELECT 's' || g, CASE WHEN g > 4 THEN 's' || (g % 4 + 1) END, g % 5, 'n' FROM generate_series(1, 60) AS g;
                """)
            let column = { (name: String, key: Int) in ColumnDefinition(name: name, type: name == "team" ? "INTEGER" : "TEXT", notNull: false, primaryKey: key, default: nil) }
            let table = TableDefinition(name: "staff", columns: [column("id", 1), column("managerId", 0), column("team", 0), column("name", 0)],
                                        primaryKey: ["id"], cloudId: nil, matchSets: [], references: [Reference(columns: ["managerId"], table: "staff", to: ["id"])],
                                        create: "", indexes: [])
            func text(_ s: String) -> Value { .text(Array(s.utf8)) }
            try store.withTransaction {
                let access = try store.makeTableAccess(table)
                #expect(access.prefetches)
                let managers = (1...8).map { text("s\($0)") }
                let teams: [Value] = (0..<4).map { .integer(Int64($0)) }
                #expect(try access.prefetchChildren(by: "managerId", of: managers)?.count == 56)
                _ = try access.prefetchChildren(by: "team", of: teams)
                var next = 100
                var live = (1...60).map { text("s\($0)") }
                for step in 0..<300 {
                    let row = live[pick(0..<live.count)]
                    let manager = pick(0..<5) == 0 ? Value.null : text("s\(pick(1..<13))") // s9…s12: not asked
                    switch pick(0..<6) {
                    case 0: try access.update(at: [row], ["managerId"], [manager], previous: nil)
                    case 1: try access.update(at: [row], ["team", "name"], [.integer(Int64(pick(0..<6))), text("m")], previous: nil)
                    case 2:
                        next += 1
                        let id = text("s\(next)")
                        _ = try access.insert(["id", "managerId"], [id, manager]) // team takes its default
                        live.append(id)
                    case 3:
                        let ids = (0..<3).map { _ -> Value in next += 1; return text("s\(next)") }
                        _ = try access.insert(["id", "managerId", "team"], rows: ids.map { [$0, text("s\(pick(1..<11))"), .integer(Int64(pick(0..<5)))] })
                        live += ids
                    case 4:
                        // s1…s12 stay: later writes point at them.
                        guard live.count > 20, !(1..<13).map({ text("s\($0)") }).contains(row) else { continue }
                        // As a delete does: its children cleared first, through the access.
                        for child in try access.keys(where: ["managerId"], equal: [row], limit: 100_000) {
                            try access.update(at: child, ["managerId"], [.null], previous: nil)
                        }
                        try access.delete(at: [row])
                        live.removeAll { $0 == row }
                    default: try access.update(at: [row], ["name"], [text("x\(step)")], previous: nil)
                    }
                    for (name, values) in [("managerId", managers), ("team", teams)] {
                        for value in values {
                            let answered = try access.keys(where: [name], equal: [value], limit: 100_000).map { $0[0] }
                            let result = try store.connection.query("SELECT id FROM staff WHERE \(Identifier.quote(name)) = $1 ORDER BY id", [value])
                            let server = (0..<result.rowCount).map { result.value(row: $0, column: 0) }
                            #expect(answered.sorted { $0.description < $1.description } == server.sorted { $0.description < $1.description },
                                    "seed \(seed), step \(step): \(name) = \(value)")
                        }
                    }
                }
                #expect(store.childLookupsTogether == 12)
            }
        }
    }
}
