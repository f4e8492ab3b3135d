/// The book of a store nobody prepared for sync: an import there remembers nothing per row
/// (a restore is the size of what it restores, and runs without the book's writes). Every
/// lookup finds nothing, so records are matched and merged by their own base alone.
final class UntrackedBook: SyncBook {
    let storeId = ""
    let sequence: Int64 = 0
    let changed = false
    let keepsEntries = false
    let recorded = 0

    func entry(table: String, rowKey: [UInt8]) throws -> SyncBookEntry? { nil }
    func hash(table: String, rowKey: [UInt8]) throws -> (hash: String, sequence: Int64, fingerprint: Int64?)? { nil }
    func setFingerprint(table: String, rowKey: [UInt8], _ fingerprint: Int64) throws {}
    func scanKey(of table: String) throws -> Int64? { nil }
    func entries(table: TableDefinition, identity: [UInt8]) throws -> [SyncBookEntry] { [] }
    func record(table: String, entry: SyncBookEntry) throws {}
    func remove(table: String, rowKey: [UInt8]) throws {}
    func markDeleted(table: String, rowKey: [UInt8], versions: VersionVector?) throws {}
    func recordTombstone(table: String, identity: [UInt8], hash: String, digests: ColumnDigests, versions: VersionVector) throws {}
    func joinTombstone(table: String, rowKey: [UInt8], versions: VersionVector) throws {}
    func retire(table: String, rowKey: [UInt8], unless identity: [UInt8], shipped: Bool) throws {}
    func hasEntries(table: String) throws -> Bool { false }
    func deferIdentityIndexIfEmpty() throws -> Bool { false }
    func buildIdentityIndex() throws {}
    func vanished(from table: TableDefinition, _ body: (SyncBookEntry) throws -> Void) throws {}
    func liveEntryCount(table: String) throws -> Int { 0 }
    func tombstones(of table: String, after sequence: Int64?, _ body: (SyncBookEntry) throws -> Void) throws {}
    func compactTombstones(before sequence: Int64?) throws -> Int { 0 }
    func tombstoneCount() throws -> Int { 0 }
    func saveSequence() throws {}
    func exportSequence(of id: String) throws -> Int64? { nil }
    func recordExport(_ id: String) throws {}
    func state(_ key: String) throws -> String? { nil }
    func setState(_ key: String, _ value: String) throws {}
}
