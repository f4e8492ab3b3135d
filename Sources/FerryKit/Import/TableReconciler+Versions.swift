/// How an incoming version relates to what this store has, by their version vectors
/// (README "How it works", the rule table; docs/decisions.md, "Versions").
extension TableReconciler {
    enum VersionVerdict {
        /// A side has no versions (a source or a book from before them): decide by hash and
        /// base, as before.
        case unknown
        /// A version this store has seen, or an older one: nothing to do.
        case stale
        /// Made from this store's version `own` (or a later one): `own`'s row is the merge
        /// base, so what changed here since is kept and what changed there is taken.
        case descends(SyncBookEntry)
        /// Each side changed the row since they last agreed.
        case concurrent(SyncBookEntry)
    }

    /// The book's entry for the live row at `key`, when it is the row this record stands
    /// for. An entry under another cloudId is another row's history (or the same row
    /// before both stores' cloudIds were reconciled): it says nothing about this version.
    func ownEntry(_ record: Record, at key: [Value]) throws -> SyncBookEntry? {
        guard !target.primaryKey.isEmpty, let entry = try context.book.entry(table: target.name, rowKey: PortableRow.rowKey(key)),
              !entry.deleted else { return nil }
        if let mine = PortableRow.cloudId(inIdentity: entry.identity), !record.cloudId.isNull, mine != record.cloudId { return nil }
        return entry
    }

    func verdict(_ record: Record, against own: SyncBookEntry?) -> VersionVerdict {
        guard let incoming = record.versions, !incoming.isEmpty, let own, !own.versions.isEmpty else { return .unknown }
        switch incoming.compare(own.versions) {
        case .before: return .stale
        case .after: return .descends(own)
        case .concurrent: return .concurrent(own)
        case .equal:
            // Same history, other content: two stores settled one conflict differently (each
            // kept its own). A delete wins over a row; between two rows the smaller hash
            // wins. Both sides decide alike, so they agree quietly.
            if record.operation == .delete { return .descends(own) }
            let hash = incomingHash(record)
            return hash == own.hash || own.hash < hash ? .stale : .descends(own)
        }
    }

    /// The versions of the delete of the row an entry remembers, its row gone here: a
    /// tombstone's own, or, for an entry still alive (deleted here since the last export),
    /// one change of this store's more, not yet counted.
    func versionsOfDelete(_ entry: SyncBookEntry) -> VersionVector {
        entry.deleted ? entry.versions : entry.versions.bumped(context.book.storeId)
    }

    /// Whether the book remembers a delete of this record's identity that saw the incoming
    /// version (a tombstone with versions at or after it): the version is stale, and a row
    /// matched by the identity now (one that never crossed) is a newer row under the same
    /// natural key, made here after that delete.
    func isSupersededByDelete(_ record: Record) throws -> Bool {
        guard let incoming = record.versions, !incoming.isEmpty, let identity = bookIdentity(record) else { return false }
        for entry in try context.book.entries(table: target, identity: identity) where !entry.versions.isEmpty {
            guard try !rowExists(entry) else { continue }
            if [.before, .equal].contains(incoming.compare(versionsOfDelete(entry))) { return true }
        }
        return false
    }

    /// Applies an upsert to the row at `key` that it stands for, as its versions say.
    func mergeVersioned(_ record: Record, _ row: [Value], into key: [Value], line: Int) throws -> Outcome {
        let own = try ownEntry(record, at: key)
        if own == nil, try isSupersededByDelete(record) { return try keep(record, row, at: key) }
        switch verdict(record, against: own) {
        case .stale: return try keep(record, row, at: key)
        case .descends(let own): return try write { try merge(record, row, into: key, line: line, own: own, descends: true) }
        case .concurrent(let own): return try write { try merge(record, row, into: key, line: line, own: own, concurrent: true) }
        case .unknown: return try write { try merge(record, row, into: key, line: line, own: own) }
        }
    }

