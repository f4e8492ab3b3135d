import ArgumentParser
import FerryKit
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run Ferry end to end on the bundled sample CRM, printing each step.",
        discussion: """
            Builds the sample local database in a temporary folder, exports it, verifies the \
            changeset, replays it into an empty database and checks the two are identical.

            Example:
              swift run ferry demo
            """
    )

    @Option(help: "Keep the demo's files in this folder (default: a new temporary folder).")
    var workDir: String?

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingErrors(common) {
            let folder = try workDir ?? makeTemporaryFolder()
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Demo.run(workDirectory: folder, log: { printOutput($0) }, observer: TerminalProgress.make(quiet: common.quiet))
        }
    }

    private func makeTemporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "ferry-demo-" + UUID().uuidString.prefix(8).lowercased()
        return path
    }
}
