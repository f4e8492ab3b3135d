import Foundation

/// Options of `ferry import`.
public struct ImportOptions: Sendable {
    /// Produce the full report, write nothing to the target.
    public var dryRun: Bool
    /// Roll everything back when any record is rejected.
    public var strict: Bool
    /// Extends the profile embedded in the changeset (more fallback composites, say).
    public var profile: Profile?
    /// Where rejected records go; nil: beside the target, named after the changeset.
    public var rejectsPath: String?

    public init(dryRun: Bool = false, strict: Bool = false, profile: Profile? = nil, rejectsPath: String? = nil) {
        self.dryRun = dryRun
        self.strict = strict
        self.profile = profile
        self.rejectsPath = rejectsPath
    }
}

/// Reconciles a changeset into a store in one transaction: tables parents first, each
/// record matched by cloudId, natural key or fallback composite, references remapped to
/// the target's ids, bad records isolated in the rejects file.
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

    /// Runs the import. Throws, leaving the target as it was, on any error (and with
    /// `strict` on any reject).
    public func run(targetPath: String? = nil) throws -> ImportReport {
        // Safety rule: every checksum is verified before anything is written.
        try changeset.verifyChecksums()
        let manifest = changeset.manifest
        let rejects = RejectsWriter(path: options.rejectsPath ?? defaultRejectsPath(targetPath), changesetId: manifest.changesetId)
        defer { try? rejects.close() }
        var report = ImportReport(changeset: manifest.changesetId, dryRun: options.dryRun)
        struct RollBack: Error { let report: ImportReport }
        do {
            try store.withTransaction {
                var session = try ImportSession(store: store, changeset: changeset, profile: mergedProfile(), rejects: rejects, observer: observer)
                report.tables = try session.run()
                try rejects.close()
                if rejects.count > 0 { report.rejectsFile = URL(fileURLWithPath: rejects.path).standardizedFileURL.path }
                if options.strict && rejects.count > 0 {
                    throw FerryError(.data, "\(rejects.count) record(s) were rejected and --strict rolls back the whole import: nothing was applied. See \(report.rejectsFile ?? rejects.path).")
                }
                if options.dryRun { throw RollBack(report: report) }
                let totals = report.totals
                // A replay that changed nothing leaves the target untouched, audit log included.
                if totals.inserted + totals.updated + totals.merged + totals.deleted + totals.rejected + totals.conflicts > 0 {
                    try store.appendImportLog(ImportLogEntry(
                        changesetId: manifest.changesetId, appliedAt: ISO8601DateFormatter().string(from: Date()),
                        sourceName: manifest.source.name ?? "", sourceFingerprint: manifest.source.fingerprint, mode: manifest.mode, totals: totals))
                }
            }
        } catch let rollBack as RollBack {
            return rollBack.report
        }
        return report
    }

    private func mergedProfile() -> Profile {
        var profile = changeset.manifest.profile
        if let extra = options.profile {
            for (table, settings) in extra.tables { profile.tables[table] = settings }
            if let cloudId = extra.cloudId { profile.cloudId = cloudId }
            profile.exclude += extra.exclude
        }
        return profile
    }

    private func defaultRejectsPath(_ targetPath: String?) -> String {
        let base = targetPath.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? FileManager.default.currentDirectoryPath + "/ferry"
        return "\(base).rejects-\(changeset.manifest.changesetId.prefix(8)).ndjson"
    }
}
