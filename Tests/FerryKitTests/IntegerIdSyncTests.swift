import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Sync between stores shaped as Django or Rails make them: integer ids each store hands
/// out itself, natural keys that hold a foreign key (an order's (user_id, ref)), join
/// tables keyed by two foreign keys. A tester found each of these broken; each test fails
/// on the commit before the fix.
@Suite struct IntegerIdSyncTests {
    static let schema = """
        PRAGMA foreign_keys = ON;
        CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                             ref TEXT NOT NULL, amount INTEGER, UNIQUE (user_id, ref));
        CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL UNIQUE);
        CREATE TABLE user_tags (user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                                tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE, PRIMARY KEY (user_id, tag_id));
        CREATE TABLE order_tags (order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
                                 tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE, PRIMARY KEY (order_id, tag_id));
        """

    final class Peer {
        let store: SQLiteStore
        let directory: URL
        let name: String

        /// `shift`: rows the store made before, so its ids differ from the other store's.
        init(_ name: String, in directory: URL, shift: Int) throws {
            self.name = name
            self.directory = directory
            store = try SQLiteStore(path: directory.appendingPathComponent("\(name).db").path, mode: .readWriteCreate)
            try store.database.execute(IntegerIdSyncTests.schema)
            for index in 0..<shift {
                try store.database.execute("INSERT INTO users (email) VALUES ('\(name)-filler-\(index)@x'); INSERT INTO tags (label) VALUES ('\(name)-filler-\(index)')")
            }
            _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
        }

        func sql(_ text: String) throws { try store.database.execute(text) }

        func export(incremental: Bool = false) throws -> String {
            try Exporter(store: store, options: ExportOptions(incremental: incremental))
                .export(to: directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))").path).path
        }

        @discardableResult
        func take(_ changeset: String, _ policy: ConflictPolicy? = nil) throws -> ImportReport {
            let side = directory.appendingPathComponent("side-\(UUID().uuidString.prefix(8))").path
            return try Importer(store: store, changeset: try ChangesetReader(path: changeset), options: ImportOptions(
                rejectsPath: side + ".rejects", conflictsPath: side + ".conflicts", onConflict: policy)).run()
        }

