import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Give rows a stable cloudId: add the column where missing, fill NULL cloudIds.",
        discussion: """
            Fills every NULL cloudId with a new UUIDv7 (time-sortable). Without --tables, the \
            column (TEXT, with a unique index) is added only to tables that have no natural key; \
            tables named in --tables always get it. Idempotent: run it as often as you like; an \
            existing cloudId is never changed. This is the only command that writes to a source.

            Examples:
              ferry prepare --db app.db
              ferry prepare --db app.db --tables customers,proposals
            """
    )

    @Option(help: "The SQLite database to prepare.")
    var db: String

    @Option(help: "Only these tables, comma-separated.")
    var tables: String?

    @Option(help: "A profile file (JSON): the cloudId column name, excluded tables.")
    var profile: String?

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingErrors(common) {
            let store = try StoreOpener.open(db, for: .write, schema: common.schema)
            let results = try Preparer.prepare(store: store, tables: tableList(tables), profile: try loadProfile(profile))
            if !common.quiet {
                for result in results {
                    printError("\(result.table): \(result.addedColumn ? "added \(result.column) + unique index, " : "")\(counted(result.filled, "cloudId")) filled")
                }
                if results.isEmpty { printError("no table has or needs a cloudId column") }
            }
        }
    }
}
