/// Keys of the sync book's `_ferry_state`.
package enum SyncState {
    /// The id of the last changeset this store exported.
    package static let lastExport = "lastExport"
    /// This store's change counter (see `SyncBookEntry.sequence`).
    package static let sequence = "sequence"
    /// `export:ID` → the change counter when changeset ID was exported: `--since ID` ships
    /// what changed after it.
    package static let exportPrefix = "export:"
}
