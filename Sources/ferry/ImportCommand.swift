import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a changeset into a database.",
        discussion: """
            Checks every checksum first, then applies all tables in one transaction, parents \
            first. Tables the target lacks are created from the manifest. Each record is matched \
            to a target row by cloudId, then natural key, then the profile's fallback composites \
            (only when exactly one row matches), and inserted or updated; foreign keys are \
            remapped to the target's own ids. A record that cannot be applied is rejected with \
            its reason and written to the rejects file, which can be fixed and imported as it is. \
            Any error rolls everything back; a database file that did not exist is removed.

            Rows that crossed before carry their base (how they looked when they last crossed), \
            so changes on one side apply cleanly, changes to different columns merge, and a \
            column changed on both sides is a conflict, settled by --on-conflict (defer keeps \
            the target's version and records both in the conflicts file). Tombstones delete.

            Exit codes: 0 applied; 3 applied, but some records were rejected or conflicts \
            deferred; any other: nothing applied.

            Examples:
              ferry import changes/ --db cloud.db
              ferry import ticket-4711.ferry --db scratch.db --dry-run --report report.json
              ferry import cloud.db.rejects-1a2b3c4d.ndjson --db cloud.db
              ferry import full-export/ --db mirror.db --prune --dry-run
            """
    )

    @Argument(help: "The changeset: a folder, a .ferry file, or a fixed rejects file (.ndjson).")
    var changeset: String

    @Option(help: "The SQLite database to write (created when missing).")
    var db: String

    @Flag(help: "Compute the full report, write nothing.")
    var dryRun = false

    @Flag(help: "Roll everything back if any record is rejected.")
    var strict = false

    @Option(help: "What to do with rows changed on both sides: \(ConflictPolicy.allCases.map(\.rawValue).joined(separator: ", ")). Default: defer, or the profile's.")
    var onConflict: ConflictPolicy?

    @Option(help: "Where to write conflicts (default: beside the target, DB.conflicts-ID.ndjson; for a server database, ferry-NAME.conflicts-ID.ndjson in the current folder).")
    var conflicts: String?

    @Flag(help: "Apply an incremental changeset even if its predecessor was never applied here.")
    var force = false

    @Flag(help: "Keep a sync book in a target nobody prepared, so it can sync later (a prepared target always keeps one).")
    var track = false

    @Flag(help: "Mirror mode for a full changeset: delete target rows it does not hold. Try it with --dry-run first.")
    var prune = false

    @Option(help: "With --prune: the largest share of a table, in percent, deleted without --yes (default \(Int(ImportOptions.defaultPruneLimit * 100))).")
    var pruneLimit: Double = ImportOptions.defaultPruneLimit * 100

    @Flag(help: "With --prune: delete however much of a table the changeset no longer holds.")
    var yes = false

    @Option(help: "A profile file (JSON) extending the one embedded in the changeset.")
    var profile: String?

    @Option(help: "Where to write rejected records (default: beside the target, DB.rejects-ID.ndjson; for a server database, ferry-NAME.rejects-ID.ndjson in the current folder).")
    var rejects: String?

    @Option(help: "Also write the report as JSON to this file.")
    var report: String?

    @Option(help: ArgumentHelp("Match a source row to a target row yourself (repeatable): TABLE:SOURCE-KEY=TARGET-KEY, by primary keys, e.g. playlists:1=17. Settles an ambiguous_match.", valueName: "pin"))
    var pin: [String] = []

    @Option(help: "A file of pins, one TABLE:SOURCE-KEY=TARGET-KEY per line (# comments).")
    var pins: String?

    @Flag(help: "Let the changeset's CREATE statements call any SQL function (by default only bounded ones such as lower, length or datetime). Only for a changeset from someone you trust.")
    var trustSchema = false

    @Flag(help: "Import a redacted changeset (--redact) into a database that holds real values all the same.")
    var allowRedacted = false

    @OptionGroup var trust: TrustOptions

    @OptionGroup var lineSize: LineSizeOptions

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (0...100).contains(pruneLimit) else { throw ValidationError("--prune-limit must be a percentage between 0 and 100.") }
    }

    func run() throws {
        try runReportingErrors(common, unapplied: "Nothing was applied to \(StoreOpener.describe(db)).") {
            // The report must be writable before anything is applied: exit 1 means "nothing
            // applied". It never replaces a file Ferry did not write (the target, say).
            if let report { try SideFile.checkReplaceable(report, kind: .report) }
            let target = try TargetDatabase(db: db, schema: common.schema)
            let reader = try trust.open { try ChangesetReader(path: changeset, target: target.store, maximumLineLength: lineSize.bytes) }
            var allPins = try pin.map { try Pin.parse($0, place: "--pin") }
            if let pins { allPins += try Pin.load(path: pins) }
            var options = ImportOptions(dryRun: dryRun, strict: strict, profile: try profile.map { try Profile.load(path: $0) }, rejectsPath: rejects,
                                        conflictsPath: conflicts, onConflict: onConflict, force: force, prune: prune,
                                        pruneLimit: yes ? nil : pruneLimit / 100, trustSchema: trustSchema, pins: allPins, track: track,
                                        trust: try trust.keys())
            options.allowRedacted = allowRedacted
            let result = try Importer(store: target.store, changeset: reader, options: options, observer: TerminalProgress.make(quiet: common.quiet)).run(targetPath: target.path)
            if !dryRun { target.commit() }
            if let report {
                do {
                    try SideFile.write(result.json(), to: report, kind: .report)
                } catch let error as FerryError {
                    throw error.rephrased("\(dryRun ? "the dry run finished" : "the import was applied"), but the report was not written: \(error.message)")
                }
            }
            for warning in result.warnings { printError("warning: \(warning)") }
            if !common.quiet { printError(result.table()) }
            if let file = result.rejectsFile {
                printError("\(counted(result.totals.rejected, "record")) rejected, written to \(file). Fix \(result.totals.rejected == 1 ? "it" : "them") and import that file.")
            }
            if let file = result.conflictsFile {
                printError("conflicts (rows changed on both sides) are in \(file)\(result.totals.conflicts > 0 ? "; \(result.totals.conflicts) deferred: import again with --on-conflict source-wins, target-wins or newer-wins to settle them" : "").")
            }
            if result.totals.rejected > 0 || result.totals.conflicts > 0 { throw ExitCode(FerryExit.partial) }
        }
    }
}

extension ConflictPolicy: ExpressibleByArgument {}
