import Foundation

/// Options of `ferry import`.
public struct ImportOptions: Sendable {
    /// `--prune` refuses to delete more than this share of a table unless told `--yes`.
    public static let defaultPruneLimit = 0.25

    /// Produce the full report, write nothing to the target.
    public var dryRun: Bool
    /// Roll everything back when any record is rejected.
    public var strict: Bool
    /// Extends the profile embedded in the changeset (more fallback composites, say).
    public var profile: Profile?
    /// Where rejected records go; nil: beside the target, named after the changeset.
    public var rejectsPath: String?
    /// Where conflicts go; nil: beside the target, named after the changeset.
    public var conflictsPath: String?
    /// The conflict policy for every table (over the profile's).
    public var onConflict: ConflictPolicy?
    /// Apply an incremental changeset even though its predecessor was never applied here.
    public var force: Bool
    /// Mirror mode (full changesets only): delete target rows the changeset does not hold.
    public var prune: Bool
    /// The largest share of a table (0...1) that `prune` deletes without being told `yes`.
    public var pruneLimit: Double?
    /// Let the changeset's CREATE statements call any SQL function (`--trust-schema`).
    public var trustSchema: Bool
    /// Source rows matched to target rows by a person (`--pin`, `--pins`).
    public var pins: [Pin]
    /// Keep a sync book in a target nobody prepared (`--track`): the import remembers every
    /// row it applies, so the target can take part in sync. A prepared target always does.
    public var track: Bool
    /// `--trust`: the changeset must be signed by one of these keys (nil: a signature is
    /// checked when there is one, and not asked for).
    public var trust: [SignerKey]?
    /// `--allow-redacted`: import a redacted changeset into a store that holds real values.
    public var allowRedacted = false

    public init(dryRun: Bool = false, strict: Bool = false, profile: Profile? = nil, rejectsPath: String? = nil,
                conflictsPath: String? = nil, onConflict: ConflictPolicy? = nil, force: Bool = false, prune: Bool = false,
                pruneLimit: Double? = ImportOptions.defaultPruneLimit, trustSchema: Bool = false, pins: [Pin] = [], track: Bool = false, trust: [SignerKey]? = nil) {
        self.pins = pins
        self.trust = trust
        self.track = track
        self.prune = prune
        self.pruneLimit = pruneLimit
        self.trustSchema = trustSchema
        self.dryRun = dryRun
        self.strict = strict
        self.profile = profile
        self.rejectsPath = rejectsPath
        self.conflictsPath = conflictsPath
        self.onConflict = onConflict
        self.force = force
    }
}

/// Reconciles a changeset into a store in one transaction: tables parents first, each
/// record matched by cloudId, natural key or fallback composite, references remapped to
/// the target's ids, bad records isolated in the rejects file.
public final class Importer {
    private let store: Store
    private let changeset: ChangesetReader
    private let options: ImportOptions
    private let observer: ProgressObserver? // strong: the CLI hands over a fresh one and keeps no reference

    public init(store: Store, changeset: ChangesetReader, options: ImportOptions = ImportOptions(), observer: ProgressObserver? = nil) {
        self.store = store
        self.changeset = changeset
        self.options = options
        self.observer = observer
    }

    /// Runs the import. Throws, leaving the target as it was, on any error (and with
    /// `strict` on any reject).
    public func run(targetPath: String? = nil) throws -> ImportReport {
        // Safety rule: the signature and every checksum are verified before anything is written.
        _ = try changeset.checkSignature(trusting: options.trust)
        try changeset.verifyChecksums()
        // No value may outgrow the line it came in (nor an expression build a bigger one);
        // at least 1 MiB, so a small --max-line-size still leaves room for CREATE statements.
        let valueLimit = max(changeset.maximumLineLength, Self.minimumValueLimit)
        store.limitValueLength(to: valueLimit)
        let manifest = changeset.manifest
        if options.prune && manifest.mode != "full" {
            let what = manifest.mode == Manifest.selectionMode ? "a selection (--where)" : "incremental"
            throw FerryError(.usage, "--prune needs a full changeset: \(manifest.changesetId) is \(what), so rows it does not hold are not absent from the source. Export in full to mirror.")
        }
        if options.prune && manifest.redaction != nil {
            throw FerryError(.usage, "--prune mirrors a store, and \(manifest.changesetId) is redacted: its rows are pseudonyms of the source's. Mirror from an unredacted export.")
        }
        do {
            return try apply(targetPath: targetPath, valueLimit: valueLimit)
        } catch is HeldWritesRefused where store.holdsWrites {
            // Updates the store held to send together were refused (a value the target's
            // constraints refuse). The records after the refused one were applied as though it
            // had been written, so all is rolled back, and applied again with each write
            // alone: exactly the refused records are rejected, as they would have been.
            store.sendEachWriteAlone()
            do {
                return try apply(targetPath: targetPath, valueLimit: valueLimit)
            } catch let refused as HeldWritesRefused {
                throw refused.cause
            }
        }
    }

