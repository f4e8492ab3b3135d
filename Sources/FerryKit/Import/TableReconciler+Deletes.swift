/// Deletes: a delete record applied here, and a row deleted here that the changeset edits.
extension TableReconciler {
    /// An incoming row that crossed before was deleted here since. nil: insert it again.
    /// `tombstone`: the book's entry for the deleted row, when it keeps versions: a delete
    /// kept by the policy takes in the incoming versions, so the other side, on the next
    /// exchange, sees a delete that saw its edit, and applies it.
    func resolveDeletedHere(_ record: Record, line: Int, tombstone: SyncBookEntry? = nil) throws -> Outcome? {
        let resolution: (Outcome?, String)
        switch policy {
        case .sourceWins: resolution = (nil, "inserted the source's row again")
        case .newerWins: resolution = (nil, "inserted the source's row again (a later edit beats a deletion)")
        case .targetWins: resolution = (.unchanged, "kept the row deleted")
        case .defer: resolution = (.conflict, "deferred: the row stays deleted")
        case .abort:
            throw FerryError(.data, "table \(target.name): a row changed at the source was deleted here, and --on-conflict abort: the whole import was rolled back, nothing was applied.")
        }
        try context.conflicts.write(ConflictsWriter.Entry(
            table: target.name, line: line, kind: "deleted-here", identity: recordIdentity(record) ?? Array("null".utf8), columns: [],
            base: nil, incoming: record.row, target: nil, policy: policy, resolution: resolution.1))
        if case .unchanged? = resolution.0, let tombstone, let incoming = record.versions {
            let versions = versionsOfDelete(tombstone).joined(incoming)
            try context.book.markDeleted(table: target.name, rowKey: tombstone.rowKey, versions: versions)
        }
        return resolution.0
    }

    /// A tombstone: delete the matched row unless it changed here since the base.
    func applyDelete(_ record: Record, line: Int) throws -> Outcome {
        // A key given as a parent's identity must be a foreign key here, or the delete would
        // match nothing and be lost without a word.
        if let (column, _) = record.keyRefs.first(where: { target.reference(for: $0.0)?.columns.first != $0.0 }) {
            return .rejected(Rejection(reason: .schema, message: "keys.\(column) is given as {\"$ref\":…}, the identity of a parent row, but \(column) is not a foreign key of \(target.name) in the target. Export the delete again from a database with the same schema."))
        }
        let keys = try tombstoneKeys(record)
        var match = try matcher.match(cloudId: record.cloudId, checkDrift: false, fromReference: false) { column in
            keys.first { $0.0 == column }?.1
        }
        // A row whose cloudId only the book knows (the application inserted it after `prepare`).
        if case .none = match, let key = try rowKnownByCloudIdInBook(record) { match = .found(key: key) }
        guard case .found(let key) = match else {
            if case .ambiguous(let set, _) = match {
                return .rejected(Rejection(reason: .ambiguousMatch, message: "the deleted row's (\(set.joined(separator: ", "))) matches more than one row of \(target.name); nothing was deleted."))
            }
            // Already gone: remember it as deleted, so a stale copy is not brought back.
            try rememberAbsentDelete(record)
            return .unchanged
        }
        // The tombstone stands for this row: if it stays (a conflict), --prune keeps it too.
        try context.markSeen(target, key)
        let own = try ownEntry(record, at: key)
        if own == nil, try isSupersededByDelete(record) { return .unchanged }
        var base: MergeBase?
        // The delete's versions: never less than the book knew of the row.
        let joined = (own?.versions ?? VersionVector()).joined(record.versions ?? VersionVector())
        let versions: VersionVector? = joined.isEmpty ? nil : joined
        switch verdict(record, against: own) {
        case .stale:
            return .unchanged // the row was made again after this delete, or changed after it there
        case .descends(let own):
            base = MergeBase(digests: own.digests)
        case .concurrent, .unknown:
            base = try recordBase(record, key: key)
        }
        let names = updateColumns.map { columns[$0] }.filter { $0 != target.cloudId }
        let current = try access.values(names, at: key) ?? []
        let nulled = context.nulledColumns(of: target, at: key)
        let digests = base == nil ? [:] : try currentDigests(names: names, current: current, key: key)
        let formerDigests = base == nil ? [:] : try currentDigests(names: names, current: current, key: key, former: true)
        let changed = names.filter { name in
            !nulled.contains(name) && !(base.flatMap { base in digests[name].map(base.digests.contains) } ?? false)
                && !(base.flatMap { base in formerDigests[name].map(base.digests.contains) } ?? false)
        }
        if !changed.isEmpty {
            let resolution: (delete: Bool?, text: String)
            switch policy {
            case .sourceWins: resolution = (true, "deleted the row")
            case .targetWins, .newerWins: resolution = (false, "kept the changed row")
            case .defer: resolution = (nil, "deferred: the row stays")
            case .abort:
                throw FerryError(.data, "table \(target.name): a row deleted at the source was changed here, and --on-conflict abort: the whole import was rolled back, nothing was applied.")
            }
            try context.conflicts.write(ConflictsWriter.Entry(
                table: target.name, line: line, kind: "delete", identity: recordIdentity(record) ?? Array("null".utf8), columns: changed, base: base?.bytes,
                incoming: nil, target: zip(names, current).map { ($0, $1) }, policy: policy, resolution: resolution.text))
            guard let delete = resolution.delete else { return .conflict }
            if !delete {
                if let own, let incoming = record.versions, !incoming.isEmpty {
                    // The changed row stays, having seen the delete: its next export carries a
                    // version after the delete, which brings the row back there.
                    var kept = own
                    kept.versions = own.versions.joined(incoming)
                    try context.book.record(table: target.name, entry: kept)
                } else {
                    // The other side deleted it; forgetting it makes our next export send it as new.
                    try context.book.remove(table: target.name, rowKey: PortableRow.rowKey(key))
                }
                return .unchanged
            }
        }
        if let rejection = try context.deleteRow(of: target, at: key, versions: versions) {
            // Children that still hold the row may be deleted by records of this changeset
            // still to come (parents' files come first): the delete waits for them.
            if (context.referencesInto[target.name.lowercased()] ?? []).contains(where: { context.pending.contains($0.child.name.lowercased()) }) {
                return .deferred
            }
            return .rejected(rejection)
        }
        return .deleted
    }
}
