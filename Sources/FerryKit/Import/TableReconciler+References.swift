/// Reference resolution: a record's foreign keys, carried as the identity of the rows
/// they point at, become this store's keys (or the record is rejected, or deferred to the
/// cycle pass).
extension TableReconciler {
    /// Where a foreign key points in the target: the row this import made of the parent
    /// (key map), else the parent's identity (cloudId, natural keys), else the raw id when
    /// no identity travelled and that row exists (the replay case).
    func resolve(_ resolved: ResolvedReference, raw: [Value], identity: Record.ReferenceIdentity?) throws -> Result<[Value], Rejection> {
        let result = try resolveParent(resolved, raw: raw, identity: identity)
        // A parent that is in the changeset but was rejected: say so, so the user fixes that one.
        if case .failure(let rejection) = result, rejection.reason == .missingParent,
           let parent = context.rejectedRow(table: resolved.parentName, sourceKey: resolved.pointsAtParentKey ? raw : nil, cloudId: identity?.cloudId) {
            let columns = resolved.reference.columns.joined(separator: ", ")
            return .failure(Rejection(reason: .missingParent, message: "\(columns) points at the row of \(resolved.reference.table) on line \(parent.line) of this changeset, which was itself rejected (\(parent.reason.rawValue)). Fix that record first; the rejects file holds both, parent first."))
        }
        if case .failure(let rejection) = result, rejection.reason == .missingParent, context.waitingInLastRound.contains(resolved.parentName) {
            let columns = resolved.reference.columns.joined(separator: ", ")
            return .failure(Rejection(reason: .missingParent, message: "\(columns) points at a row of \(resolved.reference.table) that is not in the target, and the rows of \(resolved.reference.table) still waiting in this changeset wait themselves for a parent. Either that row is not in the changeset, or it is in a cycle of foreign keys whose rows could not go in first: each would have to hold, for a moment, the key of a row not there yet, which the target refuses where it checks the key at once (declare it DEFERRABLE, or let it be NULL) or where that key meets another row through a UNIQUE column. Fix that, then import the rejects file."))
        }
        return result
    }

    /// The source row's own key, for children that point at it.
    func sourceKey(of record: Record) -> [Value]? {
        guard !target.primaryKey.isEmpty else { return nil }
        let values = target.primaryKey.compactMap { column in record.value(of: column) ?? record.keys.first { $0.0 == column }?.1 }
        return values.count == target.primaryKey.count ? values : nil
    }

    func resolveParent(_ resolved: ResolvedReference, raw: [Value], identity: Record.ReferenceIdentity?) throws -> Result<[Value], Rejection> {
        let reference = resolved.reference
        var columns: String { reference.columns.joined(separator: ", ") }
        if let parent = resolved.parent, resolved.pointsAtParentKey {
            let name = resolved.parentName
            // A parent table that is complete, in the first pass: what its key resolves to
            // cannot change before this table ends (its rows only grow; this table's own
            // deletes clear the cache, a cascade could reach a parent in a cycle).
            let cacheable = cachesParents && !breakingCycles && !resolved.pointsAtItself && !context.pending.contains(name)
            let cached = cacheable ? ParentKeyCache.Key(raw) : nil
            if let cached, let known = resolved.parentKeys[cached] { return .success(known) }
            if let found = try parentByKey(parent, resolved, raw: raw) {
                if let cached { resolved.parentKeys[cached] = found }
                return .success(found)
            }
        }
        if let identity {
            guard let resolver = try context.resolver(for: reference.table) else {
                return .failure(Rejection(reason: .missingParent, message: "\(columns) points at table \(reference.table), which the target lacks."))
            }
            switch try resolver.resolve(identity, to: reference.to) {
            case .resolved(let values):
                return .success(values)
            case .ambiguous(let detail):
                return .failure(Rejection(reason: .ambiguousMatch, message: "reference \(columns): \(detail). Say which row the parent is with --pin '\(Pin(table: reference.table, source: raw.map(Pin.text(of:)), target: ["TARGET-KEY"]).text)' (its own reject lists the candidates), or give the parent rows cloudIds (ferry prepare)."))
            case .unresolved where identity.cloudId.isNull && !identity.keys.isEmpty && identity.keys.allSatisfy({ $0.1.isNull })
                    && (resolved.parent?.hasCompleteNaturalKey ?? false):
                // A parent's key of NOT NULL columns is NULL only when the export found no
                // row at that key: the source's own reference dangles.
                return .failure(Rejection(reason: .missingParent, message: "\(columns) = \(raw.map(\.description).joined(separator: ", ")) points at a row of \(reference.table) that the source did not hold either (its export found no row with that key, so the reference carries no identity). Fix the reference at the source, or add the row it means there, then export again."))
            case .unresolved:
                return .failure(Rejection(reason: .missingParent, message: "\(columns) points at \(describe(identity)), which is neither in the target nor in the changeset. Export the parent too, or fix the reference."))
            }
        }
        if let parent = resolved.parent, !context.pending.contains(resolved.parentName),
           try !context.access(parent).keys(where: reference.to, equal: raw, limit: 1).isEmpty {
            return .success(raw)
        }
        return .failure(Rejection(reason: .missingParent, message: "\(columns) = \(raw.map(\.description).joined(separator: ", ")) points at a row of \(reference.table) that is neither in the target nor in the changeset."))
    }

