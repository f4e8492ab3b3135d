import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a changeset (tables, rows, sizes, keys, references, sample rows), or a database's import log and sync book.",
        discussion: """
            With --db instead of a changeset, lists the changesets applied to that database \
            (Ferry's _ferry_imports audit table) with their figures.

            Examples:
              ferry inspect changes/
              ferry inspect changes/ --table users --rows 5
              ferry inspect ticket-4711.ferry --json
              ferry inspect --db cloud.db
            """
    )

    @Argument(help: "The changeset: a folder or a .ferry file.")
    var changeset: String?

    @Option(help: "Show the import log of this database instead.")
    var db: String?

    @Option(help: "Only this table.")
    var table: String?

    @Option(help: "Sample rows to show per table.")
    var rows: Int = 3

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var trust: TrustOptions
    @OptionGroup var common: CommonOptions
    @OptionGroup var lineSize: LineSizeOptions

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows must be 0 or more.") }
        if changeset == nil && db == nil {
            throw ValidationError("inspect needs a changeset (a folder or .ferry file that `ferry export` wrote), or --db PATH to list the changesets applied to a database. Example: ferry inspect changes/")
        }
        if changeset != nil && db != nil { throw ValidationError("Give either a changeset or --db, not both.") }
    }

    func run() throws {
        try runReportingErrors(common) {
            if let db {
                let store = try StoreOpener.open(db, for: .read, schema: common.schema)
                printOutput(Inspector.importLog(try store.importLog(), json: json))
                // JSON stays one import per line; the book's summary is for people.
                if !json, let book = try store.syncBookSummary() { printOutput("\n" + book.text) }
                return
            }
            let reader = try trust.open { try ChangesetReader(path: changeset!, maximumLineLength: lineSize.bytes) }
            let trusted = try trust.keys()
            let signature = try reader.checkSignature(trusting: trusted)
            // "Trusted" covers the rows shown too: the table files must be the ones the manifest names.
            if trusted != nil { try reader.verifyChecksums() }
            let samples = try Inspector.samples(reader, table: table, count: rows)
            printOutput(json ? try Inspector.json(reader, table: table, samples: samples, signature: signature)
                        : try Inspector.summary(reader, table: table, samples: samples, signature: signature))
        }
    }
}
