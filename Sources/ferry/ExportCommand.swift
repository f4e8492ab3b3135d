import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export tables of a database to a changeset.",
        discussion: """
            Every user table (not sqlite_*, not _ferry_*) is written from one read snapshot to \
            TABLE.ndjson.gz, parents before children, with a manifest.json of checksums. The \
            source's rows are never written; a database prepared for sync (`ferry prepare`) has \
            its _ferry_ sync book updated. An --out ending in .ferry makes one archive file. \
            --incremental ships only what changed since the last export (as upserts and \
            tombstones); the manifest names the changeset it continues. --since CHANGESET \
            ships what changed since any earlier export of this database, whichever exports \
            came between: a hub keeps one chain per peer, each continuing the last changeset \
            that peer imported.

            For a support ticket, --where TABLE:CONDITION (repeatable) exports just those rows \
            and every row they point at, so the changeset imports into an empty database; \
            --with-children adds the rows that point at them. --redact replaces a column's \
            values (null, drop, mask, or hash: a keyed pseudonym that still matches across \
            tables and tickets made with the same --redact-key). Such a changeset is a \
            snapshot: it carries no sync state and leaves the sync book alone.

            Examples:
              ferry export --db app.db --out changes/
              ferry export --db app.db --out ticket-4711.ferry --tables users,roles
              ferry export --db app.db --out week-48 --incremental
              ferry export --db cloud.db --out to-laptop-18.ferry --since to-laptop-17.ferry
              ferry export --db app.db --out ticket-4711.ferry --where "customers:email = 'ann@example.com'" --with-children \\
                --redact users.email=hash --redact customers.phone=mask --redact-key support.key --sign ops.key
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

    @Flag(help: "Ship only rows inserted, changed or deleted since this database's last export.")
    var incremental = false

    @Option(help: "Like --incremental, since this earlier export of the database (id or path), whichever exports came after it.")
    var since: String?

    @Option(name: .customLong("where"), help: ArgumentHelp("Only these rows, with every row they point at (repeatable): TABLE:CONDITION, an SQL condition on that table alone.", valueName: "table:condition"))
    var filters: [String] = []

    @Flag(help: "With --where: also the rows that point at the selection, and theirs (a customer's proposals and their lines).")
    var withChildren = false

    @Option(help: ArgumentHelp("Redact a column (repeatable): TABLE.COLUMN=null|drop|mask|hash. hash needs --redact-key.", valueName: "table.column=rule"))
    var redact: [String] = []

    @Option(help: "The secret for --redact …=hash (16 or more bytes, e.g. head -c 32 /dev/urandom > redact.key). The same key makes the same pseudonyms.")
    var redactKey: String?

    @Option(help: "Sign the changeset with this private key (from `ferry keygen`); importers check it with --trust.")
    var sign: String?

    @Flag(help: "Replace --out if it exists.")
    var force = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (0...9).contains(level) else {
            throw ValidationError("--level must be between 0 and 9.")
        }
        if incremental && since != nil {
            throw ValidationError("--incremental continues the last export and --since names the export to continue: give one of them.")
        }
    }

    func run() throws {
        try runReportingErrors(common) {
            let store = try StoreOpener.open(db, for: .export, schema: common.schema)
            let loadedProfile = try loadProfile(profile)
            var options = ExportOptions(tables: tableList(tables), profile: loadedProfile, compressionLevel: level, force: force,
                                        incremental: incremental, since: since.map(changesetId),
                                        signingKey: try sign.map { try SigningKey.load(path: $0) })
            options.filters = try filters.map(RowFilter.parse)
            options.withChildren = withChildren
            let redaction = try Redaction(arguments: redact, profile: loadedProfile, keyPath: redactKey)
            if !redaction.isEmpty { options.redaction = redaction }
            let summary = try Exporter(store: store, options: options, observer: TerminalProgress.make(quiet: common.quiet)).export(to: out)
            for warning in summary.manifest.warnings ?? [] { printError("warning: \(warning)") }
            if !common.quiet {
                let rows = summary.manifest.tables.reduce(0) { $0 + $1.rows }
                printError("exported \(counted(summary.manifest.tables.count, "table")), \(counted(rows, "row")) to \(summary.path)")
                // Say what was left out without being asked: a table missing from a copy
                // should never be a surprise.
                let exported = Set(summary.manifest.tables.map { $0.name.lowercased() })
                let bookkeeping = try store.catalog().map(\.name).filter { Profile.bookkeepingTables.contains($0.lowercased()) && !exported.contains($0.lowercased()) }
                if !bookkeeping.isEmpty {
                    printError("left out: \(bookkeeping.sorted().joined(separator: ", ")) (migration bookkeeping: each database records the migrations run on it). Name \(bookkeeping.count == 1 ? "it" : "them") in --tables, or in the profile's \"include\", to export \(bookkeeping.count == 1 ? "it" : "them").")
                }
            }
        }
    }
}

/// `--since` takes a changeset id or the path of a changeset (its manifest names the id).
func changesetId(_ argument: String) -> String {
    (try? ChangesetReader(path: argument))?.manifest.changesetId ?? argument
}
