import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

@Suite struct SchemaTests {
    private func table(_ name: String, references parents: [String]) -> TableDefinition {
        TableDefinition(name: name, columns: [], primaryKey: [], cloudId: nil, matchSets: [],
                        references: parents.map { Reference(columns: ["x"], table: $0, to: ["id"]) }, create: "", indexes: [])
    }

    @Test func tablesAreOrderedParentsFirstIgnoringSelfReferences() {
        let order = ForeignKeyOrder.sorted([
            table("proposals", references: ["customers", "users"]),
            table("content", references: ["content", "users"]),
            table("users", references: ["roles"]),
            table("customers", references: ["users"]),
            table("roles", references: []),
        ]).map(\.name)
        #expect(order == ["roles", "users", "content", "customers", "proposals"])
    }

    @Test func aCycleStillYieldsEveryTableOnce() {
        let order = ForeignKeyOrder.sorted([table("a", references: ["b"]), table("b", references: ["a"]), table("c", references: ["a"])]).map(\.name)
        #expect(order.sorted() == ["a", "b", "c"])
        #expect(order.last == "c")
    }

    @Test func theSampleSchemaYieldsNaturalKeysCloudIdsAndReferences() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("crm.db").path
            try SampleCRM.locate().build(.local, at: path)
            let tables = try SQLiteStore(path: path, mode: .readOnly).tables(profile: .empty)
            let byName = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
            #expect(byName["users"]?.matchSets == [["email"]])
            #expect(byName["permissions"]?.matchSets == [["resource", "action", "scope"]])
            #expect(byName["products"]?.matchSets == [["sku"]])
            #expect(byName["customers"]?.cloudId == "cloudId")
            #expect(byName["customers"]?.matchSets == [], "the cloudId index is not a natural key; email is not unique")
            #expect(byName["users"]?.references == [Reference(columns: ["roleId"], table: "roles", to: ["id"], onDelete: "RESTRICT", onUpdate: "CASCADE")])
            #expect(byName["content"]?.references.contains { $0.table == "content" && $0.columns == ["parentId"] } == true)
        }
    }

    @Test func profileFallbackCompositesFollowNaturalKeysAndSkipDropsColumns() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("crm.db").path
            try SampleCRM.locate().build(.local, at: path)
            let profile = Profile(tables: ["customers": .init(match: [["email"], ["company"]], skip: ["lastSyncedAt"])])
            let customers = try SQLiteStore(path: path, mode: .readOnly).tables(profile: profile).first { $0.name == "customers" }
            #expect(customers?.matchSets == [])
            #expect(customers?.fallbackMatchSets == [["email"], ["company"]])
            #expect(customers?.column(named: "lastSyncedAt") == nil)
            let bad = Profile(tables: ["customers": .init(match: [["nope"]])])
            #expect(throws: FerryError.self) { _ = try SQLiteStore(path: path, mode: .readOnly).tables(profile: bad) }
        }
    }

    @Test func aReferenceWithoutColumnsPointsAtTheParentsPrimaryKey() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("implicit.db").path
            let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            try db.execute("CREATE TABLE p (code TEXT PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p TEXT REFERENCES p)")
            let c = try SQLiteStore(path: path, mode: .readOnly).tables(profile: .empty).first { $0.name == "c" }
            #expect(c?.references.first?.to == ["code"])
        }
    }

    @Test func identifiersAreQuotedWithEmbeddedQuotesDoubled() {
        #expect(Identifier.quote("users") == "\"users\"")
        #expect(Identifier.quote(#"a"; DROP TABLE x; --"#) == #""a""; DROP TABLE x; --""#)
    }

    @Test func tableFileNamesNeverLeaveTheFolder() {
        #expect(ChangesetFileName.forTable("users") == "users.ndjson.gz")
        #expect(ChangesetFileName.forTable("../etc/passwd") == "%2E%2E%2Fetc%2Fpasswd.ndjson.gz")
        #expect(ChangesetFileName.forTable("名") == "%E5%90%8D.ndjson.gz")
    }
}

