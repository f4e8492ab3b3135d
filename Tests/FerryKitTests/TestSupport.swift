import Foundation
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// A fresh folder, removed after `body`.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-kit-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// A deterministic generator, so a failing random case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Exports `source` to `directory/name` and replays it into a new database; returns the target.
/// `track`: the target keeps a sync book (`import --track`), as a store that syncs later must.
func exportAndReplay(_ source: URL, in directory: URL, name: String = "changeset", track: Bool = false) throws -> (target: SQLiteStore, report: ImportReport, manifest: Manifest) {
    let store = try SQLiteStore(path: source.path, mode: .readOnly)
    let out = directory.appendingPathComponent(name).path
    let summary = try Exporter(store: store, options: ExportOptions()).export(to: out)
    let targetPath = directory.appendingPathComponent(name + "-target.db").path
    let target = try SQLiteStore(path: targetPath, mode: .readWriteCreate)
    let report = try Importer(store: target, changeset: try ChangesetReader(path: out), options: ImportOptions(track: track)).run()
    return (target, report, summary.manifest)
}

/// `typeof`, `quote` and `hex` of every cell, in rowid order: the oracle the issue names.
func cellFingerprints(_ database: SQLiteDatabase, table: String, columns: [String]) throws -> [String] {
    let parts = columns.map { column -> String in
        let q = Identifier.quote(column)
        return "typeof(\(q)) || ':' || quote(\(q)) || ':' || hex(\(q))"
    }.joined(separator: " || '|' || ")
    return try database.rows("SELECT \(parts) FROM \(Identifier.quote(table)) ORDER BY rowid").map { $0[0].string ?? "" }
}

/// Two prepared stores of one schema (`a` with `rowsOfA`, `b` empty) that exchange
/// changesets: `sync` exports one and imports the changeset into the other.
final class PreparedPair {
    let a: SQLiteStore
    let b: SQLiteStore
    private let directory: URL
    private var step = 0

    init(in directory: URL, schema: String, rowsOfA: String) throws {
        self.directory = directory
        func store(_ name: String, _ rows: String) throws -> SQLiteStore {
            let store = try SQLiteStore(path: directory.appendingPathComponent(name).path, mode: .readWriteCreate)
            try store.database.execute(schema + "\n" + rows)
            _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
            return store
        }
        a = try store("a.db", rowsOfA)
        b = try store("b.db", "")
    }

    /// Exports `from` (in full, or since its last export) and imports it into `to`;
    /// returns the import's report and how many records the changeset held.
    @discardableResult
    func sync(_ from: SQLiteStore, _ to: SQLiteStore, incremental: Bool) throws -> (report: ImportReport, shipped: Int) {
        step += 1
        let summary = try Exporter(store: from, options: ExportOptions(incremental: incremental)).export(to: directory.appendingPathComponent("c\(step)").path)
        let report = try Importer(store: to, changeset: try ChangesetReader(path: summary.path),
                                  options: ImportOptions(rejectsPath: directory.appendingPathComponent("r\(step)").path)).run()
        return (report, summary.manifest.tables.map(\.rows).reduce(0, +))
    }

    /// A full exchange both ways: the two stores hold the same rows and know each other's versions.
    func exchangeInFull() throws {
        try sync(a, b, incremental: false)
        try sync(b, a, incremental: false)
    }
}

/// 700 items (`items (id TEXT PRIMARY KEY, sku TEXT, qty INTEGER, note TEXT)`, already
/// created in `source`) for the tests that fill an empty table in sets: now and then a sku
/// repeats an earlier one (`duplicates`), or a row carries a value a target's CHECK
/// (`qty >= 0`) or NOT NULL (`sku`) refuses (`refusals`).
func insertItemsForSetTests(into source: SQLiteDatabase, seed: UInt64, refusals: Double, duplicates: Double) throws {
    var random = SplitMix64(seed: seed)
    let insert = try source.prepare("INSERT INTO items VALUES (?, ?, ?, ?)")
    var skus: [String] = []
    for index in 0..<700 {
        var sku = "SKU-\(index)"
        if !skus.isEmpty, Double.random(in: 0..<1, using: &random) < duplicates { sku = skus[Int.random(in: 0..<skus.count, using: &random)] }
        skus.append(sku)
        let refused = Double.random(in: 0..<1, using: &random) < refusals
        let qty: Value = refused && index % 2 == 0 ? .integer(-1) : .integer(Int64(index % 97))
        let skuValue: Value = refused && index % 2 == 1 ? .null : .text(sku)
        try insert.bind([.text("i\(index)"), skuValue, qty, .text(#"a "quoted", back\slash {x} \#(index)"#)])
        try insert.step()
        insert.reset()
    }
}

/// A SQLite database made by `sql` in `directory` (`source.db`), exported to a changeset
/// there; returns the changeset's path.
func exportedSQLite(in directory: URL, _ sql: String) throws -> String {
    let path = directory.appendingPathComponent("source.db").path
    let source = try SQLiteDatabase(path: path, mode: .readWriteCreate)
    try source.execute(sql)
    return try exportStore(try SQLiteStore(path: path, mode: .readOnly), to: directory, name: "changeset")
}
