import ArgumentParser
import FerryKit
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export tables of a database to a changeset.",
        discussion: """
            Every user table (not sqlite_*, not _ferry_*) is written from one read snapshot to \
            TABLE.ndjson.gz, parents before children, with a manifest.json of checksums. The \
            source is opened read-only. An --out ending in .ferry makes one archive file.

            Examples:
              ferry export --db app.db --out changes/
              ferry export --db app.db --out ticket-4711.ferry --tables users,roles
            """
    )

    @Option(help: "The SQLite database to read.")
    var db: String

    @Option(help: "The changeset to write: a folder, or a file ending in .ferry.")
    var out: String

    @Option(help: "Only these tables, comma-separated.")
    var tables: String?

    @Option(help: "A profile file (JSON) that extends what Ferry derives from the schema.")
    var profile: String?

    @Option(help: "gzip level, 0-9 (1 is fastest; 6 is gzip's default).")
    var level: Int = 1

    @Flag(help: "Replace --out if it exists.")
    var force = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (0...9).contains(level) else {
            throw ValidationError("--level must be between 0 and 9.")
        }
    }

    func run() throws {
        try runReportingErrors {
            guard FileManager.default.fileExists(atPath: db) else {
                throw FerryError(.io, "no database at \(db). Check the --db path.")
            }
            let store = try SQLiteStore(path: db, mode: .readOnly)
            let options = ExportOptions(tables: tableList(tables), profile: try loadProfile(profile), compressionLevel: level, force: force)
            let summary = try Exporter(store: store, options: options, observer: TerminalProgress.make(quiet: common.quiet)).export(to: out)
            for warning in summary.manifest.warnings ?? [] { printError("warning: \(warning)") }
            if !common.quiet {
                let rows = summary.manifest.tables.reduce(0) { $0 + $1.rows }
                printError("exported \(summary.manifest.tables.count) tables, \(rows) rows to \(summary.path)")
            }
        }
    }
}