@Suite struct ForgedSchemaTests {
    private func attempt(_ create: String, indexes: [String] = []) throws -> (FerryError?, SQLiteStore) {
        let store = try SQLiteStore(path: ":memory:", mode: .readWriteCreate)
        try store.database.execute("CREATE TABLE keep (id INTEGER PRIMARY KEY); INSERT INTO keep VALUES (1)")
        let definition = TableDefinition(name: "roles", columns: [], primaryKey: [], cloudId: nil, matchSets: [], references: [], create: create, indexes: indexes)
        do {
            try store.withTransaction { _ = try store.createTable(definition) }
            return (nil, store)
        } catch let error as FerryError {
            return (error, store)
        }
    }

    @Test func onlyCreateTableAndIndexStatementsRun() throws {
        let forged = [
            #"CREATE TABLE "roles" (id); DROP TABLE keep"#,
            "DROP TABLE keep",
            "CREATE TRIGGER t AFTER INSERT ON keep BEGIN DELETE FROM keep; END",
            "ATTACH DATABASE '/tmp/ferry-evil.db' AS evil",
            "CREATE TABLE other (id)",
            "CREATE VIEW roles AS SELECT * FROM keep",
            "CREATE TABLE roles AS SELECT * FROM keep",
            "CREATE TEMP TABLE roles (id)",
        ]
        for create in forged {
            let (error, store) = try attempt(create)
            #expect(error?.kind == .unsafe, "\(create)")
            #expect(try store.database.scalar("SELECT count(*) FROM keep") == .integer(1), "\(create)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/ferry-evil.db"))
    }

    @Test func indexStatementsMayOnlyIndexTheirOwnTable() throws {
        let (error, _) = try attempt("CREATE TABLE roles (id, name)", indexes: ["CREATE INDEX sneaky ON keep(id)"])
        #expect(error?.kind == .unsafe)
        let (ok, store) = try attempt("CREATE TABLE roles (id, name)", indexes: ["CREATE UNIQUE INDEX roles_name ON roles(name)"])
        #expect(ok == nil)
        #expect(try store.tableExists("roles"))
    }
}

@Suite struct ProfileFileTests {
    private func load(_ text: String) throws -> Profile {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("profile.json")
            try text.write(to: path, atomically: true, encoding: .utf8)
            return try Profile.load(path: path.path)
        }
    }

    @Test func theSampleProfileLoads() throws {
        let profile = try Profile.load(path: try SampleCRM.locate().profilePath)
        #expect(profile.tables["customers"]?.match == [["email"], ["company"]])
        #expect(profile.exclude == ["_prisma_migrations"])
    }

    @Test func aMisspeltKeyIsAnErrorThatNamesIt() throws {
        #expect { try load(#"{"tables": {"customers": {"mach": [["email"]]}}}"#) } throws: { error in
            (error as? FerryError)?.message.contains("unknown key \"mach\" at tables.customers") == true
        }
        #expect(throws: FerryError.self) { try load(#"{"cloudID": "x"}"#) }
        #expect(throws: FerryError.self) { try load("not json") }
        #expect(throws: FerryError.self) { try load(#"{"tables": {"customers": {"match": "email"}}}"#) }
    }
}

/// Swift compares names by canonical equivalence, so a column named `é` (U+00E9) and one
/// named `e` + U+0301 are one name to Ferry while the database keeps two. Such a table used
/// to export, and its own changeset was then refused as holding a duplicate key.
@Suite struct LookalikeNameTests {
    static let composed = "caf\u{E9}", decomposed = "cafe\u{301}"

