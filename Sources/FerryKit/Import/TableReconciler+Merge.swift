import Foundation

/// Three-way merge of a matched row (base, incoming, target), tombstones, and the sync book.
extension TableReconciler {
    /// How this record's row is recognised (the sync book's identity, the conflicts file):
    /// its cloudId, else its keys with each foreign key as its parent's identity, so every
    /// store computes the same bytes whatever its ids. nil when the record carries no
    /// identity at all (no cloudId, no key values).
    func recordIdentity(_ record: Record) -> [UInt8]? {
        if !record.cloudId.isNull { return PortableRow.identity(cloudId: record.cloudId, keys: []) }
        guard record.keys.contains(where: { !$0.1.isNull }) || !record.keyRefs.isEmpty else { return nil }
        return PortableRow.identity(cloudId: .null, cells: identityCells(record))
    }

    /// The record's key columns as identity cells, in the table's order of identity columns.
    private func identityCells(_ record: Record) -> [(String, PortableRow.Cell)] {
        let values = Dictionary(record.keys, uniquingKeysWith: { a, _ in a })
        let keyRefs = Dictionary(record.keyRefs, uniquingKeysWith: { a, _ in a })
        let present = record.keys.map(\.0) + record.keyRefs.map(\.0)
        let order = target.identityColumns.filter { present.contains($0) } + present.filter { !target.identityColumns.contains($0) }
        // A delete carries no refs: its base holds the parents' identities.
        let baseCells = record.operation == .delete ? record.legacyBase.flatMap { try? PortableRow.decode($0, table: target) } : nil
        // A key given as `{"$ref":…}` has no value: `parent` supplies its cell.
        return PortableRow.identityCells(of: target, columns: order, value: { values[$0] }, parent: { reference in
            let column = reference.columns[0]
            if let identity = record.refs.first(where: { $0.0 == column })?.1 { return identity }
            if let identity = keyRefs[column] { return identity }
            if case .reference(let identity)? = baseCells?[column] { return identity }
            return nil
        })
    }

    /// The identity the sync book may look this row up by. Without a cloudId, keys holding a
    /// NULL identify nothing (two rows with a NULL email are not the same row, as in SQL), so
    /// such a record has none: looking it up would find another row's entry and call this
    /// row "deleted here".
    func bookIdentity(_ record: Record) -> [UInt8]? {
        if record.cloudId.isNull && record.keys.contains(where: { $0.1.isNull }) { return nil }
        return recordIdentity(record)
    }

    /// A tombstone's key values in target terms. Its `keys` hold the source's raw values, and
    /// a foreign key among them (an order's customerId) is the source's id of the parent;
    /// its `base` (or a key written as `{"$ref":…}`) carries the parent's identity, which is
    /// resolved to the target's id here.
    func tombstoneKeys(_ record: Record) throws -> [(String, Value)] {
        var keys = record.keys
        for (column, identity) in record.keyRefs {
            guard let reference = target.reference(for: column), let resolver = try context.resolver(for: reference.table) else { continue }
            var parent = identity
            parent.table = reference.table
            guard case .resolved(let resolved) = try resolver.resolve(parent, to: reference.to) else { continue }
            keys += zip(reference.columns, resolved).map { ($0, $1) }
        }
        guard let base = record.legacyBase, record.keys.contains(where: { target.reference(for: $0.0) != nil }) else { return keys }
        let cells = try PortableRow.decode(base, table: target)
        return try keys.map { column, value in
            guard let reference = target.reference(for: column), reference.columns.count == 1,
                  case .reference(let identity)? = cells[column], let resolver = try context.resolver(for: reference.table),
                  case .resolved(let resolved) = try resolver.resolve(identity, to: reference.to), resolved.count == 1 else { return (column, value) }
            return (column, resolved[0])
        }
    }

    /// The book's entry for a row that crossed before and is gone here now (deleted here, or
    /// by a tombstone applied here), found by the record's identity; nil otherwise.
    func deletedHereEntry(_ record: Record) throws -> SyncBookEntry? {
        guard let identity = bookIdentity(record), let entry = try context.book.entry(table: target, identity: identity),
              try !rowExists(entry) else { return nil }
        return entry
    }

