/// Ferry's memory of what each row looked like when it last crossed between two stores,
/// kept in the store's own `_ferry_rows` table. It lets export ship only what changed and
/// lets import tell "changed here", "changed there" and "changed on both sides" apart.
public protocol SyncBook: AnyObject {
    func entry(table: String, rowKey: [UInt8]) throws -> SyncBookEntry?
    /// This store's id in version vectors, made when the book was.
    var storeId: String { get }
    /// Only the live entry's hash, sequence and fingerprint: what an incremental export
    /// compares for every row.
    func hash(table: String, rowKey: [UInt8]) throws -> (hash: String, sequence: Int64, fingerprint: Int64?)?
    /// The number a store's scan joins this book's entries of `table` by
    /// (`Store.scan(_:columns:joining:withBookEntriesOf:)`); nil when the book has none.
    func scanKey(of table: String) throws -> Int64?
    /// Remembers the fingerprint of the row at `rowKey` as this store holds it at the
    /// entry's version (see `SyncBookEntry.fingerprint`); no change of the row's version.
    func setFingerprint(table: String, rowKey: [UInt8], _ fingerprint: Int64) throws
    /// Every entry with this identity (a natural key that several rows held over time:
    /// an order deleted and entered again), up to a few.
    func entries(table: TableDefinition, identity: [UInt8]) throws -> [SyncBookEntry]
    /// Records an entry, alive, under the next sequence number; an identical one (same
    /// identity, hash, base and versions) is left alone.
    func record(table: String, entry: SyncBookEntry) throws
    /// `record` for a key the book had no entry at when the command began, alive: a store may
    /// write such entries a set at a time, before its next read or write of the book (one
    /// recorded at that key since is written as `record` writes it).
    func recordNew(table: String, entry: SyncBookEntry) throws
    /// Makes an entry ready for `recordNew(table:packed:)`, on any thread (nil: the book
    /// takes entries as they are). The first export of a table into an empty book encodes
    /// its entries on a second thread, and each store's own form of an entry is made there
    /// too, off the thread that writes.
    var newEntryPacker: (@Sendable (SyncBookEntry) -> PackedBookEntry)? { get }
    /// `recordNew` of an entry `newEntryPacker` made ready.
    func recordNew(table: String, packed: PackedBookEntry) throws
    /// Whether `record` or `remove` changed the book since it was opened.
    var changed: Bool { get }
    /// Whether this book remembers rows at all (false for a store not prepared for sync).
    var keepsEntries: Bool { get }
    /// How many entries were written or changed since the book was opened.
    var recorded: Int { get }
    func remove(table: String, rowKey: [UInt8]) throws
    /// Keeps the entry as a tombstone with `versions` (its delete's; nil keeps the entry's):
    /// the row is gone, and a stale copy of a version it had arriving later is recognised
    /// and not brought back.
    func markDeleted(table: String, rowKey: [UInt8], versions: VersionVector?) throws
    /// A tombstone for a row this store never held (its delete arrived first, or it was
    /// deleted before it got here): a copy of it arriving later is recognised.
    func recordTombstone(table: String, identity: [UInt8], hash: String, digests: ColumnDigests, versions: VersionVector) throws
    /// Raises a tombstone's versions to include `versions` (a delete that crossed again).
    func joinTombstone(table: String, rowKey: [UInt8], versions: VersionVector) throws
    /// Tombstones of `table` whose sequence is above `sequence` (every one when nil).
    func tombstones(of table: String, after sequence: Int64?, _ body: (SyncBookEntry) throws -> Void) throws
    /// Removes tombstones recorded at or before `sequence` (every one when nil); returns how many.
    func compactTombstones(before sequence: Int64?) throws -> Int
    /// How many tombstones the book keeps.
    func tombstoneCount() throws -> Int
    /// This store's change counter: the sequence of the last change the book recorded.
    var sequence: Int64 { get }
    /// Stores the change counter; called once before the transaction commits.
    func saveSequence() throws
    /// The change counter when changeset `id` was exported from this store, if it was.
    func exportSequence(of id: String) throws -> Int64?
    /// Remembers that changeset `id` was exported at the current change counter.
    func recordExport(_ id: String) throws
    /// Another logical row now holds `rowKey` (a key handed out again after a delete): the
    /// entry there, when its identity is not `identity`, moves aside under a key of its own,
    /// so the deleted row is still recognised by its identity. Its delete is still to ship
    /// (the next export finds it gone) unless `shipped`.
    func retire(table: String, rowKey: [UInt8], unless identity: [UInt8], shipped: Bool) throws
    /// Whether any row of `table` has crossed before.
    func hasEntries(table: String) throws -> Bool
    /// When the book is empty, stops maintaining the identity lookup until
    /// `buildIdentityIndex()`, and returns true. Meanwhile `entry(table:identity:)` finds
    /// nothing: no row can have crossed before an import into an empty book (the first
    /// export after `prepare` never asks).
    func deferIdentityIndexIfEmpty() throws -> Bool
    func buildIdentityIndex() throws
    /// Entries whose row no longer exists in the table: deletions since the last crossing.
    func vanished(from table: TableDefinition, _ body: (SyncBookEntry) throws -> Void) throws
    /// How many live entries (not tombstones) the book keeps for `table`: a scan that found
    /// as many rows with an entry, each a different one, leaves no entry whose row is gone.
    func liveEntryCount(table: String) throws -> Int
    func state(_ key: String) throws -> String?
    func setState(_ key: String, _ value: String) throws
    /// Whether `prefetch` saves anything: true for a book whose every read is a round trip.
    var readsAhead: Bool { get }
    /// A hint before a batch of `table` is applied: its reads will ask for the entries at
    /// `rowKeys` and with `identities`. The book may read them at once; every read must
    /// still answer as it would have without the hint, after any write. Replaces the hint
    /// of the batch before.
    func prefetch(table: TableDefinition, rowKeys: [[UInt8]], identities: [[UInt8]]) throws
}