    /// Applies the changeset in one transaction, once the checks that need no target passed.
    private func apply(targetPath: String?, valueLimit: Int) throws -> ImportReport {
        let manifest = changeset.manifest
        // Side files: checked before anything is written, filled during the import, and put
        // in place only once it has committed. A dry run writes none.
        let writesSideFiles = !options.dryRun
        let rejects = RejectsWriter(path: options.rejectsPath ?? defaultPath(targetPath, "rejects"), changesetId: manifest.changesetId, enabled: writesSideFiles)
        let conflicts = ConflictsWriter(path: options.conflictsPath ?? defaultPath(targetPath, "conflicts"), enabled: writesSideFiles)
        if writesSideFiles {
            try SideFile.checkReplaceable(rejects.path, kind: .rejects)
            try SideFile.checkReplaceable(conflicts.path, kind: .conflicts)
        }
        var report = ImportReport(changeset: manifest.changesetId, dryRun: options.dryRun)
        struct RollBack: Error { let report: ImportReport }
        do {
            try store.withTransaction {
                let log = try store.importLog()
                try checkChain(log)
                try checkRedaction(log)
                var session = try ImportSession(store: store, changeset: changeset, profile: mergedProfile(), policy: options.onConflict,
                                                prune: options.prune, pruneLimit: options.dryRun ? nil : options.pruneLimit, trustSchema: options.trustSchema, pins: options.pins,
                                                track: options.track,
                                                alreadyApplied: log.contains { $0.changesetId == manifest.changesetId },
                                                continuesSource: log.contains { $0.sourceFingerprint == manifest.source.fingerprint },
                                                rejects: rejects, conflicts: conflicts, observer: observer)
                report.tables = try session.run()
                // A write the store still holds could be refused: that must show in the report.
                try store.sendHeldWrites()
                report.warnings = session.warnings
                report.triggersSetAside = session.triggersSetAside
                report.cascaded = session.cascaded
                report.syncBook = session.bookNote
                if rejects.hasFile { report.rejectsFile = URL(fileURLWithPath: rejects.path).standardizedFileURL.path }
                if conflicts.hasFile { report.conflictsFile = URL(fileURLWithPath: conflicts.path).standardizedFileURL.path }
                if options.strict && rejects.count > 0 {
                    // The rejects explain the roll-back, so they are kept; the conflicts of changes
                    // that were rolled back are not.
                    let file = try rejects.publishRolledBack()
                    throw FerryError(.data, "\(counted(rejects.count, "record")) \(rejects.count == 1 ? "was" : "were") rejected and --strict rolls back the whole import: nothing was applied.\(file.map { " The rejected records are in \($0)." } ?? "")")
                }
                if options.dryRun { throw RollBack(report: report) }
                let totals = report.totals
                // A replay that changed nothing leaves the target untouched, audit log included.
                let logged = log.contains(where: { $0.changesetId == manifest.changesetId })
                // Rejects and deferred conflicts that come back in a replay change nothing here.
                let changed = totals.inserted + totals.updated + totals.merged + totals.deleted > 0
                    || (!logged && totals.rejected + totals.conflicts > 0)
                if changed || !logged {
                    try store.appendImportLog(ImportLogEntry(
                        changesetId: manifest.changesetId, appliedAt: ISO8601DateFormatter().string(from: Date()),
                        sourceName: manifest.source.name ?? "", sourceFingerprint: manifest.source.fingerprint,
                        mode: manifest.mode + (manifest.redaction.map { " \(options.allowRedacted ? Self.mixedMark : Self.redactedMark)\($0.keyId ?? "nokey")" } ?? ""),
                        totals: totals))
                }
                // Nothing written (a replay): roll back, so even the scratch lookup indexes
                // leave no trace and the file stays byte-identical.
                if !changed && logged && !session.createdTables && !session.wroteBook { throw RollBack(report: report) }
            }
        } catch let rollBack as RollBack {
            // A dry run wrote no side files. A replay that changed nothing still reports the
            // rejects and conflicts that came back, with the target left byte for byte.
            guard !options.dryRun else { return rollBack.report }
            report = rollBack.report
        } catch let error as FerryError where error.storeFailure?.kind == .tooBig {
            throw FerryError(.data, "a value or row would be larger than \(LineReader.describeSize(valueLimit)), the most this import allows (it follows --max-line-size). A DEFAULT or other expression of the changeset's schema can build such a value, or a target row is that large already. If you trust the changeset and the value really is that large, import again with a larger --max-line-size. Nothing was imported.")
        }
        do {
            try rejects.publish()
            try conflicts.publish()
        } catch let error as FerryError {
            throw error.rephrased("the import was applied, but \(error.message) The records it names are still in the changeset.")
        }
        return report
    }

