import Foundation
@testable import FerryKit

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
