import Foundation

/// `ferry demo`: the bundled scenario end to end, narrated through `log`.
public enum Demo {
    public static func run(workDirectory: String, log: (String) -> Void, observer: ProgressObserver? = nil) throws {
        let sample = try SampleCRM.locate()
        let localPath = workDirectory + "/local.db"
        let changesetPath = workDirectory + "/local-export"
        let replayPath = workDirectory + "/replay.db"

        log("1. Build the sample local database from \(sample.folder)")
        try sample.build(.local, at: localPath)
        let local = try SQLiteStore(path: localPath, mode: .readOnly)
        let counts = try local.tables(profile: .empty).map { "\($0.name) \(try local.rowCount($0.name))" }
        log("   \(localPath): \(counts.joined(separator: ", "))")

        log("2. Export every table to a changeset")
        let summary = try Exporter(store: local, options: ExportOptions(), observer: observer).export(to: changesetPath)
        for table in summary.manifest.tables {
            log("   \(table.file): \(table.rows) rows, \(table.bytes) bytes, sha256 \(table.sha256.prefix(16))…")
        }

        log("3. Verify the changeset (format, checksums, every line, row counts)")
        let changeset = try ChangesetReader(path: changesetPath)
        let verified = try Verifier.verify(changeset)
        log("   ok: \(verified.count) files, \(verified.reduce(0) { $0 + $1.rows }) records")

        log("4. Replay it into an empty database")
        let target = try TargetDatabase(path: replayPath)
        let report = try Importer(store: target.store, changeset: changeset, observer: observer).run()
        target.commit()
        log(report.table().split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))

        log("5. Compare source and replay, cell by cell (storage class and exact value)")
        if let difference = try DatabaseComparison.firstDifference(local, target.store) {
            throw FerryError(.data, "the replay differs from the source: \(difference)")
        }
        log("   identical: \(summary.manifest.tables.count) tables, \(report.totals.inserted) rows")
        log("Files are in \(workDirectory)")
    }
}