    /// Whether a record that matched target row `key` by its natural key is really a stale
    /// copy of another row, deleted here, that had the same key: the matched row never
    /// crossed (it was made here after the delete), and the book knows the record's identity
    /// as a row gone here, at exactly the incoming version. Merging it would take the old
    /// row's version for the new row's base.
    func isStaleCopyOfADeletedRow(_ record: Record, matched key: [Value]) throws -> Bool {
        if let own = try context.book.entry(table: target.name, rowKey: PortableRow.rowKey(key)), !own.deleted { return false }
        return try isStaleCopy(record)
    }

    /// Whether the incoming version is exactly that of a row the book knows by this identity
    /// and that is gone here: a copy written before the other side heard of the delete.
    /// Every entry with the identity is asked, since rows deleted and entered again under
    /// one natural key each have one.
    func isStaleCopy(_ record: Record) throws -> Bool {
        guard let identity = bookIdentity(record) else { return false }
        let hash = incomingHash(record)
        for entry in try context.book.entries(table: target, identity: identity) where entry.hash == hash {
            if try !rowExists(entry) { return true }
        }
        return false
    }

    /// A row whose cloudId column is NULL here (the application inserted it after `prepare`)
    /// but which this store's export shipped under a cloudId the book gave it: the record
    /// with that cloudId is this row coming back.
    func rowKnownByCloudIdInBook(_ record: Record) throws -> [Value]? {
        guard target.cloudId != nil, !record.cloudId.isNull, !target.primaryKey.isEmpty else { return nil }
        for entry in try context.book.entries(table: target, identity: PortableRow.identity(cloudId: record.cloudId, keys: [])) where !entry.deleted {
            if let key = try liveKey(of: entry) { return key }
        }
        return nil
    }

    /// The incoming version's hash, as the book compares it.
    func incomingHash(_ record: Record) -> String {
        if let portable = record.portable { return portable.hash }
        if let hash = record.hash { return hash }
        return portable.encode(record: record).hash
    }

    /// Whether the row a book entry remembers still exists here.
    func rowExists(_ entry: SyncBookEntry) throws -> Bool {
        try liveKey(of: entry) != nil
    }

    /// The key of the row a book entry remembers, when that row still exists here. An entry
    /// that knows its row by a natural key of plain columns needs the row at its key to still
    /// have that key: an application that hands a deleted row's id to a new row (a plain
    /// INTEGER PRIMARY KEY, an id written by hand) puts another row there, and a copy of the
    /// deleted one arriving from a store that had not heard of the delete came back.
    private func liveKey(of entry: SyncBookEntry) throws -> [Value]? {
        guard let key = PortableRow.keyValues(ofRowKey: entry.rowKey), key.count == target.primaryKey.count else { return nil }
        guard let columns = plainKeyColumns(ofIdentity: entry.identity) else {
            return try access.values([], at: key) != nil ? key : nil
        }
        guard let held = try access.values(columns, at: key) else { return nil }
        return PortableRow.identity(cloudId: .null, keys: Array(zip(columns, held))) == entry.identity ? key : nil
    }

