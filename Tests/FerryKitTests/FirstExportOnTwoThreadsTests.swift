import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// The first export of a prepared store encodes its records and book entries on a second
/// thread, a batch behind the scan. What it writes must be what the one-thread path writes:
/// the same lines in the same order and the same book, entry for entry.
@Suite struct FirstExportOnTwoThreadsTests {
    /// Every shape the first export handles: a parent known by its natural key, a table
    /// with cloudIds, a row the application added after `prepare` (no cloudId: the book
    /// gives it one) and children pointing at it (their references name the book's cloudId),
    /// a join table keyed by two foreign keys, a self reference, an integer key, integral
    /// REALs, BLOBs, NULLs, escapes and non-ASCII text, and a table with no primary key.
    static let sqliteSchema = """
        CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL UNIQUE, name TEXT);
        CREATE TABLE customers (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL, company TEXT, revenue REAL, logo BLOB,
            createdBy TEXT REFERENCES users(id), parentId TEXT REFERENCES customers(id));
        CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE);
        CREATE TABLE customer_tags (customerId TEXT NOT NULL REFERENCES customers(id), tagId INTEGER NOT NULL REFERENCES tags(id),
            weight REAL, PRIMARY KEY (customerId, tagId));
        CREATE TABLE notes (body TEXT, customerId TEXT REFERENCES customers(id));
        """

    static func fill(_ execute: (String) throws -> Void, rows: Int, from first: Int = 1) throws {
        let numbers = first..<(first + rows)
        // Table by table, parents first: PostgreSQL checks each foreign key as it goes.
        for i in numbers { try execute("INSERT INTO users VALUES ('u\(i)', 'user\(i)@example.com', \(i % 4 == 0 ? "NULL" : "'Ümit \"\(i)\"\\\\n'"))") }
        for i in numbers {
            let parent = i > 3 ? "'c\(i / 3)'" : "NULL"
            let logo = i % 5 == 0 ? "x'00ff\(String(format: "%02x", i % 256))'" : "NULL"
            try execute("INSERT INTO customers (id, email, company, revenue, logo, createdBy, parentId) VALUES ('c\(i)', 'c\(i)@firm.example', 'Firma \(i) — GmbH', \(Double(i % 7) * 2.0), \(logo), 'u\(first + i % rows)', \(parent))")
        }
        for i in numbers { try execute("INSERT INTO tags VALUES (\(i), 'tag\(i)')") }
        for i in numbers {
            try execute("INSERT INTO customer_tags VALUES ('c\(i)', \(first + (i * 3) % rows), \(i % 2 == 0 ? "1.0" : "0.25"))")
            try execute("INSERT INTO notes VALUES ('note \(i)', 'c\(i)')")
        }
    }

    /// The lines of every table file, in order, and the book's entry of every row.
    struct Written: Equatable {
        var lines: [String: [String]] = [:]
        var entries: [String: [String]] = [:]
        var entryCount = 0
        var storeId = ""

        /// Where two writes first part, if they do: a line or entry each, to read.
        func firstDifference(from other: Written) -> String? {
            for (kind, mine, theirs) in [("lines", lines, other.lines), ("entries", entries, other.entries)] {
                for table in Set(mine.keys).union(theirs.keys).sorted() {
                    let a = mine[table] ?? [], b = theirs[table] ?? []
                    if let at = Array(zip(a, b)).firstIndex(where: { $0 != $1 }) { return "\(kind) of \(table) at \(at):\n\(a[at])\n\(b[at])" }
                    if a.count != b.count { return "\(kind) of \(table): \(a.count) against \(b.count)" }
                }
            }
            return nil
        }
    }