        func rows(_ query: String) throws -> [String] {
            try store.database.rows(query).map { $0.map { $0.string ?? $0.description }.joined(separator: "|") }
        }
    }

    static let orders = "SELECT u.email, o.ref, o.amount FROM orders o JOIN users u ON u.id = o.user_id ORDER BY 1, 2"
    static let userTags = "SELECT u.email, t.label FROM user_tags x JOIN users u ON u.id = x.user_id JOIN tags t ON t.id = x.tag_id ORDER BY 1, 2"

    @Test func aDeletedRowWhoseKeyHoldsAForeignKeyStaysDeleted() throws {
        try withTemporaryDirectory { directory in
            let a = try Peer("a", in: directory, shift: 0)
            let b = try Peer("b", in: directory, shift: 2)
            try a.sql("INSERT INTO users (email) VALUES ('ann@x'); INSERT INTO tags (label) VALUES ('vip');")
            try a.sql("INSERT INTO orders (user_id, ref, amount) SELECT id, 'r1', 5 FROM users WHERE email = 'ann@x';")
            try a.sql("INSERT INTO user_tags SELECT u.id, t.id FROM users u, tags t WHERE u.email = 'ann@x' AND t.label = 'vip'")
            try b.take(try a.export())
            try a.sql("DELETE FROM orders; DELETE FROM user_tags;")
            let deletes = try a.export(incremental: true)
            // B, which has not heard of the deletes, sends its (stale) copies back.
            let report = try a.take(try b.export())
            let inserted = report.tables.filter { ["orders", "user_tags"].contains($0.name) }.reduce(0) { $0 + $1.counts.inserted }
            #expect(inserted == 0 && report.totals.conflicts == 0 && report.totals.rejected == 0, "\(report.table())")
            #expect(try a.rows(Self.orders).isEmpty, "the deleted order came back")
            #expect(try a.rows(Self.userTags).isEmpty, "the deleted link came back")
            // And the deletes reach B, whose ids differ.
            let applied = try b.take(deletes)
            #expect(applied.totals.deleted == 2, "\(applied.table())")
            #expect(try b.rows(Self.orders).isEmpty && b.rows(Self.userTags).isEmpty)
        }
    }

    @Test func aReferenceToARowWhoseKeyHoldsAForeignKeyFindsTheRightParent() throws {
        try withTemporaryDirectory { directory in
            let a = try Peer("a", in: directory, shift: 0)
            let b = try Peer("b", in: directory, shift: 0)
            // B's user 1 (bob) has an order r1; A's user 1 (ann) has one too. Each side then
            // takes the other's: the second user gets id 2 on each side, so user 1 is ann in
            // A and bob in B, and the raw (user_id, ref) = (1, r1) names different orders.
            try b.sql("INSERT INTO users (email) VALUES ('bob@x'); INSERT INTO orders (user_id, ref, amount) VALUES (1, 'r1', 99);")
            let fromB = try b.export()
            try a.sql("INSERT INTO users (email) VALUES ('ann@x'); INSERT INTO orders (user_id, ref, amount) VALUES (1, 'r1', 5); INSERT INTO tags (label) VALUES ('vip');")
            let fromA = try a.export()
            try a.take(fromB)
            try b.take(fromA)
            try a.sql("""
                INSERT INTO order_tags SELECT o.id, t.id FROM orders o JOIN users u ON u.id = o.user_id, tags t
                WHERE u.email = 'ann@x' AND o.ref = 'r1' AND t.label = 'vip'
                """)
            let report = try b.take(try a.export(incremental: true))
            #expect(report.totals.rejected == 0, "\(report.table())")
            let tagged = try b.rows("""
                SELECT u.email, o.ref, t.label FROM order_tags x JOIN orders o ON o.id = x.order_id JOIN users u ON u.id = o.user_id
                JOIN tags t ON t.id = x.tag_id
                """)
            #expect(tagged == ["ann@x|r1|vip"], "the tag went to \(tagged)")
        }
    }

    @Test(arguments: [false, true])
    func aStaleChildOfADeletedParentStaysOutQuietly(exportedTheDelete: Bool) throws {
        try withTemporaryDirectory { directory in
            let a = try Peer("a", in: directory, shift: 2)
            let b = try Peer("b", in: directory, shift: 0)
            try b.sql("INSERT INTO users (email) VALUES ('bob@x'); INSERT INTO orders (user_id, ref, amount) VALUES (1, 'r1', 5);")
            try a.take(try b.export())
            try b.sql("DELETE FROM users WHERE email = 'bob@x'") // cascades to the order
            if exportedTheDelete { _ = try b.export(incremental: true) }
            let report = try b.take(try a.export())
            let inserted = report.tables.filter { ["orders", "users"].contains($0.name) }.reduce(0) { $0 + $1.counts.inserted } - 2 // A's own two users
            #expect(report.totals.rejected == 0 && report.totals.conflicts == 0 && inserted == 0, "\(report.table())")
            #expect(try b.rows(Self.orders).isEmpty)
        }
    }

    @Test(arguments: [ConflictPolicy.sourceWins, .targetWins, .newerWins])
    func anUpdateAgainstADeleteOfAnOrderConverges(policy: ConflictPolicy) throws {
        try withTemporaryDirectory { directory in
            let a = try Peer("a", in: directory, shift: 0)
            let b = try Peer("b", in: directory, shift: 2)
            try a.sql("INSERT INTO users (email) VALUES ('ann@x'); INSERT INTO orders (user_id, ref, amount) SELECT id, 'r1', 5 FROM users;")
            try b.take(try a.export())
            try a.sql("UPDATE orders SET amount = 13")
            try b.sql("DELETE FROM orders")
            let (fromA, fromB) = (try a.export(incremental: true), try b.export())
            let policyFor = policy == .newerWins ? ConflictPolicy.sourceWins : policy // orders has no updatedAt column
            try b.take(fromA, policyFor)
            try a.take(fromB, policyFor)
            for _ in 0..<2 {
                let (nextA, nextB) = (try a.export(incremental: true), try b.export(incremental: true))
                #expect(try b.take(nextA, policyFor).totals.conflicts == 0)
                #expect(try a.take(nextB, policyFor).totals.conflicts == 0)
            }
            let (rowsA, rowsB) = (try a.rows(Self.orders), try b.rows(Self.orders))
            #expect(rowsA == rowsB, "a holds \(rowsA), b holds \(rowsB)")
        }
    }

    /// Round two of the tester: a join row relayed back without its parent, whose parent
    /// the application inserted after `prepare` (its cloudId is in the book only), and
    /// whose ref's keys hold the relaying store's user id, which is another user here.
    @Test func aRelayedReferenceFindsAParentWhoseCloudIdOnlyTheBookHolds() throws {
        try withTemporaryDirectory { directory in
            let a = try Peer("a", in: directory, shift: 0)
            let b = try Peer("b", in: directory, shift: 2) // ann gets id 3 in B
            // In A: ann id 1, carl id 3, each with an order r1; inserted after prepare.
            try a.sql("INSERT INTO users (email) VALUES ('ann@x'), ('pad@a'), ('carl@x'); INSERT INTO orders (user_id, ref) VALUES (1, 'r1'), (3, 'r1'); INSERT INTO tags (label) VALUES ('vip')")
            try b.take(try a.export())
            let b0 = try b.export()
            try a.take(b0)
            try a.sql("INSERT INTO order_tags VALUES (1, 1)") // ann's r1 gets vip
            try b.take(try a.export(incremental: true))
            let relayed = try Exporter(store: b.store, options: ExportOptions(since: try ChangesetReader(path: b0).manifest.changesetId))
                .export(to: directory.appendingPathComponent("b1").path).path
            let report = try a.take(relayed)
            #expect(report.totals.rejected == 0, "\(report.table())")
            let tagged = try a.rows("""
                SELECT u.email, o.ref, t.label FROM order_tags x JOIN orders o ON o.id = x.order_id JOIN users u ON u.id = o.user_id
                JOIN tags t ON t.id = x.tag_id
                """)
            #expect(tagged == ["ann@x|r1|vip"], "tagged: \(tagged)")
        }
    }

    /// A composite foreign key to a parent's natural key that holds a foreign key: the
    /// reference carries the parent's cloudId (from the book for a row inserted after
    /// `prepare`), never only the source's ids.
    @Test func aCompositeForeignKeyToANaturalKeyFindsTheRightParent() throws {
        try withTemporaryDirectory { directory in
            let schema = """
                CREATE TABLE projects (id INTEGER PRIMARY KEY AUTOINCREMENT, slug TEXT NOT NULL UNIQUE);
                CREATE TABLE tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL REFERENCES projects(id),
                                    number INTEGER NOT NULL, title TEXT, UNIQUE (project_id, number));
                CREATE TABLE labels (id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, number INTEGER NOT NULL, name TEXT NOT NULL,
                                     FOREIGN KEY (project_id, number) REFERENCES tasks (project_id, number), UNIQUE (name));
                """
            let stores = try ["a", "b"].map { name -> SQLiteStore in
                let store = try SQLiteStore(path: directory.appendingPathComponent("\(name).db").path, mode: .readWriteCreate)
                try store.database.execute(schema)
                return store
            }
            // B's own project 1 has a task 1: the raw (project_id, number) = (1, 1) of A's task.
            try stores[1].database.execute("INSERT INTO projects (slug) VALUES ('zp'); INSERT INTO tasks (project_id, number, title) VALUES (1, 1, 'other')")
            for store in stores { _ = try Preparer.prepare(store: store, tables: nil, profile: .empty) }
            func send(_ from: SQLiteStore, _ to: SQLiteStore, _ name: String) throws -> ImportReport {
                let path = try Exporter(store: from, options: ExportOptions()).export(to: directory.appendingPathComponent(name).path).path
                return try Importer(store: to, changeset: try ChangesetReader(path: path), options: ImportOptions(
                    rejectsPath: directory.appendingPathComponent("\(name).rejects").path, conflictsPath: directory.appendingPathComponent("\(name).conflicts").path)).run()
            }
            // A's project p1 is id 1 in A; B's zp, imported after, becomes id 2 in A.
            try stores[0].database.execute("INSERT INTO projects (slug) VALUES ('p1'); INSERT INTO tasks (project_id, number, title) SELECT id, 1, 'ann-task' FROM projects WHERE slug = 'p1'")
            _ = try send(stores[1], stores[0], "b0")
            try stores[0].database.execute("INSERT INTO labels (project_id, number, name) SELECT id, 1, 'red' FROM projects WHERE slug = 'p1'")
            let report = try send(stores[0], stores[1], "a1")
            #expect(report.totals.rejected == 0, "\(report.table())")
            let labelled = try stores[1].database.scalar("SELECT t.title FROM labels l JOIN tasks t ON t.project_id = l.project_id AND t.number = l.number WHERE l.name = 'red'")
            #expect(labelled == .text(Array("ann-task".utf8)), "the label went to \(String(describing: labelled))")
        }
    }

    /// newer-wins when the source exported its edit once before, in a changeset this store
    /// never got: the next changeset's base is the source's own edit, no common ancestor.
    @Test func newerWinsTakesTheNewerEditWhenTheSourcesBaseIsItsOwnEdit() throws {
        try withTemporaryDirectory { directory in
            let a = try OverlappingEditsTests.Peer("a", in: directory)
            let b = try OverlappingEditsTests.Peer("b", in: directory)
            try b.execute("INSERT INTO accounts VALUES ('k1', 'k@x', 'first', 10)")
            try a.take(try b.export(), .newerWins)
            try a.set("k@x", name: "from a", at: 20)
            try b.set("k@x", name: "from b", at: 21)
            _ = try b.export() // never delivered
            let (fromA, fromB) = (try a.export(), try b.export())
            #expect(try a.take(fromB, .newerWins).count == 1, "the overlapping edit is a conflict")
            _ = try b.take(fromA, .newerWins)
            #expect(try a.name("k@x") == "from b" && b.name("k@x") == "from b")
            _ = try a.take(try b.export(), .newerWins)
            _ = try b.take(try a.export(), .newerWins)
            #expect(try a.name("k@x") == "from b" && b.name("k@x") == "from b", "the newer edit stays on both")
        }
    }

    @Test func versionsBeyondTwoToTheFiftyThreeAreRefused() throws {
        // A hostile object of 200,000 stores is refused at once (its keys were checked
        // for duplicates in n² time: minutes).
        let huge = "{" + (0..<200_000).map { "\"s\($0)\":1" }.joined(separator: ",") + "}"
        #expect(throws: FerryError.self) { _ = try VersionVector(decoding: Array(huge.utf8)) }
        #expect(throws: FerryError.self) { _ = try VersionVector(decoding: Array(#"{"aaaaaaaaaaaa":9223372036854775807}"#.utf8)) }
        let highest = try VersionVector(decoding: Array(#"{"aaaaaaaaaaaa":9007199254740992}"#.utf8))
        #expect(highest.bumped("aaaaaaaaaaaa").counters["aaaaaaaaaaaa"] == 9_007_199_254_740_993, "one more change never overflows")
    }
}

/// A copy of a database file carries its sync book: the copy must not sync as the same store.
@Suite struct CopiedDatabaseTests {
    @Test func aCopiedDatabaseTakesAStoreIdOfItsOwnAndItsEditsConflictVisibly() throws {
        try withTemporaryDirectory { directory in
            let original = directory.appendingPathComponent("laptop.db")
            let a = try SQLiteStore(path: original.path, mode: .readWriteCreate)
            try a.database.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, title TEXT NOT NULL UNIQUE, body TEXT)")
            try a.database.execute("INSERT INTO notes VALUES ('n1', 'todo', 'first')")
            _ = try Preparer.prepare(store: a, tables: nil, profile: .empty)
            _ = try Exporter(store: a, options: ExportOptions()).export(to: directory.appendingPathComponent("e0").path)
            let idBefore = try #require(try a.syncBook(create: false)?.storeId)
            let copy = directory.appendingPathComponent("laptop-copy.db")
            try FileManager.default.copyItem(at: original, to: copy)
            let c = try SQLiteStore(path: copy.path, mode: .readWrite)
            #expect(try c.syncBook(create: false)?.storeId != idBefore, "the copy kept the original's store id")
            #expect(try a.syncBook(create: false)?.storeId == idBefore, "the original keeps its id")

            // Both edit the same row, one version each: a conflict, not a quiet tie-break.
            try a.database.execute("UPDATE notes SET body = 'from the original'")
            try c.database.execute("UPDATE notes SET body = 'from the copy'")
            let fromCopy = try Exporter(store: c, options: ExportOptions()).export(to: directory.appendingPathComponent("c1").path)
            _ = try Exporter(store: a, options: ExportOptions()).export(to: directory.appendingPathComponent("a1").path)
            let report = try Importer(store: a, changeset: try ChangesetReader(path: fromCopy.path), options: ImportOptions(
                rejectsPath: directory.appendingPathComponent("r").path, conflictsPath: directory.appendingPathComponent("c").path)).run()
            #expect(report.totals.conflicts == 1, "\(report.table())")
        }
    }
}
