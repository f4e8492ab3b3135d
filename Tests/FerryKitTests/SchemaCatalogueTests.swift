import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 14: every shape of SchemaCatalogue replays exactly into a new file and reconciles
/// into a target that holds the same logical rows under other ids.
@Suite struct SchemaCatalogueTests {
    // MARK: Replay

    @Test(arguments: SchemaCatalogue.shapes)
    func replayIsExact(_ shape: SchemaShape) throws {
        try withTemporaryDirectory { directory in
            let sourcePath = try shape.buildSource(in: directory)
            let profile = try shape.loadProfile()
            let changeset = directory.appendingPathComponent("changeset").path
            let manifest = try CatalogueSupport.export(sourcePath, to: changeset, profile: profile)
            let targetPath = directory.appendingPathComponent("replay.db").path
            let target = try SQLiteStore(path: targetPath, mode: .readWriteCreate)
            let rejectsPath = directory.appendingPathComponent("rejects.ndjson").path
            let report = try Importer(store: target, changeset: try ChangesetReader(path: changeset),
                                      options: ImportOptions(rejectsPath: rejectsPath, conflictsPath: directory.appendingPathComponent("conflicts.ndjson").path)).run()
            #expect(report.totals.rejected == 0, "\(shape.name): the replay rejected records: \(CatalogueSupport.head(rejectsPath))")
            #expect(report.totals.conflicts == 0, "\(shape.name): a replay into a new file has no conflicts")

            let source = try SQLiteDatabase(path: sourcePath, mode: .readWrite)
            let plain = try CatalogueSupport.plainTables(source)
            let tables = plain.filter { !shape.bookkeeping.contains($0) }
            #expect(!tables.isEmpty)
            // Views, virtual tables and their shadow tables are no data.
            let notData = Set(manifest.tables.map(\.name)).subtracting(plain)
            #expect(notData.isEmpty, "\(shape.name): the changeset carries views, virtual or shadow tables as data: \(notData.sorted())")

            for table in tables {
                guard try CatalogueSupport.exists(table, in: target.database) else {
                    Issue.record("\(shape.name): table \(table) is missing from the replay")
                    continue
                }
                let columns = try CatalogueSupport.columns(of: table, in: source)
                #expect(try CatalogueSupport.columns(of: table, in: target.database) == columns, "\(shape.name): \(table) has other columns in the replay")
                let order = try CatalogueSupport.orderBy(table, in: source)
                let expected = try CatalogueSupport.fingerprints(source, table: table, columns: columns, orderBy: order)
                let actual = try CatalogueSupport.fingerprints(target.database, table: table, columns: columns, orderBy: order)
                #expect(actual.count == expected.count, "\(shape.name): \(table) has \(actual.count) rows in the replay, \(expected.count) in the source")
                if actual.sorted() != expected.sorted() {
                    let missing = Set(expected).subtracting(actual).sorted().prefix(3)
                    let extra = Set(actual).subtracting(expected).sorted().prefix(3)
                    Issue.record("\(shape.name): \(table) cells differ. Source only: \(Array(missing)); replay only: \(Array(extra))")
                } else {
                    #expect(actual == expected, "\(shape.name): \(table) holds the same rows, but not under the same \(order)")
                }
                let expectedIndexes = try CatalogueSupport.indexNames(of: table, in: source)
                #expect(try CatalogueSupport.indexNames(of: table, in: target.database) == expectedIndexes, "\(shape.name): \(table) has other indexes in the replay")
            }

            // sqlite_sequence: the next AUTOINCREMENT id is the one the source would give.
            let expectedSequence = try CatalogueSupport.sequence(source, tables: tables)
            #expect(try CatalogueSupport.sequence(target.database, tables: tables) == expectedSequence, "\(shape.name): sqlite_sequence differs")
            for same in shape.sameResults {
                guard let object = same.requires, try CatalogueSupport.exists(object, in: target.database, anyType: true) else { continue }
                let query = same.sql
                #expect(try CatalogueSupport.rows(target.database, query) == CatalogueSupport.rows(source, query), "\(shape.name): \(query)")
            }
            for insert in shape.nextId {
                try source.execute(insert)
                let expectedId = try source.scalar("SELECT last_insert_rowid()")
                do {
                    try target.database.execute(insert)
                    #expect(try target.database.scalar("SELECT last_insert_rowid()") == expectedId, "\(shape.name): \(insert) gets another id in the replay")
                } catch {
                    Issue.record("\(shape.name): \(insert) fails in the replay: \(error)")
                }
            }
        }
    }

