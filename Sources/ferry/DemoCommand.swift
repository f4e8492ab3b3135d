import ArgumentParser
import FerryKit
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the field scenario end to end on the bundled sample CRM, checking each claim it prints.",
        discussion: """
            In a temporary folder (or --work-dir), the demo:
              1. builds a local and a cloud database of the sample CRM: the same users, roles, \
            permissions and products under different ids, and one customer already in the cloud;
              2. prepares both (a cloudId for customers, proposals and content);
              3. exports local, verifies the changeset and imports it into the cloud: every \
            logical row present once, no duplicate, no dangling foreign key;
              4. edits "Test Company XYZ" in the cloud;
              5. exports the cloud and imports it into local, which takes the edit;
              6. imports the same changeset again: nothing changes;
              7. replays the cloud's changeset into an empty database, which then equals the \
            cloud cell by cell.
            Each step prints its report; a claim that does not hold stops the demo with exit 1.

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
