import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// The sync book's version 2: a row's version is its XXH64 hash and one digest per column,
/// never a copy of the row; a version 1 book is upgraded in place.
struct BookVersionTwoTests {
    /// Reference values from the `xxhash` package (Python), seed 0.
    @Test func xxh64MatchesTheReferenceImplementation() {
        let cases: [([UInt8], UInt64)] = [
            ([], 0xEF46_DB37_51D8_E999),
            (Array("a".utf8), 0xD24E_C4F1_A98C_6E5B),
            (Array("abc".utf8), 0x44BC_2CF5_AD77_0999),
            (Array("0123456789abcdef0123456789abcdef0123456789".utf8), 0xA761_90C3_ACF0_8A1C),
            (Array(#""email":"x@y.z""#.utf8), 0xE270_B2A3_5013_1681),
            (Array(0..<100), 0x6AC1_E580_3216_6597),
        ]
        for (bytes, expected) in cases {
            #expect(XXHash64.hash(bytes) == expected, "\(bytes.count) bytes")
        }
        #expect(PortableRow.hash(Array("abc".utf8)) == "44bc2cf5ad770999")
    }

    @Test func aDigestNamesItsColumnAndCountsAnIntegralRealAsTheInteger() {
        let five = ColumnDigests.digest(column: "n", value: .integer(5))
        #expect(ColumnDigests.digest(column: "n", value: .real(5.0)) == five, "a REAL column turns 5 into 5.0: the same value")
        #expect(ColumnDigests.digest(column: "n", value: .integer(-5)) == ColumnDigests.digest(column: "n", value: .real(-5.0)))
        #expect(ColumnDigests.digest(column: "n", value: .real(5.5)) != five)
        #expect(ColumnDigests.digest(column: "n", value: .text("5")) != five)
        #expect(ColumnDigests.digest(column: "m", value: .integer(5)) != five, "a digest names its column")
        #expect(ColumnDigests.digest(column: "n", value: .text("x.0")) != ColumnDigests.digest(column: "n", value: .text("x")))
        let set = ColumnDigests([five, 0xDEAD_BEEF, 7])
        #expect(set.hex == String(format: "%08x", five) + "deadbeef00000007")
        #expect(ColumnDigests(hex: set.hex) == set)
        #expect(ColumnDigests(blob: set.blob) == set)
        #expect(ColumnDigests(hex: "deadbee") == nil && ColumnDigests(hex: "DEADBEEF") == nil, "8 lowercase hex digits per column")
    }

    /// The book packs the common identities and versions; every identity and every vector
    /// comes back as it went in, and two identities pack alike only when they are equal.
    @Test func packedIdentitiesAndVersionsComeBackUnchanged() throws {
        let identities = [
            #"{"cloudId":"000a4b26511faed3c31b344ce6ba6daa"}"#,
            #"{"cloudId":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}"#,
            #"{"cloudId":"0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"}"#, // upper case: kept as text
            #"{"cloudId":"0190a1b2+c3d4-7e5f-8a9b-0c1d2e3f4a5b"}"#,
            #"{"cloudId":"cuid-not-hex-at-all-000000000000"}"#,
            #"{"cloudId":42}"#,
            #"{"keys":{"email":"ann@example.com"}}"#,
            #"{"keys":{"user_id":{"$ref":{"cloudId":"000a4b26511faed3c31b344ce6ba6daa"}}}}"#,
        ].map { Array($0.utf8) }
        var packed: [Value] = []
        for identity in identities {
            let value = BookPacking.pack(identity: identity)
            #expect(BookPacking.unpack(identity: value) == identity, "\(String(decoding: identity, as: UTF8.self))")
            packed.append(value)
        }
        #expect(Set(packed.map(\.description)).count == identities.count)
        let keys = [#"[1]"#, #"[-42]"#, #"["cc001"]"#, #"["a\"b"]"#, #"["tab\t"]"#, #"[1.5]"#, #"[1,"x"]"#, #"["1"]"#, #"[007]"#,
                    #"[{"$base64":true,"encoded":"AP8="}]"#, #"["\u0000retired","{}","h"]"#].map { Array($0.utf8) }
        let packedKeys = keys.map { BookPacking.pack(rowKey: $0) }
        for (key, value) in zip(keys, packedKeys) {
            #expect(BookPacking.unpack(rowKey: value) == key, "\(String(decoding: key, as: UTF8.self))")
        }
        #expect(packedKeys[0] == .integer(1) && packedKeys[2] == .text("cc001") && packedKeys[7] == .text("1"), "plain one-column keys are kept as their value")
        #expect(Set(packedKeys.map(\.description)).count == keys.count, "no two keys pack alike")
        if case .blob(let bytes) = packed[1] { #expect(bytes.count == 17) } else { Issue.record("a UUID cloudId is packed") }
        for versions in [VersionVector(), VersionVector(["4f1c611d1233": 1]), VersionVector(["4f1c611d1233": 300, "000000000001": 1 << 53]),
                         VersionVector(["not-a-store-id": 2, "4f1c611d1233": 1])] {
            #expect(BookPacking.unpack(versions: BookPacking.pack(versions: versions)) == versions, "\(versions)")
        }
    }

    /// A record's base is its column digests, or a version 1 form; anything else is a
    /// format error that names the field, never a base taken for "unknown".
    @Test func aBaseThatIsNeitherDigestsNorAFormIsAFormatError() throws {
        func decode(_ base: String) throws -> Record {
            let line = Array(#"{"op":"upsert","cloudId":"c1","keys":{},"row":{"a":1},"base":"#.utf8) + Array(base.utf8) + [UInt8(ascii: "}")]
            return try line.withUnsafeBufferPointer { try RecordDecoder.decode($0) }
        }
        #expect(try decode(#""0000000a00000001""#).base == ColumnDigests([10, 1]))
        #expect(try decode(#"{"a":1}"#).base == ColumnDigests([ColumnDigests.digest(column: "a", value: .integer(1))]))
        #expect(try decode("null").base == nil)
        for bad in [#""0000000""#, #""zzzzzzzz""#, #""0000000A""#, "5", "[]", "true"] {
            #expect {
                _ = try decode(bad)
            } throws: { error in
                (error as? FerryError)?.message.contains("\"base\"") == true
            }
        }
    }

    /// SQLite holds 1 and 1.0 (and 0 and -0.0) as the same value (`1 = 1.0`, an update
    /// from one to the other changes nothing): the portable form counts them as one, or a
    /// row whose stores keep different types would ship back and forth forever (found by a
    /// hostile tester).
    @Test func anIntegralRealHashesAsTheInteger() throws {
        let table = TableDefinition(name: "t", columns: [
            ColumnDefinition(name: "id", type: "INTEGER", notNull: true, primaryKey: 1, default: nil),
            ColumnDefinition(name: "v", type: "", notNull: false, primaryKey: 0, default: nil),
        ], primaryKey: ["id"], cloudId: nil, matchSets: [], references: [], create: "", indexes: [])
        func form(_ value: Value) -> PortableRow.Form {
            PortableRow(table: table).encode(record: Record(operation: .upsert, cloudId: .null, keys: [], row: [("v", value)], refs: [], hash: nil))
        }
        #expect(form(.real(1.0)).hash == form(.integer(1)).hash)
        #expect(form(.real(-0.0)).hash == form(.integer(0)).hash)
        #expect(form(.real(-12.0)).hash == form(.integer(-12)).hash)
        #expect(form(.real(1.5)).hash != form(.integer(1)).hash)
        #expect(form(.text("1.0")).hash != form(.integer(1)).hash)
        #expect(form(.real(-12.0)).digests == form(.integer(-12)).digests)
        #expect(PortableRow.canonicalForm(Array(#"{"a":-0.0,"b":"x:1.0","c":{"$ref":{"keys":{"k":2.0}}},"d":10.0,"e":1e+20}"#.utf8))
                == Array(#"{"a":0,"b":"x:1.0","c":{"$ref":{"keys":{"k":2.0}}},"d":10,"e":1e+20}"#.utf8))
    }

    @Test func aRowChangedOnlyFromOneToOnePointZeroDoesNotShipBackAndForth() throws {
        try withTemporaryDirectory { directory in
            let pair = try PreparedPair(in: directory, schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v);",
                                        rowsOfA: "INSERT INTO t VALUES (1, 'x', 1);")
            try pair.exchangeInFull()
            try pair.a.database.execute("UPDATE t SET v = 1.0")
            var shipped: [Int] = []
            for _ in 0..<3 {
                shipped.append(try pair.sync(pair.a, pair.b, incremental: true).shipped)
                shipped.append(try pair.sync(pair.b, pair.a, incremental: true).shipped)
            }
            #expect(shipped == [0, 0, 0, 0, 0, 0], "nothing crosses once both hold the value 1: \(shipped)")
        }
    }

    /// A version 1 base is the portable form itself; its digests must be those of the row
    /// it describes, or every row of an upgraded book would look changed on both sides.
    @Test func theDigestsOfAVersionOneBaseAreThoseOfTheRow() throws {
        let table = TableDefinition(name: "orders", columns: [
            ColumnDefinition(name: "id", type: "TEXT", notNull: true, primaryKey: 1, default: nil),
            ColumnDefinition(name: "number", type: "TEXT", notNull: true, primaryKey: 0, default: nil),
            ColumnDefinition(name: "total", type: "REAL", notNull: false, primaryKey: 0, default: nil),
            ColumnDefinition(name: "note", type: "TEXT", notNull: false, primaryKey: 0, default: nil),
            ColumnDefinition(name: "customerId", type: "TEXT", notNull: false, primaryKey: 0, default: nil),
        ], primaryKey: ["id"], cloudId: nil, matchSets: [["number"]], references: [Reference(columns: ["customerId"], table: "customers", to: ["id"])],
            create: "", indexes: [])
        var record = Record(operation: .upsert, cloudId: .null, keys: [], row: [
            ("number", .text("A-1")), ("total", .real(12.0)), ("note", .text("line\n\"quoted\" ü")), ("customerId", .text("c1")),
        ], refs: [("customerId", Record.ReferenceIdentity(table: "customers", cloudId: .text("0190-cloud"), keys: []))], hash: nil)
        let form = PortableRow(table: table).encode(record: record)
        #expect(form.digests.digests.count == 4)
        #expect(ColumnDigests(portableForm: try JSONParser.parse(form.bytes)) == form.digests)
        record.row[1] = ("total", .integer(12))
        #expect(PortableRow(table: table).encode(record: record).digests == form.digests, "12 and 12.0 are one value")
    }

    /// `prepare` and a full export, then the book rewritten as version 1 left it (the
    /// portable form as `base`, a sha256-length hash): opening it upgrades it in place, an
    /// incremental export finds nothing changed, and a changed row ships with the old
    /// version's digests as its base.
    @Test func aVersionOneBookIsUpgradedInPlaceAndItsRowsStayUnchanged() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("old.db").path
            var store = try SQLiteStore(path: path, mode: .readWriteCreate)
            try store.database.execute("""
                CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, price REAL, note TEXT);
                INSERT INTO items VALUES (1, 'a', 1.5, 'first'), (2, 'b', 2.0, NULL), (3, 'c', NULL, 'third "quoted"');
                """)
            _ = try Preparer.prepare(store: store, tables: nil, profile: Profile())
            _ = try Exporter(store: store, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            let table = try #require(try store.tables(profile: Profile()).first { $0.name == "items" })
            let portable = PortableRow(table: table)
            var forms: [[UInt8]: PortableRow.Form] = [:]
            for row in try store.database.rows("SELECT id, sku, price, note FROM items") {
                let values = ["sku": row[1], "price": row[2], "note": row[3]]
                let form = portable.encode(isNull: { values[portable.columns[$0].name]!.isNull },
                                           append: { $1.appendValue(values[portable.columns[$0].name]!) }, identity: { _ in nil })
                forms[PortableRow.rowKey([row[0]])] = form
            }
            // The same entries as version 1 kept them.
            let entries = try store.database.rows("SELECT rowKey, identity, versions, seq FROM _ferry_rows")
            try store.database.execute("""
                DROP TABLE _ferry_rows; DROP TABLE _ferry_tables;
                CREATE TABLE _ferry_rows (tableName TEXT NOT NULL, rowKey TEXT NOT NULL, identity TEXT NOT NULL, hash TEXT NOT NULL, base TEXT NOT NULL,
                    deleted INTEGER NOT NULL DEFAULT 0, versions TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL DEFAULT 0, changedAt INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (tableName, rowKey)) WITHOUT ROWID;
                CREATE INDEX _ferry_rows_identity ON _ferry_rows (tableName, identity);
                """)
            for entry in entries {
                let rowKey = BookPacking.unpack(rowKey: entry[0])
                guard let form = forms[rowKey] else { Issue.record("no form for \(entry)"); continue }
                let statement = try store.database.prepare("INSERT INTO _ferry_rows (tableName, rowKey, identity, hash, base, versions, seq) VALUES ('items', ?, ?, ?, ?, ?, ?)")
                try statement.bind([.text(rowKey), .text(BookPacking.unpack(identity: entry[1])), .text(String(repeating: "ab", count: 32)), .text(form.bytes),
                                    .text(BookPacking.unpack(versions: entry[2]).bytes), entry[3]])
                try statement.step()
            }
            store = try SQLiteStore(path: path, mode: .readWrite)
            let book = try #require(try store.syncBook(create: false))
            for (rowKey, form) in forms {
                let entry = try #require(try book.entry(table: "items", rowKey: rowKey))
                #expect(entry.hash == form.hash && entry.digests == form.digests, "the upgraded entry of \(String(decoding: rowKey, as: UTF8.self))")
            }
            #expect(try store.database.scalar("SELECT count(*) FROM pragma_table_info('_ferry_rows') WHERE name = 'base'") == .integer(0))

            let nothing = try Exporter(store: store, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("nothing").path)
            #expect(nothing.manifest.tables.map(\.rows).reduce(0, +) == 0, "no row changed: nothing ships")

            try store.database.execute("UPDATE items SET price = 9.5 WHERE sku = 'a'")
            let changed = try Exporter(store: store, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("changed").path)
            var bases: [ColumnDigests?] = []
            let reader = try ChangesetReader(path: changed.path)
            for table in reader.manifest.tables {
                try reader.forEachRecord(in: table) { _, record, _ in bases.append(record.base) }
            }
            #expect(bases == [forms[PortableRow.rowKey([.integer(1)])]?.digests], "the changed row's base is the version that crossed")
        }
    }

    /// A row that holds its cloudId is found through the table's own cloudId index, so its
    /// entry stays out of the book's identity index; once the row is deleted here its entry
    /// is found by identity again, before any export made it a tombstone.
    @Test func anEntryWhoseRowHoldsItsCloudIdIsFoundThroughTheTable() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("app.db").path, mode: .readWriteCreate)
            try store.database.execute("""
                CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT);
                INSERT INTO notes VALUES ('n1', 'a'), ('n2', 'b');
                """)
            _ = try Preparer.prepare(store: store, tables: nil, profile: Profile())
            _ = try Exporter(store: store, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            let indexed = "SELECT count(*) FROM _ferry_rows INDEXED BY _ferry_rows_identity WHERE tableId = (SELECT id FROM _ferry_tables WHERE name = 'notes') AND identity IS NOT NULL AND (deleted = 1 OR inTable = 0)"
            #expect(try store.database.scalar(indexed) == .integer(0), "rows holding their cloudIds take no room in the identity index")
            let table = try #require(try store.tables(profile: Profile()).first { $0.name == "notes" })
            let cloudId = try #require(try store.database.scalar("SELECT cloudId FROM notes WHERE id = 'n1'"))
            let identity = PortableRow.identity(cloudId: cloudId, keys: [])
            var book = try #require(try store.syncBook(create: false))
            #expect(try book.entries(table: table, identity: identity).map(\.rowKey) == [PortableRow.rowKey([.text("n1")])])

            try store.database.execute("DELETE FROM notes WHERE id = 'n1'")
            book = try #require(try store.syncBook(create: false))
            let found = try book.entries(table: table, identity: identity)
            #expect(found.map(\.rowKey) == [PortableRow.rowKey([.text("n1")])] && found.first?.deleted == false,
                    "the entry of a row deleted here is found by its identity")
            #expect(try store.database.scalar(indexed) == .integer(1))

            // A row whose cloudId the application cleared keeps the one the book knows it by,
            // which only the identity index can find now.
            let second = try #require(try store.database.scalar("SELECT cloudId FROM notes WHERE id = 'n2'"))
            try store.database.execute("UPDATE notes SET cloudId = NULL WHERE id = 'n2'")
            let cleared = try Exporter(store: store, options: ExportOptions(incremental: true)).export(to: directory.appendingPathComponent("cleared").path)
            #expect(cleared.manifest.tables.first { $0.name == "notes" }?.rows == 1, "the delete of n1 ships; n2 is unchanged and does not")
            book = try #require(try store.syncBook(create: false))
            #expect(try book.entries(table: table, identity: PortableRow.identity(cloudId: second, keys: [])).map(\.rowKey) == [PortableRow.rowKey([.text("n2")])])
        }
    }

