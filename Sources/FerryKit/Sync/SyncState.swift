/// Keys of the sync book's `_ferry_state`.
enum SyncState {
    /// The id of the last changeset this store exported.
    static let lastExport = "lastExport"
}
