/// `ferry compact`: removes tombstones every peer has seen.
///
/// A tombstone keeps a deleted row from coming back when a stale copy of it arrives. It can
/// go once no stale copy can arrive any more: every peer has applied an export of this
/// store that carried it (a full export carries every tombstone; an incremental one those
/// recorded since the export it continues, and its chain the rest), and every changeset a
/// peer wrote before that has been imported here. Naming, for each peer, the last export
/// of this store it applied says so; the tombstones recorded before the oldest of them go.
public enum TombstoneCompactor {
    public struct Result: Sendable, Equatable {
        public var removed: Int
        public var remaining: Int
    }

    /// `appliedEverywhere`: ids of exports of this store, one per peer, each applied by that peer.
    public static func compact(store: Store, appliedEverywhere: [String]) throws -> Result {
        guard !appliedEverywhere.isEmpty else {
            throw FerryError(.usage, "name, with --applied, the last changeset of \(store.displayName) each peer has imported (repeat it per peer): tombstones older than the oldest of them are removed.")
        }
        return try store.withTransaction {
            guard let book = try store.syncBook(create: false) else {
                throw FerryError(.usage, "\(store.displayName) keeps no sync book (run `ferry prepare` first), so it has no tombstones to compact.")
            }
            var oldest: Int64?
            for id in appliedEverywhere {
                guard let mark = try book.exportSequence(of: id) else {
                    throw FerryError(.usage, "\(id) is not a changeset exported from \(store.displayName) (or it was exported before this version of Ferry kept a record of each export). Name exports of this database. Nothing was removed.")
                }
                oldest = min(oldest ?? mark, mark)
            }
            let removed = try book.compactTombstones(before: oldest)
            return Result(removed: removed, remaining: try book.tombstoneCount())
        }
    }
}
