import Foundation

/// Options of `ferry import`.
public struct ImportOptions: Sendable {
    /// Produce the full report, write nothing.
    public var dryRun: Bool

    public init(dryRun: Bool = false) {
        self.dryRun = dryRun
    }
}

/// Applies a changeset to a store in one transaction: tables parents first, rows by primary key.
///
/// This is the replay path (same schema, same ids). The reconciler that matches by cloudId
/// and natural keys builds on it.
public final class Importer {
    private let store: Store
    private let changeset: ChangesetReader
    private let options: ImportOptions
    private weak var observer: ProgressObserver?

    public init(store: Store, changeset: ChangesetReader, options: ImportOptions = ImportOptions(), observer: ProgressObserver? = nil) {
        self.store = store
        self.changeset = changeset
        self.options = options
        self.observer = observer
    }

    /// Runs the import. Throws, leaving the target as it was, on any error.
    public func run() throws -> ImportReport {
        // Safety rule: every checksum is verified before anything is written.
        try changeset.verifyChecksums()
        var report = ImportReport(changeset: changeset.manifest.changesetId, dryRun: options.dryRun)
        struct DryRunFinished: Error { let report: ImportReport }
        do {
            try store.withTransaction {
                for table in changeset.manifest.tables {
                    report.tables.append(try apply(table))
                }
                try checkForeignKeys()
                if options.dryRun { throw DryRunFinished(report: report) }
            }
        } catch let finished as DryRunFinished {
            return finished.report
        }
        return report
    }

    private func apply(_ table: ManifestTable) throws -> ImportReport.Table {
        let started = Date()
        var result = ImportReport.Table(name: table.name)
        if !(try store.tableExists(table.name)) {
            try store.createTable(table.definition)
        }
        guard let target = try store.tables(profile: .empty).first(where: { $0.name == table.name }) else {
            throw FerryError(.schema, "table \(table.name) cannot be written in \(store.displayName) (it is virtual or excluded).")
        }
        let columns = table.columns.map(\.name)
        for column in columns where target.column(named: column) == nil {
            throw FerryError(.schema, "\(table.file): column \"\(column)\" of table \(table.name) is not in the target \(store.displayName). Add the column to the target, or re-export without it (\"skip\" in the profile).")
        }
        let keyIndexes = try target.primaryKey.map { key -> Int in
            guard let index = columns.firstIndex(of: key) else {
                throw FerryError(.schema, "\(table.file): the changeset has no value for primary-key column \"\(key)\" of table \(table.name).")
            }
            return index
        }
        let writer = try store.makeRowWriter(table: target, columns: columns)
        var ticker = ProgressTicker(observer: observer, task: "import \(table.name)", total: table.rows)
        var row = [Value](repeating: .null, count: columns.count)
        let position = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })

        try changeset.forEachRecord(in: table) { lineNumber, record in
            func fail(_ error: FerryError) -> FerryError {
                FerryError(error.kind, "\(error.message) (table \(table.name))").located(file: table.file, line: lineNumber)
            }
            guard record.operation == .upsert else {
                throw fail(FerryError(.format, "delete records are not applied by this version of Ferry; import the changeset with a version that supports sync"))
            }
            guard record.row.count == columns.count else {
                let missing = columns.filter { name in !record.row.contains { $0.0 == name } }
                let unknown = record.row.map(\.0).filter { position[$0] == nil }
                if let column = unknown.first {
                    throw fail(FerryError(.schema, "column \"\(column)\" is not in the manifest's columns for this table"))
                }
                throw fail(FerryError(.data, "the row lacks column\(missing.count == 1 ? "" : "s") \(missing.map { "\"\($0)\"" }.joined(separator: ", "))"))
            }
            for (name, value) in record.row {
                guard let index = position[name] else {
                    throw fail(FerryError(.schema, "column \"\(name)\" is not in the manifest's columns for this table"))
                }
                row[index] = value
            }
            do {
                if keyIndexes.isEmpty {
                    try writer.insert(row)
                    result.counts.inserted += 1
                } else {
                    let key = keyIndexes.map { row[$0] }
                    if let existing = try writer.find(primaryKey: key) {
                        if existing == row {
                            result.counts.unchanged += 1
                        } else {
                            try writer.update(primaryKey: key, to: row)
                            result.counts.updated += 1
                        }
                    } else {
                        try writer.insert(row)
                        result.counts.inserted += 1
                    }
                }
            } catch let error as FerryError {
                throw fail(error)
            }
            ticker.advance()
        }
        ticker.finish()
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// Replay writes parents first but cycles can only be checked once every table is in.
    private func checkForeignKeys() throws {
        for table in changeset.manifest.tables {
            let violations = try store.foreignKeyViolations(in: table.name)
            if !violations.isEmpty {
                throw FerryError(.data, "after import, \(violations.count) row(s) of table \(table.name) point at missing parents: \(violations.prefix(3).joined(separator: "; ")). Nothing was imported. Export the parent tables too (or import into a target that has them).")
            }
        }
    }
}