extension SyncBook {
    public func recordNew(table: String, entry: SyncBookEntry) throws { try record(table: table, entry: entry) }
    public var newEntryPacker: (@Sendable (SyncBookEntry) -> PackedBookEntry)? { nil }
    public func recordNew(table: String, packed: PackedBookEntry) throws {
        guard case .entry(let entry) = packed else { preconditionFailure("an entry packed for another book") }
        try recordNew(table: table, entry: entry)
    }
    public var readsAhead: Bool { false }
    public func prefetch(table: TableDefinition, rowKeys: [[UInt8]], identities: [[UInt8]]) throws {}
    /// The first entry with this identity.
    func entry(table: TableDefinition, identity: [UInt8]) throws -> SyncBookEntry? {
        try entries(table: table, identity: identity).first
    }
}

/// One row as it last crossed: its key here, its identity everywhere, its hash and values.
public struct SyncBookEntry: Sendable, Equatable {
    /// JSON array of the row's primary-key values in this store.
    public var rowKey: [UInt8]
    /// `c:CLOUDID` or `k:[natural key values]`: how the other store recognises the row.
    public var identity: [UInt8]
    /// The hash of the row's portable form (see `PortableRow`).
    public var hash: String
    /// One digest per column of the portable form: the base of the next merge.
    public var digests: ColumnDigests
    /// A tombstone: the row was deleted (here, or by a tombstone applied here) and the
    /// deletion crossed or is about to; `hash` is the version it had.
    public var deleted = false
    /// The versions of the row this entry describes (a tombstone's include its delete);
    /// empty in an entry from before versions were kept.
    public var versions = VersionVector()
    /// XXH64 of the row's cells as this store holds them (its scan's columns, parents'
    /// joined ones included), when the export last found the row at this entry's version;
    /// nil when unknown (an entry an import wrote). An export that finds the same
    /// fingerprint knows the row unchanged without encoding its portable form.
    public var fingerprint: Int64?
    /// The row at `rowKey` holds this entry's identity in its own cloudId column: the
    /// table's index on that column finds the entry's row, so the book's identity index
    /// need not keep the entry (docs/decisions.md, "Sync book v2").
    public var inTable = false
    /// This store's change counter when the entry last changed: an export `--since` a
    /// changeset ships the entries changed after that changeset's counter.
    public var sequence: Int64 = 0

    public init(rowKey: [UInt8], identity: [UInt8], hash: String, digests: ColumnDigests, deleted: Bool = false, versions: VersionVector = VersionVector()) {
        self.rowKey = rowKey
        self.identity = identity
        self.hash = hash
        self.digests = digests
        self.deleted = deleted
        self.versions = versions
    }
}

/// A new entry as a book writes it: the entry itself, or the values of the store's own
/// form (`SyncBook.newEntryPacker`).
public enum PackedBookEntry: Sendable {
    case entry(SyncBookEntry)
    case values([Value])
}
