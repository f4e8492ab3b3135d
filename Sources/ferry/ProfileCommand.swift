import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Print the resolved profile: how each table's rows are recognised.",
        discussion: """
            Per table: the cloudId column, primary key, natural keys (UNIQUE indexes), fallback \
            composites (the profile's "match"), references and skipped columns, as JSON.

            Examples:
              ferry profile --db app.db
              ferry profile --db app.db --profile samples/crm/profile.json
            """
    )

    @Option(help: "The SQLite database to read.")
    var db: String

    @Option(help: "A profile file (JSON) that extends what Ferry derives from the schema.")
    var profile: String?

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingErrors(common) {
            let store = try StoreOpener.open(db, for: .read, schema: common.schema)
            let loaded = try loadProfile(profile)
            let tables = try store.tables(profile: loaded)
            printOutput(try ResolvedProfile(tables: tables, profile: loaded).json())
            // A table matched by its raw integer id would duplicate rows on a reconcile: say so
            // where it matters, when the table holds rows.
            for table in tables {
                if let warning = PrimaryKeyIdentity.warning(for: table), try !store.isEmpty(table.name) { printError("warning: \(warning)") }
            }
        }
    }
}
