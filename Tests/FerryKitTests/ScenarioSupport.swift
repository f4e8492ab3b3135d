import Foundation
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// The field scenario's two databases in a temporary folder, and helpers to move rows.
struct Scenario {
    let directory: URL
    let local: SQLiteStore
    let cloud: SQLiteStore
    let profile: Profile
    var localPath: String { directory.appendingPathComponent("local.db").path }
    var cloudPath: String { directory.appendingPathComponent("cloud.db").path }

    init(in directory: URL, prepareCloud: Bool = true) throws {
        self.directory = directory
        let sample = try SampleCRM.locate()
        try sample.build(.local, at: directory.appendingPathComponent("local.db").path)
        try sample.build(.cloud, at: directory.appendingPathComponent("cloud.db").path)
        local = try SQLiteStore(path: directory.appendingPathComponent("local.db").path, mode: .readWrite)
        cloud = try SQLiteStore(path: directory.appendingPathComponent("cloud.db").path, mode: .readWrite)
        profile = try Profile.load(path: sample.profilePath)
        _ = try Preparer.prepare(store: local, tables: nil, profile: profile)
        if prepareCloud { _ = try Preparer.prepare(store: cloud, tables: nil, profile: profile) }
    }

    /// Exports `store` to a new changeset folder and returns its path.
    func export(_ store: SQLiteStore, name: String, tables: [String]? = nil) throws -> String {
        let path = directory.appendingPathComponent(name).path
        return try Exporter(store: store, options: ExportOptions(tables: tables, profile: profile)).export(to: path).path
    }

    func importChangeset(_ path: String, into store: SQLiteStore, options: ImportOptions = ImportOptions()) throws -> ImportReport {
        var options = options
        if options.rejectsPath == nil { options.rejectsPath = directory.appendingPathComponent("rejects-\(UUID().uuidString.prefix(6)).ndjson").path }
        return try Importer(store: store, changeset: try ChangesetReader(path: path, target: store), options: options).run()
    }

    func count(_ store: SQLiteStore, _ table: String) throws -> Int { try store.rowCount(table) }
}

/// Rewrites one table file of a changeset (as a user would edit it) and fixes the manifest's
/// row count, size and checksum, so only the edit itself is under test.
func editTable(_ changeset: String, _ table: String, _ edit: ([String]) -> [String]) throws {
    let reader = try ChangesetReader(path: changeset)
    var manifest = reader.manifest
    guard let index = manifest.tables.firstIndex(where: { $0.name == table }) else {
        throw FerryError(.usage, "test fixture: the changeset has no table \(table)")
    }
    var lines: [String] = []
    try LineReader(range: try reader.range(of: manifest.tables[index]), name: table).forEachLine { _, line in
        lines.append(String(decoding: line, as: UTF8.self))
    }
    let edited = edit(lines)
    let path = changeset + "/" + manifest.tables[index].file
    try FileManager.default.removeItem(atPath: path)
    let writer = try GzipFileWriter(creating: path, level: 1)
    try Array(edited.map { $0 + "\n" }.joined().utf8).withUnsafeBufferPointer { try writer.write($0) }
    let (bytes, sha256) = try writer.finish()
    manifest.tables[index].rows = edited.count
    manifest.tables[index].bytes = bytes
    manifest.tables[index].sha256 = sha256
    try Data(try manifest.encoded()).write(to: URL(fileURLWithPath: changeset + "/manifest.json"))
}

/// Replaces `"key":value` in a record line (value given as JSON text).
func setField(_ line: String, _ key: String, _ json: String) -> String {
    guard case .object(var fields) = try! JSONParser.parse(Array(line.utf8)), let rowIndex = fields.firstIndex(where: { $0.key == "row" }),
          case .object(var row) = fields[rowIndex].value, let index = row.firstIndex(where: { $0.key == key }) else { return line }
    row[index].value = try! JSONParser.parse(Array(json.utf8))
    fields[rowIndex].value = .object(row)
    var buffer = JSONBuffer()
    buffer.appendJSON(.object(fields))
    return buffer.string
}

func rowField(_ line: String, _ key: String) -> JSONValue? {
    (try? JSONParser.parse(Array(line.utf8)))?["row"]?[key]
}
