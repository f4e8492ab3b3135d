import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a changeset: format version, checksums, every line, row counts.",
        discussion: """
            Exits 0 when the changeset is intact; otherwise prints what is wrong, with the file \
            and line, and exits 1. Needs no database.

            Examples:
              ferry verify changes/
              ferry verify ticket-4711.ferry
            """
    )

    @Argument(help: "The changeset: a folder or a .ferry file.")
    var changeset: String

    @OptionGroup var trust: TrustOptions

    @OptionGroup var lineSize: LineSizeOptions

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingErrors(common) {
            let reader = try trust.open { try ChangesetReader(path: changeset, maximumLineLength: lineSize.bytes) }
            let signature = try reader.checkSignature(trusting: try trust.keys())
            let results = try Verifier.verify(reader, observer: TerminalProgress.make(quiet: common.quiet))
            if !common.quiet {
                for table in results {
                    printOutput("ok  \(table.file)  \(counted(table.rows, "row"))  \(counted(table.bytes, "byte"))")
                }
                if let signature { printOutput(signature.description) }
                printOutput("\(changeset): ok, \(counted(results.count, "file")), \(counted(results.reduce(0) { $0 + $1.rows }, "record"))")
            }
        }
    }
}
