import Crypto
import Foundation

/// Options of `ferry export`.
public struct ExportOptions: Sendable {
    /// Only these tables (nil: every user table).
    public var tables: [String]?
    public var profile: Profile
    /// gzip level; 1 by default: ~2.5x faster than 6 for ~12% larger files (docs/decisions.md).
    public var compressionLevel: Int
    /// Replace an existing output.
    public var force: Bool

    public init(tables: [String]? = nil, profile: Profile = .empty, compressionLevel: Int = 1, force: Bool = false) {
        self.tables = tables
        self.profile = profile
        self.compressionLevel = compressionLevel
        self.force = force
    }
}

/// What an export wrote.
public struct ExportSummary: Sendable {
    public var path: String
    public var manifest: Manifest
}

/// Streams every table of a store into a changeset, from one read snapshot.
public final class Exporter {
    private let store: Store
    private let options: ExportOptions
    private weak var observer: ProgressObserver?

    public init(store: Store, options: ExportOptions, observer: ProgressObserver? = nil) {
        self.store = store
        self.options = options
        self.observer = observer
    }

    public func export(to outputPath: String) throws -> ExportSummary {
        let writer = try ChangesetWriter(outputPath: outputPath, force: options.force)
        let manifest = try store.withReadSnapshot { () throws -> Manifest in
            let all = try store.tables(profile: options.profile)
            let tables = try selectedTables(from: all)
            var entries: [ManifestTable] = []
            var warnings: [String] = []
            for table in ForeignKeyOrder.sorted(tables) {
                entries.append(try export(table, into: writer, allTables: all))
                if let column = table.cloudId {
                    let missing = try store.nullCount(of: column, in: table.name)
                    if missing > 0 {
                        warnings.append("\(missing) row(s) of \(table.name) have no \(column); they will match by natural keys only. Run `ferry prepare --db \(store.displayName)` to give them one.")
                    }
                }
            }
            return makeManifest(tables: entries, profile: ResolvedProfile(tables: tables, profile: options.profile).profile, warnings: warnings)
        }
        try writer.commit(manifest)
        return ExportSummary(path: writer.outputPath, manifest: manifest)
    }

    private func selectedTables(from all: [TableDefinition]) throws -> [TableDefinition] {
        guard let wanted = options.tables else { return all }
        return try wanted.map { name in
            guard let table = all.first(where: { $0.name == name }) ?? all.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                let known = all.map(\.name).joined(separator: ", ")
                throw FerryError(.usage, "table \(name) is not in \(store.displayName) (or is excluded). Tables: \(known).")
            }
            return table
        }
    }

    private func export(_ table: TableDefinition, into writer: ChangesetWriter, allTables: [TableDefinition]) throws -> ManifestTable {
        let (file, fileName) = try writer.tableWriter(for: table, level: options.compressionLevel)
        let encoder = RecordEncoder(table: table, tables: allTables)
        var ticker = ProgressTicker(observer: observer, task: "export \(table.name)", total: try store.rowCount(table.name))
        var line = JSONBuffer(capacity: 64 * 1024)
        var rows = 0
        try store.scan(table, columns: table.columnNames, joining: encoder.joins) { cursor in
            encoder.append(cursor, to: &line)
            rows += 1
            ticker.advance()
            // Deflate in blocks of ~64 KiB: one zlib call per block, not per row.
            if line.bytes.count >= 64 * 1024 {
                try file.write(line.bytes)
                line.removeAll()
            }
        }
        try file.write(line.bytes)
        ticker.finish()
        let (bytes, sha256) = try file.finish()
        return ManifestTable(definition: table, file: fileName, rows: rows, bytes: bytes, sha256: sha256)
    }

    private func makeManifest(tables: [ManifestTable], profile: Profile, warnings: [String]) -> Manifest {
        let schemaText = tables.map(\.definition).sorted { $0.name < $1.name }.map(\.create).joined(separator: "\n")
        let location = (store as? SQLiteStore).map { URL(fileURLWithPath: $0.database.path).standardizedFileURL.path } ?? store.displayName
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return Manifest(
            format: Manifest.formatName,
            formatVersion: Manifest.currentVersion,
            changesetId: UUID().uuidString.lowercased(),
            createdAt: formatter.string(from: Date()),
            tool: .init(name: "ferry", version: FerryVersion.current),
            source: .init(
                kind: store.kind,
                name: store.displayName,
                fingerprint: String(SHA256.hash(data: Data("\(store.kind):\(location)".utf8)).hexString.prefix(16)),
                schemaHash: SHA256.hash(data: Data(schemaText.utf8)).hexString),
            mode: "full",
            incrementalTo: nil,
            profile: profile,
            tables: tables,
            warnings: warnings.isEmpty ? nil : warnings)
    }
}
