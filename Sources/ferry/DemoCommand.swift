import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
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

    @Option(help: "Run the field scenario with the cloud on this PostgreSQL database (a postgresql:// URI of an empty database; --schema names another schema than public).")
    var postgres: String?

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingErrors(common) {
            let folder = try workDir ?? makeTemporaryFolder()
            try prepareWorkDirectory(folder)
            // A demo that fails leaves no temporary folder of its own behind (a --work-dir stays).
            var succeeded = false
            defer { if !succeeded && workDir == nil { try? FileManager.default.removeItem(atPath: folder) } }
            // The narrative is the demo's output (stdout); --quiet silences stderr, as everywhere.
            if let postgres {
                guard PostgresConnection.isURI(postgres) else {
                    throw FerryError(.usage, "--postgres takes a postgresql:// or postgres:// URI, such as postgresql://localhost/ferry_demo.")
                }
                try Demo.runWithPostgresCloud(uri: postgres, schema: common.schema ?? "public", workDirectory: folder, log: { printOutput($0) },
                                              observer: TerminalProgress.make(quiet: common.quiet))
            } else {
                try Demo.run(workDirectory: folder, log: { printOutput($0) }, observer: TerminalProgress.make(quiet: common.quiet))
            }
            succeeded = true
            if !common.quiet { printError("The demo's databases and changesets are in \(folder).") }
        }
    }

    /// The demo builds its own databases: it works only in a new or empty folder, so it can
    /// never write into a database of the user's that happens to be called local.db.
    private func prepareWorkDirectory(_ folder: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw FerryError(.usage, "--work-dir \(folder) is a file; the demo needs a new or empty folder for its databases. Choose another --work-dir.")
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            guard entries.isEmpty else {
                throw FerryError(.usage, "--work-dir \(folder) is not empty (it holds \(entries.sorted().prefix(3).joined(separator: ", "))\(entries.count > 3 ? ", …" : "")); the demo writes local.db, cloud.db and its changesets there and never touches files it did not make. Choose a new or empty folder.")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw FerryError(.io, "cannot create the demo's folder \(folder): \(error.localizedDescription) Choose another --work-dir.")
        }
    }

    private func makeTemporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "ferry-demo-" + UUID().uuidString.prefix(8).lowercased()
        return path
    }
}
