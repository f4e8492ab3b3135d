import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Remove tombstones of deleted rows that every peer has seen.",
        discussion: """
            The sync book keeps a tombstone for every deleted row, so a stale copy of the row \
            (a changeset written before the other side heard of the delete) never brings it \
            back. Tombstones stay until compacted. Name, with --applied, the last changeset of \
            this database each peer has imported (once per peer); the tombstones recorded \
            before the oldest of them are removed. Safe once every changeset those peers \
            wrote before then has been imported here: a copy of a row older than its \
            tombstone would otherwise come back. Application rows are never touched.

            Examples:
              ferry compact --db cloud.db --applied to-laptop-17.ferry --applied to-branch-9.ferry
            """
    )

    @Option(help: "The SQLite database whose sync book to compact.")
    var db: String

    @Option(help: "A changeset of this database (id or path) that a peer has imported; repeat per peer.")
    var applied: [String] = []

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingErrors(common) {
            let store = try StoreOpener.open(db, for: .write, schema: common.schema)
            let result = try TombstoneCompactor.compact(store: store, appliedEverywhere: applied.map(changesetId))
            if !common.quiet {
                printError("removed \(counted(result.removed, "tombstone")), \(result.remaining) kept")
            }
        }
    }
}
