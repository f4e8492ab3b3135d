import ArgumentParser
import FerryKit
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a changeset into a database.",
        discussion: """
            Checks every checksum first, then applies all tables in one transaction, parents \
            first: missing tables are created from the manifest, rows are written by primary \
            key. Any error rolls everything back; a database file that did not exist is removed.

            Exit codes: 0 applied; 3 applied with some records rejected; any other: nothing applied.

            Examples:
              ferry import changes/ --db replica.db
              ferry import ticket-4711.ferry --db scratch.db --dry-run --report report.json
            """
    )

    @Argument(help: "The changeset: a folder or a .ferry file.")
    var changeset: String

    @Option(help: "The SQLite database to write (created when missing).")
    var db: String

    @Flag(help: "Compute the full report, write nothing.")
    var dryRun = false

    @Option(help: "Also write the report as JSON to this file.")
    var report: String?

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingErrors {
            let reader = try ChangesetReader(path: changeset)
            let target = try TargetDatabase(path: db)
            let result = try Importer(store: target.store, changeset: reader, options: ImportOptions(dryRun: dryRun), observer: TerminalProgress.make(quiet: common.quiet)).run()
            if !dryRun { target.commit() }
            if let report {
                do {
                    try result.json().write(toFile: report, atomically: true, encoding: .utf8)
                } catch {
                    throw FerryError(.io, "cannot write the report to \(report): \(error.localizedDescription)")
                }
            }
            if !common.quiet { printError(result.table()) }
            if result.totals.rejected > 0 || result.totals.conflicts > 0 { throw ExitCode(FerryExit.partial) }
        }
    }
}