    static let minimumValueLimit = 1024 * 1024

    private func mergedProfile() -> Profile {
        var profile = changeset.manifest.profile
        if let extra = options.profile {
            for (table, settings) in extra.tables { profile.tables[table] = settings }
            if let cloudId = extra.cloudId { profile.cloudId = cloudId }
            profile.exclude += extra.exclude
            profile.include += extra.include
        }
        return profile
    }

    private func defaultPath(_ targetPath: String?, _ kind: String) -> String {
        // A server database has no folder: the files go in the current one, named after the
        // database (and schema), so imports into two databases never replace each other's.
        let serverName = "ferry-" + String(store.displayName.unicodeScalars.map { scalar in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "-_".unicodeScalars.contains(scalar) ? Character(scalar) : "_"
        })
        let location = targetPath ?? store.filePath ?? FileManager.default.currentDirectoryPath + "/" + serverName
        let base = URL(fileURLWithPath: location).standardizedFileURL.path
        return "\(base).\(kind)-\(changeset.manifest.changesetId.prefix(8)).ndjson"
    }

    /// An incremental changeset continues another; applying it without its predecessor
    /// would silently miss every change in between.
    /// The import log's mark of a redacted changeset: `full redacted:KEYID`, or
    /// `redacted-beside-real:KEYID` when `--allow-redacted` let it in beside real rows.
    static let redactedMark = "redacted:"
    static let mixedMark = "redacted-beside-real:"

    /// A redacted changeset goes into a store of redacted rows (a support database), or into
    /// tables that are empty: next to real values its pseudonyms match nothing and would
    /// become duplicates of real rows. Pseudonyms made with another key match nothing either.
    /// A store counts as redacted only while every changeset it took was redacted, under one
    /// key, without `--allow-redacted`: one real import, or rows nobody imported, make it real.
    private func checkRedaction(_ log: [ImportLogEntry]) throws {
        guard let redaction = changeset.manifest.redaction, !options.allowRedacted else { return }
        let marks = log.map { entry -> String? in
            if entry.mode.contains(Self.mixedMark) { return nil }
            return entry.mode.range(of: Self.redactedMark).map { String(entry.mode[$0.upperBound...]) }
        }
        let keyIds = Set(marks.compactMap { $0 }.filter { $0 != "nokey" })
        if let keyId = redaction.keyId, let other = keyIds.first(where: { $0 != keyId }) {
            throw FerryError(.usage, "\(store.displayName) holds rows redacted with another key (key id \(other); this changeset's is \(keyId)): their pseudonyms would not match, and every row would arrive twice. Ask for the ticket again with the key used before, or import with --allow-redacted.")
        }
        let onlyRedacted = !log.isEmpty && marks.allSatisfy { $0 != nil }
        if onlyRedacted { return }
        // Any table with rows, not only the redacted ones: a customer whose owner's email is a
        // pseudonym would be attached to a new, pseudonymous owner beside the real one.
        for table in changeset.manifest.tables where table.rows > 0 {
            // The table the import will write: its name as the target spells it.
            guard let name = try store.tableName(matching: table.name), try !store.isEmpty(name) else { continue }
            let redacted = redaction.columns.prefix(3).map { "\($0.table).\($0.column)=\($0.rule.rawValue)" }.joined(separator: ", ")
            throw FerryError(.usage, "\(changeset.path) is redacted (\(redacted)\(redaction.columns.count > 3 ? ", …" : "")), and \(table.name) in \(store.displayName) holds real rows: pseudonyms match none of them and would sit beside them as new rows. Import it into a separate support database, or pass --allow-redacted if that is what you want.")
        }
    }

    private func checkChain(_ log: [ImportLogEntry]) throws {
        let manifest = changeset.manifest
        guard manifest.mode == "incremental", let previous = manifest.incrementalTo, !options.force else { return }
        guard log.contains(where: { $0.changesetId == previous }) else {
            throw FerryError(.usage, "changeset \(manifest.changesetId) is incremental to \(previous), which was never applied to \(store.displayName). Import that changeset (and the ones before it) first, or pass --force to apply this one anyway. Nothing was applied.")
        }
    }
}