    static func export(_ store: Store, _ path: String, batchRows: Int?, keys: [String: String]) throws -> Written {
        var options = ExportOptions()
        options.encodingBatchRows = batchRows
        options.cloudIdSeed = 1_000_000
        let summary = try Exporter(store: store, options: options).export(to: path)
        let reader = try ChangesetReader(path: summary.path)
        var written = Written()
        for table in reader.manifest.tables {
            try reader.forEachRecord(in: table) { _, _, line in written.lines[table.name, default: []].append(String(decoding: line, as: UTF8.self)) }
        }
        let book = try #require(try store.syncBook(create: false))
        written.storeId = book.storeId
        let definitions = try store.tables(profile: .empty)
        for (table, key) in keys {
            let definition = try #require(definitions.first { $0.name == table })
            let columns = key.split(separator: ",").map(String.init)
            var rowKeys: [[Value]] = []
            try store.scan(definition, columns: columns, joining: []) { cursor in rowKeys.append(columns.indices.map { cursor.value(at: $0) }) }
            for row in rowKeys {
                let entry = try book.entry(table: table, rowKey: PortableRow.rowKey(row))
                written.entries[table, default: []].append(entry.map(Self.describe) ?? "none at \(row)")
            }
            written.entryCount += rowKeys.count
        }
        return written
    }

    static func describe(_ entry: SyncBookEntry) -> String {
        let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
        return "\(text(entry.rowKey)) \(text(entry.identity)) \(entry.hash) \(entry.digests.hex) deleted=\(entry.deleted) \(entry.versions) "
            + "fingerprint=\(entry.fingerprint.map(String.init) ?? "none") inTable=\(entry.inTable) seq=\(entry.sequence)"
    }

    /// `given` with its store id spelt as `reference`'s: each copy's book makes its own when
    /// the first export opens it. (Both exports give the same cloudIds: `cloudIdSeed`.)
    static func withStoreId(_ given: Written, of reference: Written) -> Written {
        var result = given
        let rename = { (text: String) in text.replacingOccurrences(of: given.storeId, with: reference.storeId) }
        result.lines = given.lines.mapValues { $0.map(rename) }
        result.entries = given.entries.mapValues { $0.map(rename) }
        return result
    }

    static let keys = ["users": "id", "customers": "id", "tags": "id", "customer_tags": "customerId,tagId"]

    @Test(arguments: [1, 3, 64])
    func aBatchedFirstExportWritesWhatOneThreadWrites(batchRows: Int) throws {
        try withTemporaryDirectory { directory in
            let original = directory.appendingPathComponent("original.db").path
            do {
                let store = try SQLiteStore(path: original, mode: .readWriteCreate)
                try store.database.execute(Self.sqliteSchema)
                try Self.fill({ try store.database.execute($0) }, rows: 40)
                _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
                // Added after `prepare`, so without cloudIds: a customer, its child, its tag.
                try Self.fill({ try store.database.execute($0) }, rows: 5, from: 41)
                // Children added after `prepare` of a parent added after it, in the same table.
                try store.database.execute("UPDATE customers SET parentId = 'c41' WHERE id IN ('c44', 'c45')")
            }
            #expect(try SQLiteStore(path: original, mode: .readOnly).database.scalar("SELECT count(*) FROM customers WHERE cloudId IS NULL") == .integer(5))
            var written: [Written] = []
            for (name, rows) in [("one", nil as Int?), ("batched", batchRows)] {
                let copy = directory.appendingPathComponent("\(name).db").path
                try FileManager.default.copyItem(atPath: original, toPath: copy)
                let store = try SQLiteStore(path: copy, mode: .readWrite)
                written.append(try Self.export(store, directory.appendingPathComponent(name).path, batchRows: rows, keys: Self.keys))
            }
            let one = written[0], batched = Self.withStoreId(written[1], of: written[0])
            #expect(one.lines.keys.sorted() == ["customer_tags", "customers", "notes", "tags", "users"])
            #expect(one.lines["customers"]?.count == 45 && one.entries["customers"]?.count == 45)
            #expect(one.entries.values.joined().allSatisfy { !$0.hasPrefix("none") }, "every tracked row has its entry")
            // The children of the rows added after `prepare` name them by the book's cloudIds.
            let laterChild = try #require(one.lines["customer_tags"]?.first { $0.contains(#""customerId":"c41""#) })
            guard case .string(let bytes)? = try JSONParser.parse(Array(laterChild.utf8))["refs"]?["customerId"]?["cloudId"] else {
                Issue.record("no cloudId for c41 in \(laterChild)")
                return
            }
            let given = String(decoding: bytes, as: UTF8.self)
            #expect(one.lines["customers"]?.contains { $0.contains(#""id":"c41""#) && $0.contains(#""cloudId":"\#(given)""#) } == true)
            let laterSelfChild = try #require(one.lines["customers"]?.first { $0.contains(#""id":"c44""#) })
            #expect(laterSelfChild.contains(#""parentId":{"table":"customers","cloudId":"\#(given)""#), "\(laterSelfChild)")
            #expect(batched.firstDifference(from: one) == nil)
        }
    }

