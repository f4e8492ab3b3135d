/// Ferry's memory of what each row looked like when it last crossed between two stores,
/// kept in the store's own `_ferry_rows` table. It lets export ship only what changed and
/// lets import tell "changed here", "changed there" and "changed on both sides" apart.
public protocol SyncBook: AnyObject {
    func entry(table: String, rowKey: [UInt8]) throws -> SyncBookEntry?
    /// Only the entry's hash: what an incremental export compares for every row.
    func hash(table: String, rowKey: [UInt8]) throws -> String?
    /// Every entry with this identity (a natural key that several rows held over time:
    /// an order deleted and entered again), up to a few.
    func entries(table: String, identity: [UInt8]) throws -> [SyncBookEntry]
    /// Records an entry; an identical one is left alone.
    func record(table: String, entry: SyncBookEntry) throws
    /// Whether `record` or `remove` changed the book since it was opened.
    var changed: Bool { get }
    func remove(table: String, rowKey: [UInt8]) throws
    /// Keeps the entry as a tombstone: the row is gone, and a stale copy of the version it
    /// had (same hash) arriving later is recognised and not brought back.
    func markDeleted(table: String, rowKey: [UInt8]) throws
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
    func state(_ key: String) throws -> String?
    func setState(_ key: String, _ value: String) throws
}

extension SyncBook {
    /// The first entry with this identity.
    func entry(table: String, identity: [UInt8]) throws -> SyncBookEntry? {
        try entries(table: table, identity: identity).first
    }
}

/// One row as it last crossed: its key here, its identity everywhere, its hash and values.
public struct SyncBookEntry: Sendable, Equatable {
    /// JSON array of the row's primary-key values in this store.
    public var rowKey: [UInt8]
    /// `c:CLOUDID` or `k:[natural key values]`: how the other store recognises the row.
    public var identity: [UInt8]
    /// sha256 of `base`.
    public var hash: String
    /// The row in its portable form (see `PortableRow`).
    public var base: [UInt8]
    /// A tombstone: the row was deleted (here, or by a tombstone applied here) and the
    /// deletion crossed or is about to; `hash` is the version it had.
    public var deleted = false

    public init(rowKey: [UInt8], identity: [UInt8], hash: String, base: [UInt8], deleted: Bool = false) {
        self.rowKey = rowKey
        self.identity = identity
        self.hash = hash
        self.base = base
        self.deleted = deleted
    }
}
