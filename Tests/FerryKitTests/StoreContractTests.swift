import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// One contract every store keeps, run over each store (as litestream runs one suite over
/// every replica client): what the importer and exporter rely on, said through `Store`
/// alone, never through a store's own SQL.
enum StoreContract {
    /// people(id INTEGER key, email unique, manager → people), made by `createTable`.
    static let people = TableDefinition(
        name: "people",
        columns: [ColumnDefinition(name: "id", type: "INTEGER", notNull: true, primaryKey: 1, default: nil),
                  ColumnDefinition(name: "email", type: "TEXT", notNull: true, primaryKey: 0, default: nil),
                  ColumnDefinition(name: "manager", type: "INTEGER", notNull: false, primaryKey: 0, default: nil),
                  ColumnDefinition(name: "score", type: "REAL", notNull: false, primaryKey: 0, default: nil)],
        primaryKey: ["id"], cloudId: nil, matchSets: [["email"]],
        references: [Reference(columns: ["manager"], table: "people", to: ["id"])],
        create: "CREATE TABLE \"people\" (\"id\" INTEGER NOT NULL, \"email\" TEXT NOT NULL, \"manager\" INTEGER, \"score\" REAL, PRIMARY KEY (\"id\"), UNIQUE (\"email\"), FOREIGN KEY (\"manager\") REFERENCES \"people\" (\"id\"))",
        indexes: [])

    static func createdTablesReadBackWithTheirKeys(_ store: Store) throws {
        try store.withTransaction { _ = try store.createTable(people) }
        let table = try #require(try store.tables(profile: .empty).first { $0.name == "people" })
        #expect(table.columnNames == ["id", "email", "manager", "score"])
        #expect(table.primaryKey == ["id"])
        #expect(table.matchSets == [["email"]])
        #expect(table.references.map(\.table) == ["people"] && table.references.map(\.to) == [["id"]])
        #expect(try store.tableExists("people") && !store.tableExists("nobody"))
        #expect(try store.isEmpty("people") && store.rowCount("people") == 0)
    }

    static func rowsAreFoundWrittenAndDeletedByKey(_ store: Store) throws {
        try store.withTransaction { _ = try store.createTable(people) }
        let table = try #require(try store.tables(profile: .empty).first { $0.name == "people" })
        try store.withTransaction {
            let access = try store.makeTableAccess(table)
            let boss = try access.insert(["id", "email", "score"], [.integer(1), .text("boss@x"), .real(1.5)])
            #expect(boss == [.integer(1)])
            _ = try access.insert(["id", "email", "manager"], [.integer(2), .text("ann@x"), .integer(1)])
            #expect(try access.keys(where: ["email"], equal: [.text("ann@x")], limit: 2) == [[.integer(2)]])
            #expect(try access.keys(where: ["email"], equal: [.text("nobody@x")], limit: 2).isEmpty)
            #expect(try access.values(["email", "manager", "score"], at: [.integer(2)]) == [.text("ann@x"), .integer(1), .null])
            try access.update(at: [.integer(2)], ["score"], [.real(2.5)], previous: [.null])
            #expect(try access.values(["score"], at: [.integer(2)]) == [.real(2.5)])
            try access.update(at: [.integer(2)], ["email", "score"], [.text("ann@y"), .null], previous: [.text("ann@x"), .real(2.5)])
            #expect(try access.keys(where: ["email"], equal: [.text("ann@x")], limit: 2).isEmpty)
            #expect(try access.keys(where: ["email"], equal: [.text("ann@y")], limit: 2) == [[.integer(2)]])
            #expect(try access.values(["email", "score"], at: [.integer(2)]) == [.text("ann@y"), .null])
            // Two writes of one row, nothing read between them: the later one stands (a store
            // that holds writes to send together must not send these two together).
            try access.update(at: [.integer(1)], ["score"], [.real(0.5)], previous: [.real(1.5)])
            var previous: Value = .null
            for score in [3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5] {
                try access.update(at: [.integer(2)], ["score"], [.real(score)], previous: [previous])
                previous = .real(score)
            }
            #expect(try access.values(["score"], at: [.integer(2)]) == [.real(9.5)])
            #expect(try access.values(["score"], at: [.integer(1)]) == [.real(0.5)])
            try access.delete(at: [.integer(2)])
            #expect(try access.values([], at: [.integer(2)]) == nil)
            #expect(try store.nullCount(of: "manager", in: "people") == 1)
        }
        #expect(try store.rowCount("people") == 1)
    }

    static func aCollisionIsAUniqueFailureNamingItsColumns(_ store: Store) throws {
        try store.withTransaction { _ = try store.createTable(people) }
        let table = try #require(try store.tables(profile: .empty).first { $0.name == "people" })
        try store.withTransaction {
            let access = try store.makeTableAccess(table)
            _ = try access.insert(["id", "email"], [.integer(1), .text("same@x")])
            let error = #expect(throws: FerryError.self) { try access.insert(["id", "email"], [.integer(2), .text("same@x")]) }
            #expect(error?.storeFailure?.kind == .unique)
            #expect(error?.storeFailure?.rejectsRecord == true)
            #expect(error?.storeFailure?.columns == ["email"])
            // The transaction goes on after the refused write, as the importer needs.
            _ = try access.insert(["id", "email"], [.integer(3), .text("other@x")])
        }
        #expect(try store.rowCount("people") == 2)
    }

