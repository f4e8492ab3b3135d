import ArgumentParser
import FerryKit

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a changeset: tables, rows, sizes, keys, references, sample rows.",
        discussion: """
            Examples:
              ferry inspect changes/
              ferry inspect changes/ --table users --rows 5
              ferry inspect ticket-4711.ferry --json
            """
    )

    @Argument(help: "The changeset: a folder or a .ferry file.")
    var changeset: String

    @Option(help: "Only this table.")
    var table: String?

    @Option(help: "Sample rows to show per table.")
    var rows: Int = 3

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows must be 0 or more.") }
    }

    func run() throws {
        try runReportingErrors {
            let reader = try ChangesetReader(path: changeset)
            let samples = try Inspector.samples(reader, table: table, count: rows)
            printOutput(json ? try Inspector.json(reader, table: table, samples: samples) : try Inspector.summary(reader, table: table, samples: samples))
        }
    }
}