    /// Whether applying `record` to the row it matched at `key` writes nothing: the book
    /// knows the row at a later version (a stale copy), or, in a store that keeps no book,
    /// the row holds every value the record brings. Such a record need not wait for the new
    /// rows held to go in together (`queued`); any other might write into them.
    func matchWritesNothing(_ record: Record, _ row: [Value], at key: [Value]) throws -> Bool {
        if case .stale = verdict(record, against: try ownEntry(record, at: key)) { return true }
        guard !context.book.keepsEntries else { return false }
        let names = updateColumns.map { columns[$0] }
        guard let current = try access.values(names, at: key) else { return false }
        for (position, index) in updateColumns.enumerated() where !row[index].sameStoredValue(current[position]) { return false }
        if let cloudIdColumn = target.cloudId, !record.cloudId.isNull, let position = names.firstIndex(of: cloudIdColumn),
           Self.reconciledCloudId(incoming: record.cloudId, here: current[position]) != current[position] {
            return false
        }
        return true
    }

    /// Whether the book knows this record's row, still here, at the incoming version or a
    /// later one: a stale copy, even when a parent it names is gone (deleted here, its
    /// reference set to NULL by ON DELETE SET NULL).
    func isStaleCopyOfALiveRow(_ record: Record) throws -> Bool {
        guard let incoming = record.versions, !incoming.isEmpty, let identity = bookIdentity(record) else { return false }
        for entry in try context.book.entries(table: target, identity: identity) where !entry.deleted && !entry.versions.isEmpty {
            if [.before, .equal].contains(incoming.compare(entry.versions)), try rowExists(entry) { return true }
        }
        return false
    }

    /// A stale version of a matched row: the row stays, children still find it.
    func keep(_ record: Record, _ row: [Value], at key: [Value]) throws -> Outcome {
        try context.markSeen(target, key)
        try mapKey(row, to: key, inserted: false)
        return .unchanged
    }

    /// For an upsert whose row is not here: what the book's tombstones of its identity say.
    /// nil: no tombstone with versions decides it (insert, or the hash-and-base rules).
    enum AbsentVerdict {
        /// The row was deleted here at or after this version: the delete stands.
        case staleCopy
        /// Made after the delete was seen there (the row was entered again): insert it.
        case madeAfterDelete(VersionVector)
        /// Changed there while it was deleted here.
        case changedWhileDeleted(VersionVector, tombstone: SyncBookEntry)
    }

    /// `newAtSource`: the record never crossed from its source (no base). A version the
    /// tombstone saw is still that row's stale copy; any other is a new row that took the
    /// deleted one's natural key there.
    func absentVerdict(_ record: Record, newAtSource: Bool) throws -> AbsentVerdict? {
        guard let incoming = record.versions, !incoming.isEmpty, let identity = bookIdentity(record) else { return nil }
        var after: VersionVector?
        for entry in try context.book.entries(table: target, identity: identity) where !entry.versions.isEmpty {
            guard try !rowExists(entry) else { continue }
            let deleted = versionsOfDelete(entry)
            switch incoming.compare(deleted) {
            case .before, .equal: return .staleCopy
            case .after: after = (after ?? incoming).joined(deleted)
            case .concurrent:
                if incomingHash(record) == entry.hash { return .staleCopy }
                if newAtSource { after = (after ?? incoming).joined(deleted); continue }
                return .changedWhileDeleted(incoming.joined(deleted), tombstone: entry)
            }
        }
        return after.map { .madeAfterDelete($0) }
    }

    /// A tombstone for a row that is not here: the book remembers the delete, so a copy of
    /// the row arriving later (from a store that had not heard of it) stays out.
    func rememberAbsentDelete(_ record: Record) throws {
        guard !target.primaryKey.isEmpty, let identity = bookIdentity(record) else { return }
        let incoming = record.versions ?? VersionVector()
        var known = false
        for entry in try context.book.entries(table: target, identity: identity) where try !rowExists(entry) {
            known = true
            if entry.deleted {
                if !incoming.isEmpty { try context.book.joinTombstone(table: target.name, rowKey: entry.rowKey, versions: entry.versions.joined(incoming)) }
            } else {
                try context.book.markDeleted(table: target.name, rowKey: entry.rowKey, versions: entry.versions.joined(incoming))
            }
        }
        guard !known, !incoming.isEmpty else { return }
        try context.book.recordTombstone(table: target.name, identity: identity, hash: record.hash ?? "", digests: record.base ?? ColumnDigests(), versions: incoming)
    }
}