    // MARK: Reconcile

    @Test(arguments: SchemaCatalogue.shapes)
    func reconcileMatchesEveryRow(_ shape: SchemaShape) throws {
        try reconcile(shape, prepared: false)
    }

    @Test(arguments: SchemaCatalogue.shapes.filter(\.preparedVariant))
    func reconcileMatchesEveryRowAfterIndependentPrepares(_ shape: SchemaShape) throws {
        try reconcile(shape, prepared: true)
    }

    // MARK: Framework bookkeeping

    @Test(arguments: SchemaCatalogue.shapes.filter { !$0.bookkeeping.isEmpty })
    func migrationBookkeepingIsNotSynced(_ shape: SchemaShape) throws {
        try withTemporaryDirectory { directory in
            let sourcePath = try shape.buildSource(in: directory)
            let manifest = try CatalogueSupport.export(sourcePath, to: directory.appendingPathComponent("changeset").path, profile: try shape.loadProfile())
            let exported = Set(manifest.tables.map(\.name))
            #expect(exported.intersection(shape.bookkeeping).isEmpty, "\(shape.name): migration bookkeeping is exported: \(exported.intersection(shape.bookkeeping).sorted())")
            #expect(exported.isSuperset(of: shape.identities.map(\.table)), "\(shape.name): the application's tables are all exported")
        }
    }

    private func reconcile(_ shape: SchemaShape, prepared: Bool) throws {
        let label = shape.name + (prepared ? " (prepared)" : "")
        try withTemporaryDirectory { directory in
            let sourcePath = try shape.buildSource(in: directory)
            let targetPath = directory.appendingPathComponent("target.db").path
            try FileManager.default.copyItem(atPath: sourcePath, toPath: targetPath)
            try SQLiteDatabase(path: targetPath, mode: .readWrite).execute(shape.target)
            let profile = try shape.loadProfile()
            let source = try SQLiteStore(path: sourcePath, mode: .readWrite)
            let target = try SQLiteStore(path: targetPath, mode: .readWrite)
            if prepared {
                _ = try Preparer.prepare(store: source, tables: nil, profile: profile)
                _ = try Preparer.prepare(store: target, tables: nil, profile: profile)
            }
            let expected = try CatalogueSupport.identities(shape, in: source.database)
            let before = try CatalogueSupport.identities(shape, in: target.database)
            // The fixture itself: the target really lacks some of the source's rows.
            #expect(shape.identities.contains { Set(expected[$0.table]!.map(\.key)) != Set(before[$0.table]!.map(\.key)) }, "\(label): fixture: the target lacks no row")

            let first = directory.appendingPathComponent("first").path
            _ = try Exporter(store: source, options: ExportOptions(profile: profile)).export(to: first)
            let rejects = directory.appendingPathComponent("rejects-1.ndjson").path
            let report = try Importer(store: target, changeset: try ChangesetReader(path: first, target: target),
                                      options: ImportOptions(rejectsPath: rejects, conflictsPath: directory.appendingPathComponent("conflicts-1.ndjson").path, onConflict: .sourceWins,
                                                             track: true)).run()
            #expect(report.totals.rejected == 0, "\(label): \(report.totals.rejected) rejected: \(CatalogueSupport.head(rejects))")
            let after = try CatalogueSupport.identities(shape, in: target.database)
            try CatalogueSupport.checkReconciled(label, shape: shape, expected: expected, before: before, after: after, target: target.database)
            for same in shape.sameResults {
                #expect(try CatalogueSupport.rows(target.database, same.sql) == CatalogueSupport.rows(source.database, same.sql), "\(label): \(same.sql)")
            }

            // The second exchange: a new edit on the source (or the same changeset again)
            // meets what the first import and the target's triggers wrote. No conflict.
            let second: String
            if let edit = shape.secondExchange {
                try source.database.execute(edit)
                second = directory.appendingPathComponent("second").path
                _ = try Exporter(store: source, options: ExportOptions(profile: profile)).export(to: second)
            } else {
                second = first
            }
            let conflicts = directory.appendingPathComponent("conflicts-2.ndjson").path
            let rejects2 = directory.appendingPathComponent("rejects-2.ndjson").path
            let again = try Importer(store: target, changeset: try ChangesetReader(path: second, target: target),
                                     options: ImportOptions(rejectsPath: rejects2, conflictsPath: conflicts)).run()
            #expect(again.totals.conflicts == 0, "\(label): the second exchange has conflicts: \(CatalogueSupport.head(conflicts))")
            #expect(again.totals.rejected == 0, "\(label): the second exchange rejects: \(CatalogueSupport.head(rejects2))")
            if shape.secondExchange == nil {
                #expect(again.totals.inserted + again.totals.updated + again.totals.merged + again.totals.deleted == 0,
                        "\(label): importing the same changeset again changed rows: \(again.totals)")
            }
            let expectedAgain = try CatalogueSupport.identities(shape, in: source.database)
            let afterAgain = try CatalogueSupport.identities(shape, in: target.database)
            try CatalogueSupport.checkReconciled(label + " (second exchange)", shape: shape, expected: expectedAgain, before: after, after: afterAgain, target: target.database)
        }
    }
}