    @Test func columnsThatDifferOnlyInNormalizationAreRefusedAtExportNamingBoth() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.db").path
            let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            try database.execute("CREATE TABLE menu (id INTEGER PRIMARY KEY, \(Identifier.quote(Self.composed)) TEXT, \(Identifier.quote(Self.decomposed)) TEXT); INSERT INTO menu VALUES (1, 'a', 'b')")
            let store = try SQLiteStore(path: path, mode: .readOnly)
            let error = #expect(throws: FerryError.self) {
                try Exporter(store: store, options: ExportOptions()).export(to: directory.appendingPathComponent("out").path)
            }
            #expect(error?.kind == .schema)
            #expect(error?.message.contains("table menu") == true && error?.message.contains("U+0065 U+0301") == true && error?.message.contains("U+00E9") == true, "\(error?.message ?? "")")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out").path))
        }
    }

    @Test func columnNamesTheSameButForCaseOrBytesOfOtherCharactersStayApart() throws {
        try UnicodeNames.refuseLookalikes(["name", "Name", Self.composed, "cafe"], what: "columns", place: "here")
        #expect(throws: FerryError.self) { try UnicodeNames.refuseLookalikes(["id", Self.decomposed, Self.composed], what: "columns", place: "here") }
    }
}

extension LookalikeNameTests {
    /// `--tables other` is no business of the table with lookalike columns it leaves out.
    @Test func aTableLeftOutIsNotChecked() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("s.db").path
            let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            try database.execute("CREATE TABLE menu (id INTEGER PRIMARY KEY, \(Identifier.quote(Self.composed)) TEXT, \(Identifier.quote(Self.decomposed)) TEXT); CREATE TABLE other (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO other VALUES (1, 'x')")
            let store = try SQLiteStore(path: path, mode: .readWrite)
            let summary = try Exporter(store: store, options: ExportOptions(tables: ["other"])).export(to: directory.appendingPathComponent("out").path)
            #expect(summary.manifest.tables.map(\.name) == ["other"] && summary.manifest.tables[0].rows == 1)
            #expect(try Preparer.prepare(store: store, tables: ["other"], profile: .empty).count == 1)
            #expect(throws: FerryError.self) { try Preparer.prepare(store: store, tables: nil, profile: .empty) }
        }
    }
}

extension LookalikeNameTests {
    /// A changeset spelling a column `é` one way into a target that spells it the other way:
    /// a schema error naming both, and nothing written (it was SQLite's "no column named
    /// café", which looks like the name the target has).
    @Test func aChangesetColumnSpeltOtherwiseThanTheTargetsIsRefusedByName() throws {
        try withTemporaryDirectory { directory in
            let source = try SQLiteStore(path: directory.appendingPathComponent("s.db").path, mode: .readWriteCreate)
            try source.database.execute("CREATE TABLE menu (id INTEGER PRIMARY KEY, \(Identifier.quote(Self.composed)) TEXT); INSERT INTO menu VALUES (1, 'a')")
            let target = try SQLiteStore(path: directory.appendingPathComponent("t.db").path, mode: .readWriteCreate)
            try target.database.execute("CREATE TABLE menu (id INTEGER PRIMARY KEY, \(Identifier.quote(Self.decomposed)) TEXT); INSERT INTO menu VALUES (7, 'kept')")
            let changeset = try exportStore(source, to: directory, name: "menu")
            let error = #expect(throws: FerryError.self) { try importChangeset(changeset, into: target, in: directory) }
            #expect(error?.kind == .schema && error?.message.contains("U+00E9") == true && error?.message.contains("U+0065 U+0301") == true, "\(error?.message ?? "")")
            #expect(try target.database.rows("SELECT id FROM menu").map { $0[0] } == [.integer(7)])
        }
    }
}

/// Found by a tester: a profile's `exclude` of `x` let a table named `X` through, where
/// SQLite and Ferry's table matching take the two for one name.
@Suite struct ProfileExcludeTests {
    @Test func anExcludedNameLeavesOutTheTableInAnyCase() {
        let profile = Profile(exclude: ["x", "Audit_Log"])
        #expect(profile.excludes("X") && profile.excludes("x") && profile.excludes("audit_log") && profile.excludes("AUDIT_LOG"))
        #expect(!profile.excludes("y") && !profile.excludes("xx"))
        // Bookkeeping tables stay out unless included, in any case too.
        #expect(Profile().excludes("Django_Migrations") && !Profile(include: ["DJANGO_MIGRATIONS"]).excludes("django_migrations"))
    }
}