    static func aTransactionThatThrowsLeavesNothing(_ store: Store) throws {
        try store.withTransaction { _ = try store.createTable(people) }
        let table = try #require(try store.tables(profile: .empty).first { $0.name == "people" })
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try store.withTransaction {
                _ = try store.makeTableAccess(table).insert(["id", "email"], [.integer(1), .text("gone@x")])
                throw Stop()
            }
        }
        #expect(try store.isEmpty("people"))
    }

    static func scansReadRowsWithTheirParentsColumns(_ store: Store) throws {
        try store.withTransaction { _ = try store.createTable(people) }
        let table = try #require(try store.tables(profile: .empty).first { $0.name == "people" })
        try store.withTransaction {
            let access = try store.makeTableAccess(table)
            _ = try access.insert(["id", "email"], [.integer(1), .text("boss@x")])
            _ = try access.insert(["id", "email", "manager"], [.integer(2), .text("ann@x"), .integer(1)])
        }
        var rows: [[Value]] = []
        try store.withReadSnapshot {
            try store.scan(table, columns: ["id", "email"], joining: [ReferenceJoin(reference: table.references[0], parentColumns: ["email"])]) { row in
                rows.append((0..<3).map { row.value(at: $0) })
            }
        }
        #expect(rows.sorted { "\($0[0])" < "\($1[0])" } == [[.integer(1), .text("boss@x"), .null], [.integer(2), .text("ann@x"), .text("boss@x")]])
    }

    static func scratchMapsAndTheImportLogKeepWhatTheyAreGiven(_ store: Store) throws {
        try store.withTransaction {
            let map = try store.makeKeyMap()
            try map.record(table: "people", source: [.text("s1")], target: [.integer(7)], inserted: true)
            try map.record(table: "pairs", source: [.integer(1), .text("a")], target: [.integer(2), .text("b")], inserted: false)
            #expect(try map.lookup(table: "people", source: [.text("s1")]) == [.integer(7)])
            #expect(try map.lookup(table: "pairs", source: [.integer(1), .text("a")]) == [.integer(2), .text("b")])
            #expect(try map.lookup(table: "people", source: [.text("s2")]) == nil)
            #expect(try map.isReassigned(table: "people", key: [.integer(7)]))
            let set = try store.makeKeySet(purpose: .seen)
            try set.insert(table: "people", key: [.integer(7)])
            #expect(try set.contains(table: "people", key: [.integer(7)]) && !set.contains(table: "people", key: [.integer(8)]))
            var totals = ImportReport.Counts()
            totals.inserted = 3
            try store.appendImportLog(ImportLogEntry(changesetId: "c1", appliedAt: "2026-12-01T00:00:00Z", sourceName: "a", sourceFingerprint: "f", mode: "full", totals: totals))
        }
        #expect(try store.importLog().map(\.changesetId) == ["c1"])
        #expect(try store.importLog().first?.totals.inserted == 3)
    }

    static func theSyncBookKeepsEntriesAndTombstones(_ store: Store) throws {
        try store.withTransaction {
            #expect(try store.syncBook(create: false) == nil)
            let book = try #require(try store.syncBook(create: true))
            let key = PortableRow.rowKey([.integer(1)])
            let identity = PortableRow.identity(cloudId: .text("c1"), keys: [])
            try book.record(table: "people", entry: SyncBookEntry(rowKey: key, identity: identity, hash: "00000000000000ff", digests: ColumnDigests()))
            #expect(try book.entry(table: "people", rowKey: key)?.hash == "00000000000000ff")
            #expect(try book.hasEntries(table: "people"))
            try book.markDeleted(table: "people", rowKey: key, versions: nil)
            var tombstones: [SyncBookEntry] = []
            try book.tombstones(of: "people", after: nil) { tombstones.append($0) }
            #expect(tombstones.map(\.identity) == [identity])
            #expect(try book.tombstoneCount() == 1)
            try book.setState("k", "v")
            #expect(try book.state("k") == "v")
            try book.saveSequence()
        }
        #expect(try store.syncBookSummary()?.tombstones == 1)
    }

    nonisolated(unsafe) static let all: [(String, (Store) throws -> Void)] = [
        ("createdTablesReadBackWithTheirKeys", createdTablesReadBackWithTheirKeys),
        ("rowsAreFoundWrittenAndDeletedByKey", rowsAreFoundWrittenAndDeletedByKey),
        ("aCollisionIsAUniqueFailureNamingItsColumns", aCollisionIsAUniqueFailureNamingItsColumns),
        ("aTransactionThatThrowsLeavesNothing", aTransactionThatThrowsLeavesNothing),
        ("scansReadRowsWithTheirParentsColumns", scansReadRowsWithTheirParentsColumns),
        ("scratchMapsAndTheImportLogKeepWhatTheyAreGiven", scratchMapsAndTheImportLogKeepWhatTheyAreGiven),
        ("theSyncBookKeepsEntriesAndTombstones", theSyncBookKeepsEntriesAndTombstones),
    ]
}

@Suite struct SQLiteStoreContractTests {
    @Test(arguments: StoreContract.all.map(\.0)) func contract(_ name: String) throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("contract.db").path, mode: .readWriteCreate)
            try StoreContract.all.first { $0.0 == name }!.1(store)
        }
    }
}

@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresStoreContractTests {
    @Test(arguments: StoreContract.all.map(\.0)) func contract(_ name: String) throws {
        try PostgresTestServer.withDatabase { uri in
            try StoreContract.all.first { $0.0 == name }!.1(try PostgresStore(uri: uri))
        }
    }
}