    /// A row whose cloudId was rewritten or cleared here (by the application, a migration)
    /// is still the row the other side edits: the import finds it by the identity the book
    /// knows, applies the edit, and makes no second row (found by a hostile tester: the
    /// edit was inserted as a duplicate).
    @Test func aRowWhoseCloudIdWasRewrittenHereStillTakesTheOtherSidesEdit() throws {
        try withTemporaryDirectory { directory in
            let pair = try PreparedPair(in: directory, schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v TEXT);",
                                        rowsOfA: "INSERT INTO t VALUES (1, 'x', 'v'), (2, 'y', 'v');")
            try pair.exchangeInFull()
            try pair.b.database.execute("UPDATE t SET cloudId = '22222222-2222-2222-2222-222222222222' WHERE id = 1; UPDATE t SET cloudId = NULL WHERE id = 2")
            try pair.a.database.execute("UPDATE t SET v = 'edited on A'")
            let report = try pair.sync(pair.a, pair.b, incremental: true).report
            #expect(report.totals.inserted == 0 && report.totals.rejected == 0, "\(report.table())")
            let rows = try pair.b.database.rows("SELECT id, v FROM t ORDER BY id")
            #expect(rows == [[.integer(1), .text("edited on A")], [.integer(2), .text("edited on A")]], "\(rows)")
        }
    }

    /// The book keeps a hash and digests per row, never the row's values.
    @Test func theBookKeepsNoCopyOfARowsValues() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("app.db").path, mode: .readWriteCreate)
            try store.database.execute("""
                CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL UNIQUE, body TEXT);
                INSERT INTO notes (title, body) VALUES ('t1', 'a-long-and-private-body-text');
                """)
            _ = try Preparer.prepare(store: store, tables: nil, profile: Profile())
            _ = try Exporter(store: store, options: ExportOptions()).export(to: directory.appendingPathComponent("full").path)
            let columns = try store.database.rows("SELECT name FROM pragma_table_info('_ferry_rows')").compactMap { $0[0].string }
            #expect(columns.contains("digests") && !columns.contains("base"))
            let match = "SELECT count(*) FROM _ferry_rows WHERE " + columns.map { "instr(CAST(\(Identifier.quote($0)) AS BLOB), CAST('private-body' AS BLOB)) > 0" }.joined(separator: " OR ")
            #expect(try store.database.scalar(match) == .integer(0))
            #expect(try store.database.scalar("SELECT count(*) FROM _ferry_rows") == .integer(1))
        }
    }
}
