/// Keys of the sync book's `_ferry_state`.
package enum SyncState {
    /// The id of the last changeset this store exported.
    package static let lastExport = "lastExport"
    /// This store's change counter (see `SyncBookEntry.sequence`).
    package static let sequence = "sequence"
    /// `export:ID` → the change counter when changeset ID was exported: `--since ID` ships
    /// what changed after it.
    package static let exportPrefix = "export:"

    /// A new store id for version vectors: 48 random bits as 12 hex digits, so stores that
    /// sync together never share one.
    package static func newStoreId() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(UInt64.random(in: 0..<(1 << 48), using: &generator), radix: 16).leftPadded(to: 12)
    }
}