    @Test func aFirstExportThatFailsOnTheWayLeavesTheBookAsItWas() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("app.db").path
            let store = try SQLiteStore(path: path, mode: .readWriteCreate)
            try store.database.execute(Self.sqliteSchema)
            try Self.fill({ try store.database.execute($0) }, rows: 30)
            _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
            // A trigger that refuses the 50th book entry stands for a write failing midway.
            try store.database.execute("""
                CREATE TEMP TRIGGER refuse AFTER INSERT ON _ferry_rows WHEN (SELECT count(*) FROM _ferry_rows) >= 50
                BEGIN SELECT RAISE(ABORT, 'disk full'); END;
                """)
            var options = ExportOptions()
            options.encodingBatchRows = 4
            #expect(throws: (any Error).self) { try Exporter(store: store, options: options).export(to: directory.appendingPathComponent("out").path) }
            try store.database.execute("DROP TRIGGER refuse")
            #expect(try store.database.scalar("SELECT count(*) FROM _ferry_rows") == .integer(0))
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out").path))
        }
    }
}

@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresFirstExportOnTwoThreadsTests {
    @Test func aBatchedFirstExportWritesWhatOneThreadWrites() throws {
        try withTemporaryDirectory { directory in
            var written: [FirstExportOnTwoThreadsTests.Written] = []
            for (name, rows) in [("one", nil as Int?), ("batched", 3)] {
                try PostgresTestServer.withDatabase { uri in
                    let store = try PostgresStore(uri: uri)
                    try store.connection.execute(FirstExportOnTwoThreadsTests.sqliteSchema.replacingOccurrences(of: "BLOB", with: "bytea"))
                    try FirstExportOnTwoThreadsTests.fill({ try store.connection.execute($0.replacingOccurrences(of: "x'", with: "'\\x")) }, rows: 30)
                    _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
                    // The two databases are prepared apart: the same cloudIds in both, not random ones.
                    try store.connection.execute("""
                        DO $$ DECLARE t text; BEGIN
                          FOR t IN SELECT table_name FROM information_schema.columns WHERE column_name = 'cloudId' AND table_schema = 'public' LOOP
                            EXECUTE format('UPDATE %I SET "cloudId" = md5(%L || ctid::text)', t, t);
                          END LOOP;
                        END $$;
                        """)
                    try FirstExportOnTwoThreadsTests.fill({ try store.connection.execute($0.replacingOccurrences(of: "x'", with: "'\\x")) }, rows: 4, from: 31)
                    written.append(try FirstExportOnTwoThreadsTests.export(store, directory.appendingPathComponent(name).path, batchRows: rows,
                                                                           keys: ["users": "id", "customers": "id", "tags": "id", "customer_tags": "customerid,tagid"]))
                }
            }
            let one = written[0], batched = FirstExportOnTwoThreadsTests.withStoreId(written[1], of: written[0])
            #expect(one.lines["customers"]?.count == 34)
            #expect(batched.firstDifference(from: one) == nil)
        }
    }
}
