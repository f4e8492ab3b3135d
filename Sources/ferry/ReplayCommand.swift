import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Import several changesets in order: a full export, then its incrementals.",
        discussion: """
            Backup and replay: each changeset is imported as `ferry import` would, one \
            transaction each, stopping at the first that fails. An incremental changeset is \
            refused unless the one it continues was applied first.

            Example:
              ferry replay backups/full backups/week-47 backups/week-48 --db restored.db
            """
    )

    @Argument(help: "The changesets, oldest first.")
    var changesets: [String]

    @Option(help: "The SQLite database to write (created when missing).")
    var db: String

    @Flag(help: "Apply an incremental changeset even if its predecessor was never applied here.")
    var force = false

    @Flag(help: "Keep a sync book in the restored database, so it can sync later.")
    var track = false

    @Flag(help: "Let the changesets' CREATE statements call any SQL function (by default only bounded ones such as lower, length or datetime). Only for changesets from someone you trust.")
    var trustSchema = false

    @OptionGroup var trust: TrustOptions

    @OptionGroup var lineSize: LineSizeOptions

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard !changesets.isEmpty else { throw ValidationError("Name at least one changeset.") }
    }

    func run() throws {
        var partial = false
        try runReportingErrors(common) {
            let trusted = try trust.keys()
            if trusted != nil {
                // Every changeset is checked before the first is applied: a tampered third one
                // must not leave the first two applied.
                for path in changesets {
                    do {
                        let reader = try trust.open { try ChangesetReader(path: path, maximumLineLength: lineSize.bytes) }
                        _ = try reader.checkSignature(trusting: trusted)
                        try reader.verifyChecksums()
                    } catch let error as FerryError {
                        throw error.rephrased("\(path): \(error.message) Nothing was applied to \(StoreOpener.describe(db)).")
                    }
                }
            }
            let target = try TargetDatabase(db: db, schema: common.schema)
            for (index, path) in changesets.enumerated() {
                let result: ImportReport
                do {
                    let reader = try ChangesetReader(path: path, target: target.store, maximumLineLength: lineSize.bytes)
                    result = try Importer(store: target.store, changeset: reader, options: ImportOptions(force: force, trustSchema: trustSchema, track: track, trust: trusted),
                                          observer: TerminalProgress.make(quiet: common.quiet)).run(targetPath: target.path)
                } catch let error as FerryError {
                    // Each changeset is its own transaction: say which ones stay applied.
                    let before = index == 0 ? "Nothing was applied to \(StoreOpener.describe(db))." : "\(path) was not applied; the \(index) changeset\(index == 1 ? "" : "s") before it stay applied to \(StoreOpener.describe(db))."
                    throw error.rephrased("\(path): \(error.message)\(error.message.hasSuffix(".") ? "" : ".") \(error.message.contains("othing was") ? "" : before)".trimmingCharacters(in: .whitespaces))
                }
                target.commit()
                if !common.quiet { printError("\(path):\n\(result.table())") }
                partial = partial || result.totals.rejected > 0 || result.totals.conflicts > 0
            }
        }
        if partial { throw ExitCode(FerryExit.partial) }
    }
}