/// One row as the reconcile check sees it.
struct IdentityRow: Equatable {
    var key: String
    var content: String
    var id: String
}

enum CatalogueSupport {
    static func export(_ sourcePath: String, to path: String, profile: Profile) throws -> Manifest {
        let store = try SQLiteStore(path: sourcePath, mode: .readOnly)
        return try Exporter(store: store, options: ExportOptions(profile: profile)).export(to: path).manifest
    }

    /// The first bytes of a side file, for a failure message.
    static func head(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return "(no file)" }
        return String(decoding: data.prefix(900), as: UTF8.self)
    }

    /// Ordinary tables: no virtual tables, no shadow tables, no sqlite_ or _ferry_ tables.
    static func plainTables(_ database: SQLiteDatabase) throws -> [String] {
        try database.rows(#"""
            SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'
              AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name NOT LIKE '\_ferry\_%' ESCAPE '\' ORDER BY name
            """#).compactMap { $0[0].string }
    }

    static func exists(_ name: String, in database: SQLiteDatabase, anyType: Bool = false) throws -> Bool {
        try database.scalar("SELECT 1 FROM sqlite_schema WHERE name = ?" + (anyType ? "" : " AND type = 'table'"), [.text(name)]) != nil
    }

    /// Every column a user sees, generated ones included (hidden 2 and 3); not a cloudId added by prepare.
    static func columns(of table: String, in database: SQLiteDatabase) throws -> [String] {
        try database.rows("SELECT name FROM pragma_table_xinfo(?) WHERE hidden IN (0, 2, 3) ORDER BY cid", [.text(table)]).compactMap { $0[0].string }
    }

    /// The primary key's columns, else the rowid (WITHOUT ROWID tables always have a primary key).
    static func orderBy(_ table: String, in database: SQLiteDatabase) throws -> String {
        let key = try database.rows("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", [.text(table)]).compactMap { $0[0].string }
        return key.isEmpty ? "rowid" : Identifier.quoteList(key)
    }

    static func fingerprints(_ database: SQLiteDatabase, table: String, columns: [String], orderBy: String) throws -> [String] {
        let parts = columns.map { column -> String in
            let q = Identifier.quote(column)
            return "typeof(\(q)) || ':' || quote(\(q)) || ':' || hex(\(q))"
        }.joined(separator: " || '|' || ")
        return try database.rows("SELECT \(parts) FROM \(Identifier.quote(table)) ORDER BY \(orderBy)").map { $0[0].string ?? "NULL" }
    }

    static func indexNames(of table: String, in database: SQLiteDatabase) throws -> [String] {
        try database.rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = ? AND name NOT LIKE '\\_ferry%' ESCAPE '\\' ORDER BY name",
                          [.text(table)]).compactMap { $0[0].string }
    }

    static func sequence(_ database: SQLiteDatabase, tables: [String]) throws -> [String] {
        guard try exists("sqlite_sequence", in: database) else { return [] }
        return try database.rows("SELECT name, seq FROM sqlite_sequence ORDER BY name")
            .filter { row in tables.contains(row[0].string ?? "") }
            .map { "\($0[0].string ?? ""): \($0[1])" }
    }

    static func rows(_ database: SQLiteDatabase, _ sql: String) throws -> [[String]] {
        try database.rows(sql).map { $0.map(\.description) }
    }

    static func identities(_ shape: SchemaShape, in database: SQLiteDatabase) throws -> [String: [IdentityRow]] {
        var result: [String: [IdentityRow]] = [:]
        for identity in shape.identities {
            result[identity.table] = try database.rows(identity.sql).map { row in
                IdentityRow(key: row[0].string ?? row[0].description, content: row[1].string ?? row[1].description, id: row[2].string ?? row[2].description)
            }
        }
        return result
    }

    /// Every source row once in the target with the source's values, the target's own rows
    /// and ids kept, no dangling foreign key.
    static func checkReconciled(_ label: String, shape: SchemaShape, expected: [String: [IdentityRow]], before: [String: [IdentityRow]],
                                after: [String: [IdentityRow]], target: SQLiteDatabase) throws {
        for identity in shape.identities {
            let table = identity.table
            let rows = after[table] ?? []
            let count = try target.scalar("SELECT count(*) FROM \(Identifier.quote(table))")
            #expect(count == .integer(Int64(rows.count)), "\(label): \(table): the identity query sees \(rows.count) of \(String(describing: count)) rows")
            let byKey = Dictionary(grouping: rows, by: \.key)
            let duplicates = byKey.filter { $0.value.count > 1 }.keys.sorted()
            #expect(duplicates.isEmpty, "\(label): \(table): duplicated rows: \(duplicates.prefix(5))")
            let sourceRows = expected[table] ?? []
            let missing = sourceRows.filter { byKey[$0.key] == nil }.map(\.key)
            #expect(missing.isEmpty, "\(label): \(table): \(missing.count) of \(sourceRows.count) source rows are not in the target: \(missing.prefix(5))")
            let differing = sourceRows.compactMap { row -> String? in
                guard let found = byKey[row.key]?.first, found.content != row.content else { return nil }
                return "\(row.key): target \(found.content), source \(row.content)"
            }
            #expect(differing.isEmpty, "\(label): \(table): rows with other values than the source's: \(differing.prefix(4))")
            let moved = (before[table] ?? []).compactMap { row -> String? in
                guard let found = byKey[row.key]?.first else { return "\(row.key) (the target's row is gone)" }
                return found.id == row.id ? nil : "\(row.key): id \(row.id) became \(found.id)"
            }
            #expect(moved.isEmpty, "\(label): \(table): the target's own rows lost their ids: \(moved.prefix(4))")
        }
        let dangling = try target.rows("PRAGMA foreign_key_check").map { $0.map(\.description).joined(separator: " ") }
        #expect(dangling.isEmpty, "\(label): dangling foreign keys: \(dangling.prefix(5))")
        for invariant in shape.targetInvariants {
            let violations = try target.rows(invariant)
            #expect(violations.isEmpty, "\(label): \(invariant) returns \(violations.prefix(3))")
        }
    }
}

/// Issue 17: every shape of SchemaCatalogue carried SQLite → a new PostgreSQL database
/// (Ferry makes its tables) → a new SQLite file comes back identical, each value with its
/// storage class: "a value that crosses SQLite → PostgreSQL → SQLite comes back identical,
/// type included". What PostgreSQL cannot hold is rejected, record by record, with the
/// reason, and what its tables lack is said in the report.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct SchemaCatalogueThroughPostgresTests {
    /// Values no PostgreSQL column holds, by shape: bytes in a column SQLite leaves untyped
    /// (or `ANY`, in a STRICT table) that also holds text, and a NULL in an `INT PRIMARY
    /// KEY` (SQLite's old allowance). Their records are rejected, and the records pointing
    /// at them with them.
    static let rejectedReasons: [String: String] = [
        "strict_tables": "holds bytes (a BLOB) only as bytea",
        "affinity_quirks": "holds bytes (a BLOB) only as bytea",
        "integer_pk_alias_and_plain_rowid": #"null value in column \"id\""#,
    ]

    @Test(arguments: SchemaCatalogue.shapes)
    func aShapeComesBackFromPostgresAsItWent(_ shape: SchemaShape) throws {
        try withTemporaryDirectory { directory in
            let sourcePath = try shape.buildSource(in: directory)
            let profile = try shape.loadProfile()
            let there = directory.appendingPathComponent("there").path
            _ = try CatalogueSupport.export(sourcePath, to: there, profile: profile)
            let back = directory.appendingPathComponent("back").path
            var rejectedTables = Set<String>()
            try PostgresTestServer.withDatabase { uri in
                let cloud = try PostgresStore(uri: uri)
                let report = try importChangeset(there, into: cloud, in: directory)
                let rejects = ((try? String(contentsOfFile: report.rejectsFile ?? "", encoding: .utf8)) ?? "").split(separator: "\n")
                #expect(rejects.count == report.totals.rejected)
                if let reason = Self.rejectedReasons[shape.name] {
                    #expect(report.totals.rejected > 0, "\(shape.name): the fixture no longer holds what PostgreSQL cannot")
                    for line in rejects {
                        #expect(line.contains(reason) || line.contains("which was itself rejected"), "\(shape.name): \(line.prefix(400))")
                        if case .object(let pairs) = try JSONParser.parse(Array(line.utf8)), case .object(let reject)? = pairs.first(where: { $0.key == "reject" })?.value,
                           case .string(let table)? = reject.first(where: { $0.key == "table" })?.value {
                            rejectedTables.insert(String(decoding: table, as: UTF8.self))
                        }
                    }
                } else {
                    #expect(report.totals.rejected == 0, "\(shape.name): into PostgreSQL: \(CatalogueSupport.head(report.rejectsFile ?? ""))")
                }
                if shape.name == "generated_columns" {
                    #expect(report.warnings.contains { $0.contains("generated columns total_cents, label") }, "\(report.warnings)")
                }
                _ = try Exporter(store: cloud, options: ExportOptions()).export(to: back)
            }
            let target = try SQLiteStore(path: directory.appendingPathComponent("back.db").path, mode: .readWriteCreate)
            let report = try importChangeset(back, into: target, in: directory)
            #expect(report.totals.rejected == 0, "\(shape.name): back into SQLite: \(CatalogueSupport.head(report.rejectsFile ?? ""))")
            let source = try SQLiteDatabase(path: sourcePath, mode: .readWrite)
            let carried = Set(try ChangesetReader(path: there).manifest.tables.map(\.name))
            for table in try CatalogueSupport.plainTables(source) where carried.contains(table) && !rejectedTables.contains(table) {
                guard try CatalogueSupport.exists(table, in: target.database) else {
                    Issue.record("\(shape.name): table \(table) did not come back")
                    continue
                }
                // Generated columns stay behind (said above); every other column comes back.
                let here = Set(try CatalogueSupport.columns(of: table, in: target.database))
                let columns = try CatalogueSupport.columns(of: table, in: source).filter { here.contains($0) || shape.name != "generated_columns" }
                let expected = try CatalogueSupport.fingerprints(source, table: table, columns: columns, orderBy: "1").sorted()
                let actual = try CatalogueSupport.fingerprints(target.database, table: table, columns: columns, orderBy: "1").sorted()
                if actual != expected {
                    let missing = Set(expected).subtracting(actual).sorted().prefix(3)
                    let extra = Set(actual).subtracting(expected).sorted().prefix(3)
                    Issue.record("\(shape.name): \(table) came back otherwise. Went: \(Array(missing)); came back: \(Array(extra))")
                }
            }
        }
    }
}

/// The generated columns a CREATE TABLE names, found by a tester with quoted names.
@Suite struct GeneratedColumnNamesTests {
    @Test func quotedNamesAreUnquoted() {
        let sql = #"CREATE TABLE h (id INTEGER PRIMARY KEY, b INT, "e f" INT AS (b + 1), "q""uote" TEXT GENERATED ALWAYS AS ('x') STORED, [brack et] INT AS (b), `back tick` INT AS (2), "as" INT, c TEXT CHECK (c <> 'AS'), CONSTRAINT k CHECK (b > 0))"#
        #expect(PortableIndexes.generatedColumns(inCreateTable: sql, columns: ["id", "b", "as", "c"]) == ["e f", #"q"uote"#, "brack et", "back tick"])
    }
}

/// A unique key over a generated column: PostgreSQL's table is made without both, and says
/// so (the CREATE failed, naming a column it lacks, and nothing was imported).
@Suite(.enabled(if: PostgresTestServer.enabled)) struct GeneratedKeyTests {
    @Test func aUniqueGeneratedColumnStaysBehindWithItsKey() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportedSQLite(in: directory, "CREATE TABLE k (id INTEGER PRIMARY KEY, b INT, g INT AS (b + 1) STORED UNIQUE); INSERT INTO k (id, b) VALUES (1, 1);")
            try PostgresTestServer.withDatabase { uri in
                let report = try importChangeset(changeset, into: try PostgresStore(uri: uri), in: directory)
                #expect(report.totals.inserted == 1)
                #expect(report.warnings.contains { $0.contains("the generated column g") && $0.contains("the unique key (g)") }, "\(report.warnings)")
            }
        }
    }
}