    /// The target row the parent's source key became in this import: the key map's entry,
    /// or in a table that keeps keys, a row with this key that was not inserted for another
    /// source row (it was inserted for the source row with this very key).
    private func parentByKey(_ parent: TableDefinition, _ resolved: ResolvedReference, raw: [Value]) throws -> [Value]? {
        let name = resolved.parentName
        let keysKept = context.keysKept.contains(name)
        if !keysKept || context.remapped.contains(name), let mapped = try context.keyMap.lookup(table: parent.name, source: raw) {
            return mapped
        }
        if keysKept, try !context.access(parent).keys(where: resolved.reference.to, equal: raw, limit: 1).isEmpty,
           try !context.reassigned.contains(name) || !context.keyMap.isReassigned(table: parent.name, key: raw) {
            return raw
        }
        return nil
    }

    /// Remembers which target row this source row became, for children that point at it.
    func mapKey(_ row: [Value], to key: [Value], inserted: Bool) throws {
        guard mapsKeys, primaryKeyIndexes.count == target.primaryKey.count else { return }
        let source = primaryKeyIndexes.map { row[$0] }
        let table = target.name.lowercased()
        if context.keysKept.contains(table) {
            if source == key { return } // resolve() finds it by the key itself
            context.remapped.insert(table)
            if inserted { context.reassigned.insert(table) }
        }
        try context.keyMap.record(table: target.name, source: source, target: key, inserted: inserted)
    }

    /// Sets the references that were NULL to break cycles (`breakingCycles`) now that every
    /// row is in. Returns the fixups whose parent still cannot be found: their rows were
    /// inserted with a NULL reference, and are deleted again by the caller as rejects.
    func resolveCycleFixups() throws -> [(CycleFixup, Rejection)] {
        var failed: [(CycleFixup, Rejection)] = []
        for fixup in cycleFixups {
            let resolved = references[fixup.referenceIndex]
            switch try resolve(resolved, raw: fixup.raw, identity: fixup.identity) {
            case .success(let values):
                try access.update(at: fixup.key, resolved.reference.columns, values)
            case .failure(let rejection):
                failed.append((fixup, rejection))
            }
        }
        cycleFixups.removeAll()
        return failed
    }

    func describe(_ identity: Record.ReferenceIdentity) -> String {
        var parts = ["\(identity.table)"]
        if !identity.cloudId.isNull { parts.append("cloudId \(identity.cloudId)") }
        parts += identity.keys.map { "\($0.0) \($0.1)" }
        return parts.joined(separator: " ")
    }
}

/// Parents' source keys → the target keys they resolved to (`TableReconciler.resolveParent`).
/// Each key carries its hash, so a probe compares one integer before it compares the
/// values (Swift's dictionary stores no hashes: a probe compared whole arrays of values,
/// a sixth of the applying thread of a replay with a foreign key). Cleared when full: a few
/// thousand parents named again and again are what it is for; a million named at random
/// would not be helped by any size (50,000 entries a parent took the bench's reconcile from
/// 58 to 80 MB).
struct ParentKeyCache {
    struct Key: Hashable {
        let hash: Int
        let values: [Value]

        init(_ values: [Value]) {
            self.values = values
            hash = values.hashValue
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.hash == rhs.hash && lhs.values == rhs.values }
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    /// Keys held at most, by a table's foreign keys together (memory stays flat however
    /// many a table has); at least 4,096 each.
    static let budget = 16_384
    private let limit: Int
    private var entries: [Key: [Value]] = [:]

    init(references: Int = 1) {
        limit = max(4_096, Self.budget / max(1, references))
    }

    subscript(key: Key) -> [Value]? {
        get { entries[key] }
        set {
            if newValue != nil, entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[key] = newValue
        }
    }
}