    /// The columns of an identity that is a natural key of this table's plain columns (no
    /// cloudId, no foreign key, whose identity is its parent's); nil for any other.
    private func plainKeyColumns(ofIdentity identity: [UInt8]) -> [String]? {
        guard identity.starts(with: Array(#"{"keys":"#.utf8)), case .object(let pairs)? = try? JSONParser.parse(identity),
              case .object(let keys)? = pairs.first?.value, !keys.isEmpty else { return nil }
        let columns = keys.map(\.key)
        guard columns.allSatisfy({ target.column(named: $0) != nil && target.reference(for: $0) == nil }) else { return nil }
        return columns
    }

    /// The row a record's `was` names: the natural key its source knew it by before that
    /// key was edited there, or its id was handed to a new row. Where ids differ between
    /// stores nothing else finds it; a key of plain columns only (a foreign key among them
    /// would hold the source's id of its parent).
    func rowFormerlyKnownAs(_ record: Record) throws -> [Value]? {
        guard !record.was.isEmpty, record.wasRefs.isEmpty else { return nil }
        for set in target.matchSets where !set.isEmpty && set.allSatisfy({ target.reference(for: $0) == nil }) {
            let values = set.compactMap { column in record.was.first { $0.0 == column }?.1 }
            guard values.count == set.count, !values.contains(where: \.isNull) else { continue }
            let keys = try access.keys(where: set, equal: values, limit: 2)
            if keys.count == 1 { return keys[0] }
        }
        for key in target.expressionKeys where key.columns.allSatisfy({ target.reference(for: $0) == nil }) {
            let values = key.columns.compactMap { column in record.was.first { $0.0 == column }?.1 }
            guard values.count == key.columns.count, !values.contains(where: \.isNull) else { continue }
            let keys = try access.keys(where: key, equal: values, limit: 2)
            if keys.count == 1 { return keys[0] }
        }
        return nil
    }

    /// With `--prune`: marks every target row this record may stand for (by cloudId, natural
    /// key, unique expression, fallback composite or its own key), so that a row whose replacement was rejected
    /// is never pruned. Sets with a foreign key are skipped: the raw id is the source's.
    func markRowsStoodFor(_ record: Record) throws {
        func value(_ column: String) -> Value? { record.value(of: column) ?? record.keys.first { $0.0 == column }?.1 }
        if let column = target.cloudId, !record.cloudId.isNull {
            for key in try access.keys(where: [column], equal: [record.cloudId], limit: 1) { try context.markSeen(target, key) }
        }
        for set in target.matchSets + target.fallbackMatchSets + [target.primaryKey] where !set.isEmpty {
            guard !set.contains(where: { target.reference(for: $0) != nil }) else { continue }
            let values = set.compactMap(value)
            guard values.count == set.count else { continue }
            for key in try access.keys(where: set, equal: values, limit: 10_000, nullsEqual: true) { try context.markSeen(target, key) }
        }
        for expressionKey in target.expressionKeys where !expressionKey.columns.contains(where: { target.reference(for: $0) != nil }) {
            let values = expressionKey.columns.compactMap(value)
            guard values.count == expressionKey.columns.count else { continue }
            for key in try access.keys(where: expressionKey, equal: values, limit: 1) { try context.markSeen(target, key) }
        }
    }

    /// Computes each record's portable form and hash on the reading thread (RecordPipe), so
    /// the applying thread only writes them: about a tenth of its time.
    /// nil for a table without a primary key, which the book does not track.
    var precomputePortableForm: (@Sendable (inout Record) -> Void)? {
        guard !target.primaryKey.isEmpty, context.book.keepsEntries else { return nil }
        let portable = portable
        return { record in
            guard record.operation == .upsert else { return }
            record.portable = portable.encode(record: record)
        }
    }

    /// Remembers that the target and the source now agree on the incoming version of this row.
    /// `rowHoldsCloudId`: the row at `key` holds `record.cloudId` in its cloudId column (it
    /// was written with it), so the table's own index finds the entry's row.
    /// `isNew`: the book had no entry at this key when the import began (a row inserted into
    /// a table the book did not know), so the store may write it with others.
    func remember(_ record: Record, at key: [Value], rowHoldsCloudId: Bool, isNew: Bool = false) throws {
        guard !target.primaryKey.isEmpty, context.book.keepsEntries else { return }
        let form = record.portable ?? portable.encode(record: record)
        var entry = SyncBookEntry(rowKey: PortableRow.rowKey(key), identity: bookIdentity(record) ?? [], hash: form.hash, digests: form.digests,
                                  versions: record.versions ?? VersionVector())
        entry.inTable = rowHoldsCloudId && target.cloudIdIsUnique && !record.cloudId.isNull
        if isNew { try context.book.recordNew(table: target.name, entry: entry) } else { try context.book.record(table: target.name, entry: entry) }
    }

    /// The base a record is merged against: its column digests, and, from a version 1
    /// changeset, the base row itself for the conflicts file.
    struct MergeBase {
        var digests: ColumnDigests
        var bytes: [UInt8]?
    }

    /// The base of a matched row: the record's, or this store's entry for a record from a
    /// source without a book.
    func recordBase(_ record: Record, key: [Value]) throws -> MergeBase? {
        // This store's own entry is a base only for records from a source without a book
        // (no hash): a source that keeps one sends its base, and none means it has never
        // seen this row cross. This store's entry may be only what its own export sent,
        // which the source never took, and using it would fast-forward over an edit here.
        if record.base == nil, record.hash == nil, !target.primaryKey.isEmpty,
           let entry = try context.book.entry(table: target.name, rowKey: PortableRow.rowKey(key)) {
            return MergeBase(digests: entry.digests)
        }
        guard let digests = record.base else { return nil }
        var bytes: [UInt8]?
        if let json = record.legacyBase {
            var buffer = JSONBuffer()
            buffer.appendJSON(json)
            bytes = buffer.bytes
        }
        return MergeBase(digests: digests, bytes: bytes)
    }

    /// The digest of each column of the target row at `key` as it is now (`names` and
    /// `current`: the values read), by column name; a foreign key as the identity of the
    /// row it points at here, as this store's export would write it.
    /// `former`: the references to parents this import renamed (`was`) digested with the
    /// parent's former key instead; only those (an empty result when there are none).
    func currentDigests(names: [String], current: [Value], key: [Value], former: Bool = false) throws -> [String: UInt32] {
        var values = Dictionary(zip(names, current), uniquingKeysWith: { a, _ in a })
        for (name, value) in zip(target.primaryKey, key) where values[name] == nil { values[name] = value }
        guard former else {
            return try portable.digests(value: { values[$0] ?? .null }, parent: { reference in
                try context.parentIdentity(reference, values: reference.columns.map { values[$0] ?? .null })
            })
        }
        var renamed: [String: UInt32] = [:]
        for reference in target.references {
            guard let identity = try context.formerParentIdentity(reference, values: reference.columns.map { values[$0] ?? .null }) else { continue }
            let digest = ColumnDigests.digest(column: reference.columns[0], parent: identity)
            for name in reference.columns { renamed[name] = digest }
        }
        return renamed
    }

    /// The digest of the incoming value of column `name` (a composite foreign key's under
    /// its first column).
    func incomingDigest(_ form: PortableRow.Form, _ name: String) -> UInt32? {
        let carrier = target.reference(for: name)?.columns[0] ?? name
        guard let index = portable.columns.firstIndex(where: { $0.name == carrier }), index < form.digests.digests.count else { return nil }
        return form.digests.digests[index]
    }

    /// Applies an incoming row to the matched target row at `key`.
    /// `own`: the book's entry for this row; when the incoming version `descends` from it,
    /// its row is the merge base.
    /// `concurrent`: the versions say both sides changed the row since they last agreed.
    /// `pinned`: a person said this is the row (`--pin`): it takes the incoming cloudId,
    /// even while its data is a deferred conflict, so later syncs match it without the pin.
    func merge(_ record: Record, _ row: [Value], into key: [Value], line: Int, own: SyncBookEntry? = nil, descends: Bool = false,
               concurrent: Bool = false, pinned: Bool = false) throws -> Outcome {
        let row = pointingAtItself(row, key: key)
        try context.markSeen(target, key)
        let names = updateColumns.map { columns[$0] }
        guard let current = try access.values(names, at: key) else { return .unchanged }
        var base = try descends && own != nil ? MergeBase(digests: own!.digests) : recordBase(record, key: key)
        // The incoming digests, only where there is a base to compare them with (a
        // reconcile without books encodes no portable form).
        let form = base == nil ? nil : record.portable ?? portable.encode(record: record)
        // A record's base is the version its source last sent. When the record equals it
        // while the versions are concurrent, the source changed the row and sent it before
        // (a changeset this store never got): the base is the source's own edit, no common
        // ancestor, and every column that differs is a conflict for the policy to settle.
        if concurrent, let known = base, let form, known.digests.containsAll(form.digests) {
            base = nil
        }
        var here: [String: UInt32]?
        var take: [Int] = []        // positions in updateColumns: source changed, target did not
        var conflicting: [Int] = [] // both changed, to different values (or no base to tell)
        var targetChanged = false
        let nulled = context.nulledColumns(of: target, at: key)
        for (position, index) in updateColumns.enumerated() where columns[index] != target.cloudId {
            let incoming = row[index]
            // A reference this import set to NULL (its parent deleted, ON DELETE SET NULL) is
            // the delete's doing, no edit here: the incoming value (the source moved or
            // cleared it with the same delete) stands.
            if nulled.contains(columns[index]) {
                if !incoming.sameStoredValue(current[position]) { take.append(position) }
                continue
            }
            if incoming.sameStoredValue(current[position]) { continue }
            if let base {
                if let form, let digest = incomingDigest(form, columns[index]), base.digests.contains(digest) { targetChanged = true; continue }
                if here == nil { here = try currentDigests(names: names, current: current, key: key) }
                if let digest = here?[columns[index]], base.digests.contains(digest) { take.append(position); continue }
            }
            conflicting.append(position)
        }
        var write = take
        var outcome: Outcome = take.isEmpty ? .unchanged : (targetChanged ? .merged : .updated)
        var sourceWon = false
        if !conflicting.isEmpty {
            let (sourceWins, resolution) = try decide(record, row, current: current, names: names)
            try context.conflicts.write(ConflictsWriter.Entry(
                table: target.name, line: line, kind: base == nil ? "first-contact" : "update", identity: recordIdentity(record) ?? Array("null".utf8),
                columns: conflicting.map { names[$0] }, base: base?.bytes,
                incoming: record.row, target: zip(names, current).map { ($0, $1) }, policy: policy, resolution: resolution))
            // A deferred conflict leaves the row's data where it is: children still point at
            // it. Its identity is no conflict: a row without a cloudId takes the incoming one
            // (a pinned first contact stays matched on the next sync).
            guard let sourceWins else {
                if let cloudIdColumn = target.cloudId, !record.cloudId.isNull, let position = names.firstIndex(of: cloudIdColumn),
                   current[position].isNull || (pinned && current[position] != record.cloudId) {
                    try access.update(at: key, [cloudIdColumn], [record.cloudId], previous: [current[position]])
                }
                try mapKey(row, to: key, inserted: false)
                return .conflict
            }
            sourceWon = sourceWins
            if sourceWins {
                write += conflicting
                outcome = targetChanged ? .merged : .updated
            } else {
                outcome = write.isEmpty ? .unchanged : .merged
            }
        }
        let wroteData = !write.isEmpty
        // The incoming cloudId is stamped on a row matched by its keys, so later syncs match
        // exactly; when the row has a cloudId of its own, the smaller of the two wins.
        if let cloudIdColumn = target.cloudId, !record.cloudId.isNull, let position = names.firstIndex(of: cloudIdColumn),
           (pinned ? record.cloudId : Self.reconciledCloudId(incoming: record.cloudId, here: current[position])) != current[position] {
            write.append(position)
            if case .unchanged = outcome { outcome = .updated }
        }
        if !write.isEmpty {
            try access.update(at: key, write.map { names[$0] }, write.map { row[updateColumns[$0]] }, previous: write.map { current[$0] })
        }
        try mapKey(row, to: key, inserted: false)
        var remembered = record
        if let cloudIdColumn = target.cloudId, let position = names.firstIndex(of: cloudIdColumn) {
            // The book knows the row by the cloudId it kept.
            remembered.cloudId = pinned ? record.cloudId : Self.reconciledCloudId(incoming: record.cloudId, here: current[position])
        }
        // The merge writes the cloudId it keeps when the changeset carries the column.
        let stampsCloudId = target.cloudId.map { names.contains($0) } ?? false
        if let incoming = record.versions, !incoming.isEmpty {
            let joined = (own?.versions ?? VersionVector()).joined(incoming)
            // The row now holds exactly the incoming version: the book takes it.
            if !targetChanged && (conflicting.isEmpty || sourceWon) {
                remembered.versions = joined // never less than the book knew
                try remember(remembered, at: key, rowHoldsCloudId: stampsCloudId)
            } else if let own, !wroteData, try isUnchanged(current, names: names, key: key, since: own) {
                // Still this store's own version, which has now seen the incoming one too
                // (a conflict settled by keeping it): the next exchange carries it there.
                var entry = own
                entry.versions = joined
                try context.book.record(table: target.name, entry: entry)
            } else {
                // A mix of both: the book takes the incoming version, and the next export
                // finds the row moved past it, a change made here that includes both.
                remembered.versions = joined
                try remember(remembered, at: key, rowHoldsCloudId: stampsCloudId)
            }
            return outcome
        }
        // The source sent its base unchanged and only this side changed the row since: the
        // book keeps its own entry (what this side last sent), not the older incoming
        // version, or this side's next tombstone would carry a base the other side moved past.
        // (A cloudId stamped on the row is no change of its data.)
        let keptOwnVersion = targetChanged && take.isEmpty && conflicting.isEmpty && record.base != nil
        let ownEntry = keptOwnVersion ? try context.book.entry(table: target.name, rowKey: PortableRow.rowKey(key)) : nil
        if ownEntry == nil || ownEntry?.deleted == true {
            try remember(remembered, at: key, rowHoldsCloudId: stampsCloudId)
        }
        return outcome
    }

    /// Whether `current` (the values of `names`) is still the version the book's entry has.
    private func isUnchanged(_ current: [Value], names: [String], key: [Value], since own: SyncBookEntry) throws -> Bool {
        let digests = try currentDigests(names: names, current: current, key: key)
        return names.allSatisfy { name in name == target.cloudId || digests[name].map(own.digests.contains) ?? true }
    }

    /// The cloudId a matched row keeps. A row with none takes the incoming one. A row that
    /// has another (both stores ran `ferry prepare` before they first exchanged) keeps the
    /// smaller of the two: each side decides the same way whichever changeset arrives
    /// first, so they converge, where "take the incoming one" would swap them when both
    /// export before either imports (docs/decisions.md, "Two cloudIds for one row").
    static func reconciledCloudId(incoming: Value, here: Value) -> Value {
        guard !incoming.isNull else { return here }
        guard case .text(let mine) = here, case .text(let theirs) = incoming else { return here.isNull ? incoming : here }
        return theirs.lexicographicallyPrecedes(mine) ? incoming : here
    }

    /// Applies the policy to a conflict: true = the source's values win, false = the target
    /// keeps its values, nil = deferred (nothing written).
    private func decide(_ record: Record, _ row: [Value], current: [Value], names: [String]) throws -> (Bool?, String) {
        switch policy {
        case .defer: return (nil, "deferred: the target kept its version")
        case .sourceWins: return (true, "took the source's values")
        case .targetWins: return (false, "kept the target's values")
        case .newerWins:
            guard let column = target.updatedAt, let index = position[column], let here = names.firstIndex(of: column) else {
                throw FerryError(.usage, "newer-wins cannot settle a conflict in table \(target.name): it has no updatedAt / updated_at column. Name one in the profile (\"updatedAt\"), or choose another --on-conflict policy. Nothing was applied.")
            }
            let newer = row[index].isNewer(than: current[here])
            return (newer, newer ? "took the source's values (newer \(column))" : "kept the target's values (newer or equal \(column))")
        case .abort:
            throw FerryError(.data, "\(incoming.file): a row of table \(target.name) changed on both sides and --on-conflict is abort: the whole import was rolled back, nothing was applied.")
        }
    }

}

extension Value {
    /// Equal as SQLite stores them: 1 and 1.0 are the same number (column affinity may have
    /// turned one into the other); otherwise exact.
    func sameStoredValue(_ other: Value) -> Bool {
        switch (self, other) {
        case let (.integer(a), .real(b)), let (.real(b), .integer(a)): return Double(a) == b
        default: return self == other
        }
    }

    /// For newer-wins: numbers compare as numbers, text as text (ISO 8601 sorts by time).
    func isNewer(than other: Value) -> Bool {
        switch (self, other) {
        case let (.integer(a), .integer(b)): return a > b
        case let (.real(a), .real(b)): return a > b
        case let (.integer(a), .real(b)): return Double(a) > b
        case let (.real(a), .integer(b)): return a > Double(b)
        case let (.text(a), .text(b)): return a.lexicographicallyPrecedes(b) == false && a != b
        case (.null, _): return false
        case (_, .null): return true
        default: return false
        }
    }
}

extension ImportContext {
    /// Before a deleted row's children are looked up by `columns` of `child`: after
    /// `childLookupsBeforeIndex` such lookups in one import, where the store allows it, a
    /// scratch index on them (when none serves), dropped before commit. A foreign key
    /// nothing indexes (Prisma's are not) was a scan of the child table per deleted
    /// parent, by Ferry and again by SQLite's own check.
    func lookingUpChildren(of child: TableDefinition, by columns: [String]) throws {
        let name = child.name.lowercased() + "\u{0}" + columns.joined(separator: "\u{0}")
        childLookups[name, default: 0] += 1
        guard childLookups[name] == Self.testChildLookupsBeforeIndex ?? Self.childLookupsBeforeIndex, store.addsLookupIndexesWhileImporting else { return }
        if let index = try store.addLookupIndex(on: child.name, columns: columns) { scratchIndexes.append(index) }
    }
    static let childLookupsBeforeIndex = 32

    /// Before a batch of deletes in `table`: the rows pointing at the rows at `keys` by a
    /// foreign key into the primary key, and below those where a cascade goes on, asked a
    /// table at a time where the store can answer lookups from such sets
    /// (`TableAccess.prefetchChildren`). A column is asked once: a table pointing at itself
    /// asks its deeper rows as they come. The answers serve this batch alone
    /// (`forgetPrefetchedChildren`): kept exact through the writes between, but not asked
    /// to outlive them.
    func prefetchChildren(of table: TableDefinition, at keys: [[Value]]) throws {
        var level: [(parent: TableDefinition, keys: [[Value]])] = [(table, keys)]
        var asked: Set<String> = []
        while !level.isEmpty {
            var next: [(parent: TableDefinition, keys: [[Value]])] = []
            for (parent, parentKeys) in level where parent.primaryKey.count == 1 {
                for (child, reference) in referencesInto[parent.name.lowercased()] ?? []
                where reference.columns.count == 1 && reference.to == parent.primaryKey {
                    guard asked.insert(child.name.lowercased() + "\u{0}" + reference.columns[0]).inserted else { continue }
                    let childAccess = try access(child)
                    guard childAccess.prefetches else { continue }
                    childrenPrefetched.append((childAccess, reference.columns[0]))
                    guard let found = try childAccess.prefetchChildren(by: reference.columns[0], of: parentKeys.map { $0[0] }) else { continue }
                    if reference.onDelete?.uppercased() == "CASCADE", !found.isEmpty { next.append((child, found)) }
                }
            }
            level = next
        }
    }

    /// Drops the answers of the last `prefetchChildren`.
    func forgetPrefetchedChildren() throws {
        for (access, column) in childrenPrefetched { _ = try access.prefetchChildren(by: column, of: []) }
        childrenPrefetched.removeAll()
    }

    /// A row, as the delete's bookkeeping names it.
    private func rowMark(_ table: TableDefinition, _ key: [Value]) -> String {
        table.name.lowercased() + "\u{0}" + String(decoding: PortableRow.rowKey(key), as: UTF8.self)
    }

    /// The row at `key` and every row an ON DELETE CASCADE takes with it, at any depth, in
    /// the order found (a row before the rows it takes), with their marks.
    private func cascadeClosure(_ table: TableDefinition, at key: [Value]) throws -> (rows: [(table: TableDefinition, key: [Value])], marks: Set<String>) {
        var going: [(table: TableDefinition, key: [Value])] = [(table, key)]
        var marks: Set<String> = [rowMark(table, key)]
        var index = 0
        while index < going.count {
            let (parent, parentKey) = going[index]
            index += 1
            for (child, reference) in referencesInto[parent.name.lowercased()] ?? [] where reference.onDelete?.uppercased() == "CASCADE" {
                guard let values = try referencedValues(reference.to, of: parent, at: parentKey, access(parent)) else { continue }
                try lookingUpChildren(of: child, by: reference.columns)
                for childKey in try access(child).keys(where: reference.columns, equal: values, limit: 100_000) where marks.insert(rowMark(child, childKey)).inserted {
                    going.append((child, childKey))
                }
            }
        }
        return (going, marks)
    }

    /// Why the delete of `going` (a row and its cascade) must be refused: a row outside it
    /// still points at one of them by a reference that neither cascades nor clears, or by
    /// any reference from a table the profile leaves out (whatever its ON DELETE would do:
    /// the store would cascade into rows the import does not see, or refuse at commit).
    /// nil when it may go.
    private func refusalToDelete(_ going: [(table: TableDefinition, key: [Value])], marks: Set<String>) throws -> Rejection? {
        for (position, (parent, parentKey)) in going.enumerated() {
            let name = parent.name.lowercased()
            let kept = (referencesInto[name] ?? []).filter { !["CASCADE", "SET NULL"].contains($0.reference.onDelete?.uppercased() ?? "") }
            for (child, reference, leftOut) in kept.map({ ($0.child, $0.reference, false) }) + (leftOutReferencesInto[name] ?? []).map({ ($0.child, $0.reference, true) }) {
                guard let values = try referencedValues(reference.to, of: parent, at: parentKey, access(parent)) else { continue }
                if !leftOut { try lookingUpChildren(of: child, by: reference.columns) }
                // A row pointing at itself, or going with the delete, does not keep it alive.
                let holding = try access(child).keys(where: reference.columns, equal: values, limit: 100_000).filter { !marks.contains(rowMark(child, $0)) }
                guard !holding.isEmpty else { continue }
                let through = position == 0 ? "the row" : "its delete cascades to a row of \(parent.name), and that row"
                let rows = "\(counted(holding.count, "row")) of \(child.name) (\(reference.columns.joined(separator: ", ")))"
                return Rejection(reason: .constraint, message: leftOut
                    ? "\(through) is referenced by \(rows), a table the profile leaves out of the import: deleting it would reach rows Ferry does not import. Delete or re-point them yourself, or include \(child.name) in the import, then import again."
                    : "\(through) is still referenced by \(rows); delete or re-point them first, then import again.")
            }
            for reference in try referencesFromOutside(into: parent) {
                guard let values = try referencedValues(reference.to, of: parent, at: parentKey, access(parent)) else { continue }
                let holding = try store.rowsHolding(reference, values: values)
                guard holding > 0 else { continue }
                let through = position == 0 ? "the row" : "its delete cascades to a row of \(parent.name), and that row"
                return Rejection(reason: .constraint, message: "\(through) is referenced by \(counted(holding, "row")) of \(reference.table) (\(reference.columns.joined(separator: ", "))), a table outside the schema the import writes: deleting it would reach rows Ferry does not import. Delete or re-point them yourself, then import again.")
            }
        }
        return nil
    }

    /// The store's foreign keys into `table` from outside its catalog, asked once a table.
    private func referencesFromOutside(into table: TableDefinition) throws -> [OutsideReference] {
        if let known = outsideReferences[table.name.lowercased()] { return known }
        let found = try store.referencesFromOutside(into: table.name)
        outsideReferences[table.name.lowercased()] = found
        return found
    }

    /// The values of the row at `key` a reference into its table points at: the key itself
    /// when it points at the primary key (no read), nil when one is NULL.
    private func referencedValues(_ to: [String], of table: TableDefinition, at key: [Value], _ access: TableAccess) throws -> [Value]? {
        let values = to == table.primaryKey ? key : try access.values(to, at: key)
        guard let values, !values.contains(where: \.isNull) else { return nil }
        return values
    }
    /// Tests compare the ending without the index (`Int.max`).
    nonisolated(unsafe) static var testChildLookupsBeforeIndex: Int?

    /// Deletes a row, honouring foreign keys as the schema declares them: CASCADE deletes
    /// the children too, SET NULL clears their reference, anything else with children left
    /// is a reject that names them.
    /// `versions`: the delete's, kept with the row's tombstone (nil: the row's last
    /// versions, as for a child deleted by ON DELETE CASCADE).
    func deleteRow(of table: TableDefinition, at key: [Value], versions: VersionVector? = nil) throws -> Rejection? {
        // The rows the delete takes with it (ON DELETE CASCADE, at any depth) are found, and
        // any row outside them still pointing at one refuses the delete, before anything is
        // deleted: a refused delete leaves every row as it was, the rows of its cascade too.
        // A cascade that comes back to a row already going (a row that is its own manager,
        // two rows pointing at each other) stops there.
        let (going, marks) = try cascadeClosure(table, at: key)
        if let refusal = try refusalToDelete(going, marks: marks) { return refusal }
        // Rows that stay and point at one going by a reference that clears: NULL, each row
        // counted once however many of its references cleared.
        var cleared: [String: Set<String>] = [:]
        for (parent, parentKey) in going {
            for (child, reference) in referencesInto[parent.name.lowercased()] ?? [] where reference.onDelete?.uppercased() == "SET NULL" {
                guard let values = try referencedValues(reference.to, of: parent, at: parentKey, access(parent)) else { continue }
                try lookingUpChildren(of: child, by: reference.columns)
                let childAccess = try access(child)
                for childKey in try childAccess.keys(where: reference.columns, equal: values, limit: 100_000) where !marks.contains(rowMark(child, childKey)) {
                    try childAccess.update(at: childKey, reference.columns, reference.columns.map { _ in .null })
                    nulledBySetNull[rowMark(child, childKey), default: []].formUnion(reference.columns)
                    cleared[child.name, default: []].insert(rowMark(child, childKey))
                }
            }
        }
        // Each row after the rows it took with it, so no key checked at once (PostgreSQL's
        // RESTRICT) meets a row about to go; each kept as a tombstone, so a stale copy
        // arriving later is not brought back.
        for (position, (row, rowKey)) in going.enumerated().reversed() {
            try access(row).delete(at: rowKey)
            if !row.primaryKey.isEmpty {
                try book.markDeleted(table: row.name, rowKey: PortableRow.rowKey(rowKey), versions: position == 0 ? versions : nil)
            }
            if position > 0 { noteCascade(row.name, deleted: 1) }
        }
        for (name, rows) in cleared { noteCascade(name, cleared: rows.count) }
        return nil
    }
}
