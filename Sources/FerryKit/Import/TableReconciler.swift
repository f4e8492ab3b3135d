import Foundation

/// Applies the records of one table: resolves references, matches each record to a target
/// row, then inserts, updates or leaves it, or rejects it with a reason.
final class TableReconciler {
    enum Outcome {
        case inserted
        case updated
        /// Both sides changed different columns: the union was applied.
        case merged
        case unchanged
        case deleted
        /// Changed on both sides; left as the target had it, recorded in the conflicts file.
        case conflict
        /// A reference points at a row that may still arrive later in this import.
        case deferred
        case rejected(Rejection)
    }

    let incoming: ManifestTable
    let target: TableDefinition
    let context: ImportContext
    let access: TableAccess
    let matcher: IdentityMatcher
    /// Incoming column names, in changeset order, and which of them the target lacks.
    let columns: [String]
    private let missingColumns: [String]
    let position: [String: Int]
    /// Columns written on update: everything but the target's key.
    let updateColumns: [Int]
    private let references: [ResolvedReference]

    /// A foreign key of the target with what resolving it needs, looked up once, not per row.
    private struct ResolvedReference {
        let reference: Reference
        /// Positions of its columns in the incoming row.
        let indexes: [Int]
        /// The parent's target definition (nil when the target has no such table).
        let parent: TableDefinition?
        /// Whether it points at the parent's primary key, so the key map can answer.
        let pointsAtParentKey: Bool
        /// The parent's name, lowercased as `ImportContext`'s sets hold it.
        let parentName: String
        /// Whether every column of it may be NULL in the target, so a cycle can be broken there.
        let nullable: Bool
    }
    /// In the last rounds of an import: insert rows whose parent waits for them (a cycle)
    /// with that reference NULL, to be set by `resolveCycleFixups`.
    var breakingCycles = false
    /// The store's hidden row number of a table without a primary key (SQLite's rowid).
    private let hiddenRowKey: String?
    /// Whether the book had entries for this table when the import began (else no key can
    /// have been another row's before, and the check per insert is skipped).
    private let bookKnewTable: Bool
    private(set) var cycleFixups: [CycleFixup] = []
    private var lastInsertedKey: [Value]?
    /// Whether rows of this table are referenced by the changeset, so their keys are mapped.
    private let mapsKeys: Bool
    private let primaryKeyIndexes: [Int]
    let policy: ConflictPolicy
    let portable: PortableRow
    /// The table was empty and unknown to the sync book when the import began, and a UNIQUE
    /// constraint guards each of its identities (cloudId, natural keys, primary key). An
    /// insert that succeeds then cannot have matched a row, so records are inserted first
    /// and only those that hit a constraint go through matching. See docs/decisions.md.
    private var insertsFirst: Bool

    init(incoming: ManifestTable, target: TableDefinition, context: ImportContext, policy: ConflictPolicy) throws {
        self.incoming = incoming
        self.target = target
        self.context = context
        self.policy = policy
        mapsKeys = context.referenced.contains(target.name.lowercased()) && !target.primaryKey.isEmpty
        access = try context.store.makeTableAccess(target)
        matcher = IdentityMatcher(table: target, access: access)
        portable = PortableRow(table: target)
        columns = incoming.columns.map(\.name)
        missingColumns = columns.filter { target.column(named: $0) == nil }
        let position = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        self.position = position
        let keyColumns = Set(access.keyColumns)
        let columns = self.columns
        updateColumns = columns.indices.filter { !keyColumns.contains(columns[$0]) }
        references = target.references.compactMap { reference in
            let indexes = reference.columns.compactMap { position[$0] }
            guard indexes.count == reference.columns.count else { return nil }
            let parent = context.targets[reference.table.lowercased()]
            return ResolvedReference(reference: reference, indexes: indexes, parent: parent, pointsAtParentKey: parent?.primaryKey == reference.to,
                                     parentName: parent?.name.lowercased() ?? reference.table.lowercased(),
                                     nullable: reference.columns.allSatisfy { target.column(named: $0).map { !$0.notNull && $0.primaryKey == 0 } ?? false })
        }
        primaryKeyIndexes = target.primaryKey.compactMap { position[$0] }
        hiddenRowKey = context.store.hiddenRowKey(of: target)
        bookKnewTable = try context.book.hasEntries(table: target.name)
        // A schema's own ON CONFLICT REPLACE / IGNORE would let a colliding insert succeed.
        let guarded = !target.primaryKey.isEmpty && target.fallbackMatchSets.isEmpty && (target.cloudId == nil || target.cloudIdIsUnique)
            && !target.resolvesConflictsItself
        insertsFirst = try guarded && context.store.isEmpty(target.name) && !context.book.hasEntries(table: target.name)
        if insertsFirst { context.keysKept.insert(target.name.lowercased()) }
    }

    func apply(_ record: Record, line: Int) throws -> Outcome {
        // Versions that credit this store with changes it never made (more than its own
        // change counter) are forged, or come from a copy of this database: believing them
        // would let a stranger's delete or edit pass as newer than an edit made here.
        if let mine = record.versions?.counters[context.book.storeId], context.book.keepsEntries, mine > context.book.sequence {
            throw FerryError(.data, "\(incoming.file) line \(line) (table \(target.name)): the record's versions credit this database (store \(context.book.storeId)) with \(mine) changes, more than it ever made (\(context.book.sequence)). The changeset was not made from this database's history: it is forged or damaged. Nothing was imported; ask for a new export.")
        }
        if record.operation == .delete {
            insertsFirst = false // a later record of the row would be "deleted here", which only matching sees
            return try applyDelete(record, line: line)
        }
        guard missingColumns.isEmpty else {
            return .rejected(Rejection(reason: .schema, message: "column\(missingColumns.count == 1 ? "" : "s") \(missingColumns.map { "\"\($0)\"" }.joined(separator: ", ")) of table \(target.name) not in the target. Add the column to the target, or list it under \"skip\" in the profile and export again."))
        }
        var row = [Value](repeating: .null, count: columns.count)
        var present = [Bool](repeating: false, count: columns.count)
        for (name, value) in record.row {
            guard let index = position[name] else {
                return .rejected(Rejection(reason: .schema, message: "column \"\(name)\" is not among the manifest's columns of table \(target.name)."))
            }
            row[index] = value
            present[index] = true
        }
        if let absent = present.firstIndex(of: false) {
            return .rejected(Rejection(reason: .schema, message: "the row lacks column \"\(columns[absent])\"."))
        }

        // References first: a match set may contain a foreign key, compared by the target's id.
        var broken: [CycleFixup] = []
        for (referenceIndex, resolved) in references.enumerated() {
            let raw = resolved.indexes.map { row[$0] }
            // SQL's MATCH SIMPLE: a foreign key with any NULL column points at nothing.
            if raw.contains(where: \.isNull) { continue }
            let column = resolved.reference.columns[0]
            let identity = record.refs.first(where: { $0.0 == column })?.1
            switch try resolve(resolved, raw: raw, identity: identity) {
            case .success(let values):
                for (index, value) in zip(resolved.indexes, values) { row[index] = value }
            case .failure(let rejection):
                // The child of a row deleted here, in a stale copy: it was deleted with its parent.
                if rejection.reason == .missingParent && !context.pending.contains(resolved.parentName),
                   try isStaleCopy(record) || isSupersededByDelete(record) || isStaleCopyOfALiveRow(record) {
                    return .unchanged
                }
                if rejection.reason == .missingParent && context.pending.contains(resolved.parentName) {
                    // A cycle (a row that is its own manager, a department and its head): the
                    // row goes in with this reference NULL, set once its parent is in.
                    guard breakingCycles && resolved.nullable else { return .deferred }
                    broken.append(CycleFixup(key: [], referenceIndex: referenceIndex, raw: raw, identity: identity, line: line))
                    for index in resolved.indexes { row[index] = .null }
                    continue
                }
                return .rejected(rejection)
            }
        }
        if !broken.isEmpty {
            // Only a new row breaks a cycle: a matched one would be merged with a NULL reference.
            guard case .none = try matcher.match(cloudId: record.cloudId, checkDrift: true, fromReference: false, { column in position[column].map { row[$0] } }) else {
                return .deferred
            }
            let outcome = try insert(row, record: record, line: line)
            if case .inserted = outcome, let key = lastInsertedKey {
                cycleFixups += broken.map { var fixup = $0; fixup.key = key; return fixup }
            }
            return outcome
        }

        if context.hasPins(table: target.name), let source = sourceKey(of: record), let pinned = context.pinnedKey(table: target.name, sourceKey: source) {
            if let rejection = context.claim(table: target.name, key: pinned, sourceKey: source, line: line, pinned: true) { return .rejected(rejection) }
            return try write { try merge(record, row, into: pinned, line: line, pinned: true) }
        }

        if insertsFirst, let outcome = try insertFirst(record, row) { return outcome }

        let match = try matcher.match(cloudId: record.cloudId, checkDrift: true, fromReference: false) { column in
            position[column].map { row[$0] }
        }
        switch match {
        case .ambiguous(let set, _):
            return .rejected(Rejection(reason: .ambiguousMatch, message: try ambiguityMessage(set, row, record)))
        case .drift(let cloudIdRow, let keyRow, let set):
            return .rejected(Rejection(reason: .identityDrift, message: "cloudId \(record.cloudId) is target row \(keyDescription(cloudIdRow)) but (\(set.joined(separator: ", "))) is target row \(keyDescription(keyRow)). Decide which row is this record, then fix its cloudId or key."))
        case .found(let key):
            // A table matched by a guess (a profile's `match` composite): a row an earlier
            // record of this import took is not this record's too (two customers both named
            // Beta in one changeset stay two).
            if !target.fallbackMatchSets.isEmpty {
                let claimed = try context.claimedRows()
                if try claimed.contains(table: target.name, key: key) { return try insert(row, record: record, line: line) }
                try claimed.insert(table: target.name, key: key)
            }
            if record.base != nil, try isStaleCopyOfADeletedRow(record, matched: key) { return .unchanged }
            if context.hasPins(table: target.name),
               let rejection = context.claim(table: target.name, key: key, sourceKey: sourceKey(of: record), line: line, pinned: false) {
                return .rejected(rejection)
            }
            return try mergeVersioned(record, row, into: key, line: line)
        case .none:
            // A table with no key of any kind, or with no primary key where this row has no
            // cloudId (a log a store prepared by an older Ferry gave a cloudId column): an
            // equal row is this row.
            if target.identifiedByWholeRow || (target.primaryKey.isEmpty && record.cloudId.isNull), let key = try equalRow(row) {
                return try write { try merge(record, row, into: key, line: line) }
            }
            if let key = try rowKnownByCloudIdInBook(record) { return try mergeVersioned(record, row, into: key, line: line) }
            return try insert(row, record: record, line: line)
        }
    }

    /// For a table with no key at all: a target row equal to the incoming one in every
    /// column (NULL equals NULL) that no earlier record of this import took, so two equal
    /// log lines in the changeset stay two rows. Not for a table that began empty: there
    /// every row is new, and the lookups would cost a replay dearly.
    private func equalRow(_ row: [Value]) throws -> [Value]? {
        guard !context.emptyAtStart.contains(target.name.lowercased()) else { return nil }
        let present = columns.indices.filter { target.column(named: columns[$0]) != nil }
        let candidates = try access.keys(where: present.map { columns[$0] }, equal: present.map { row[$0] }, limit: 1000, nullsEqual: true)
        let claimed = try context.claimedRows()
        for key in candidates where try !claimed.contains(table: target.name, key: key) {
            try claimed.insert(table: target.name, key: key)
            return key
        }
        return nil
    }

    /// Where a foreign key points in the target: the row this import made of the parent
    /// (key map), else the parent's identity (cloudId, natural keys), else the raw id when
    /// no identity travelled and that row exists (the replay case).
    private func resolve(_ resolved: ResolvedReference, raw: [Value], identity: Record.ReferenceIdentity?) throws -> Result<[Value], Rejection> {
        let result = try resolveParent(resolved, raw: raw, identity: identity)
        // A parent that is in the changeset but was rejected: say so, so the user fixes that one.
        if case .failure(let rejection) = result, rejection.reason == .missingParent,
           let parent = context.rejectedRow(table: resolved.parentName, sourceKey: resolved.pointsAtParentKey ? raw : nil, cloudId: identity?.cloudId) {
            let columns = resolved.reference.columns.joined(separator: ", ")
            return .failure(Rejection(reason: .missingParent, message: "\(columns) points at the row of \(resolved.reference.table) on line \(parent.line) of this changeset, which was itself rejected (\(parent.reason.rawValue)). Fix that record first; the rejects file holds both, parent first."))
        }
        return result
    }

    /// Names the candidate target rows and the pin that settles it.
    private func ambiguityMessage(_ set: [String], _ row: [Value], _ record: Record) throws -> String {
        let values = set.map { position[$0].map { row[$0] } ?? .null }
        let candidates = try access.keys(where: set, equal: values, limit: 5, nullsEqual: true)
        let described = candidates.map { "(\(keyDescription($0)))" }.joined(separator: ", ")
        let pin = Pin(table: target.name, source: sourceKey(of: record)?.map(Pin.text(of:)) ?? ["SOURCE-KEY"],
                      target: candidates.first?.map(Pin.text(of:)) ?? ["TARGET-KEY"])
        return "\(set.joined(separator: ", ")) matches more than one row of \(target.name) in the target: \(described)\(candidates.count == 5 ? ", …" : ""); Ferry never guesses. Say which one it is with --pin '\(pin.text)' (or a pins file), give the rows cloudIds (ferry prepare), or add a more specific \"match\" to the profile."
    }

    /// The source row's own key, for children that point at it.
    func sourceKey(of record: Record) -> [Value]? {
        guard !target.primaryKey.isEmpty else { return nil }
        let values = target.primaryKey.compactMap { column in record.value(of: column) ?? record.keys.first { $0.0 == column }?.1 }
        return values.count == target.primaryKey.count ? values : nil
    }

    private func resolveParent(_ resolved: ResolvedReference, raw: [Value], identity: Record.ReferenceIdentity?) throws -> Result<[Value], Rejection> {
        let reference = resolved.reference
        var columns: String { reference.columns.joined(separator: ", ") }
        if let parent = resolved.parent, resolved.pointsAtParentKey {
            let name = resolved.parentName
            let keysKept = context.keysKept.contains(name)
            if !keysKept || context.remapped.contains(name), let mapped = try context.keyMap.lookup(table: parent.name, source: raw) {
                return .success(mapped)
            }
            // In a table that keeps keys, a row with this key that was not inserted for
            // another source row was inserted for the source row with this very key.
            if keysKept, try !context.access(parent).keys(where: reference.to, equal: raw, limit: 1).isEmpty,
               try !context.reassigned.contains(name) || !context.keyMap.isReassigned(table: parent.name, key: raw) {
                return .success(raw)
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

    /// Inserts a record of a table that `insertsFirst`; nil when the insert hit a constraint
    /// (the statement alone was rolled back), so matching finds the row it collided with or
    /// rejects the record with the reason.
    private func insertFirst(_ record: Record, _ row: [Value]) throws -> Outcome? {
        let key: [Value]
        do {
            key = try access.insert(columns, row)
        } catch let error as FerryError where Self.isRecordError(error) {
            return nil
        }
        return try inserted(record, row, at: key)
    }

    /// A reference set to NULL to break a cycle, and what it must point at once the parent is in.
    struct CycleFixup {
        var key: [Value]
        let referenceIndex: Int
        let raw: [Value]
        let identity: Record.ReferenceIdentity?
        let line: Int
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
                _ = try access.update(at: fixup.key, resolved.reference.columns, values)
            case .failure(let rejection):
                failed.append((fixup, rejection))
            }
        }
        cycleFixups.removeAll()
        return failed
    }

    /// Removes a row that was inserted to break a cycle whose other end never arrived.
    func undoInsert(at key: [Value]) throws {
        try access.delete(at: key)
        try context.book.remove(table: target.name, rowKey: PortableRow.rowKey(key))
    }

    /// Bookkeeping of a row just inserted: prune set, key map, sync book.
    private func inserted(_ record: Record, _ row: [Value], at key: [Value]) throws -> Outcome {
        lastInsertedKey = key
        // The key may be one a row deleted here had (its entry waits for the next export):
        // that entry moves aside as a tombstone, or the new row would take over its identity.
        if bookKnewTable, !target.primaryKey.isEmpty, let identity = bookIdentity(record) {
            try context.book.retire(table: target.name, rowKey: PortableRow.rowKey(key), unless: identity, shipped: false)
        }
        try context.markSeen(target, key)
        try mapKey(row, to: key, inserted: true)
        try remember(record, at: key, rowHoldsCloudId: target.cloudId.map { record.value(of: $0) == record.cloudId } ?? false)
        return .inserted
    }

    /// A failure of this one record's values (constraint, datatype), not of the import.
    private static func isRecordError(_ error: FerryError) -> Bool {
        error.storeFailure?.rejectsRecord == true
    }

    private func insert(_ row: [Value], record: Record, line: Int) throws -> Outcome {
        let key = target.primaryKey
        let keyIndexes = key.compactMap { position[$0] }
        var names = columns
        var values = row
        if !key.isEmpty, keyIndexes.count == key.count {
            let incomingKey = keyIndexes.map { row[$0] }
            if let taken = try access.keys(where: key, equal: incomingKey, limit: 1).first {
                if !target.hasIntegerPrimaryKey, try !contradicts(record, row, holder: taken) {
                    // A text id is globally unique (cuid): the row holding it is this row,
                    // copied before without an identity Ferry could match (no cloudId yet).
                    return try write { try merge(record, row, into: taken, line: line) }
                }
                guard target.hasIntegerPrimaryKey else {
                    let other = try identityDescription(at: taken)
                    return .rejected(Rejection(reason: .pkCollision, message: "primary key \(key.joined(separator: ", ")) = \(incomingKey.map(\.description).joined(separator: ", ")) is taken in the target by another row (\(other)); this record is \(describeRecord(record, row)). Give one of them a new id."))
                }
                // An INTEGER key is the rowid: let the target assign a free one.
                if identityLessReplay(record) { return .unchanged }
                names.remove(at: keyIndexes[0])
                values.remove(at: keyIndexes[0])
            } else if incomingKey.contains(where: \.isNull), identityLessReplay(record) {
                return .unchanged // a key of NULLs matches nothing, as in SQL
            }
        } else if identityLessReplay(record) {
            return .unchanged // no primary key at all
        } else if let rowid = record.rowid, let rowKey = hiddenRowKey, context.emptyAtStart.contains(target.name.lowercased()),
                  try access.values([], at: [.integer(rowid)]) == nil {
            // A replay keeps the hidden row number of a table without a primary key, so the
            // next row the application adds gets the number it would have got.
            names.append(rowKey)
            values.append(.integer(rowid))
        }
        var record = record
        let newAtSource = record.hash != nil && record.base == nil
        switch try absentVerdict(record, newAtSource: newAtSource) {
        case .staleCopy?:
            return .unchanged
        case .madeAfterDelete(let versions)?:
            record.versions = versions
            return try write { try inserted(record, row, at: access.insert(names, values)) }
        case .changedWhileDeleted(let versions, let tombstone)?:
            if let outcome = try resolveDeletedHere(record, line: line, tombstone: tombstone) { return outcome }
            record.versions = versions // inserted again: a version after the delete, so it wins there too
            return try write { try inserted(record, row, at: access.insert(names, values)) }
        case nil:
            break
        }
        // A record that never crossed from its source (a hash, no base) is a new row, even
        // when a deleted one had the same natural key: it is inserted, not a conflict.
        if !newAtSource, try deletedHereEntry(record) != nil {
            // It crossed before and was deleted here since. The very version that was here
            // is a stale copy (a full export written before the other side heard of the
            // delete): the delete stands, quietly. A version changed since is a conflict.
            if try isStaleCopy(record) { return .unchanged }
            if let outcome = try resolveDeletedHere(record, line: line) { return outcome }
        }
        return try write { try inserted(record, row, at: access.insert(names, values)) }
    }

    /// A row with no identity at all (no cloudId, no non-NULL key: a log line, a key of
    /// NULLs) cannot be matched. When this changeset was applied here before, the row was
    /// inserted then, and inserting it again would duplicate it on every replay.
    private func identityLessReplay(_ record: Record) -> Bool {
        context.alreadyApplied && record.cloudId.isNull && record.keys.allSatisfy { $0.1.isNull }
    }

    /// Whether the target row holding the incoming text primary key is another logical row:
    /// a natural key or a `match` composite differs. A different cloudId alone is no
    /// contradiction: two stores that ran `ferry prepare` before they ever exchanged gave
    /// the same row two cloudIds, which the merge reconciles (`reconciledCloudId`).
    private func contradicts(_ record: Record, _ row: [Value], holder key: [Value]) throws -> Bool {
        for set in target.matchSets + target.fallbackMatchSets {
            let indexes = set.compactMap { position[$0] }
            guard indexes.count == set.count, let holder = try access.values(set, at: key) else { continue }
            let incoming = indexes.map { row[$0] }
            if !incoming.contains(where: \.isNull) && !holder.contains(where: \.isNull) && incoming != holder { return true }
        }
        return false
    }

    /// Runs a write; SQLite constraint failures become rejects (the statement alone is rolled back).
    func write(_ body: () throws -> Outcome) throws -> Outcome {
        do {
            return try body()
        } catch let error as FerryError {
            guard let failure = error.storeFailure, failure.rejectsRecord else { throw error }
            return .rejected(Rejection(reason: failure.kind == .datatype ? .schema : .constraint, message: Self.advice(for: error.message, failure)))
        }
    }

    /// What to do about a refused write. A UNIQUE collision usually means the target holds the
    /// same logical row under another id, which a `match` rule fixes; editing the value
    /// would only make a duplicate.
    private static func advice(for text: String, _ failure: StoreFailure) -> String {
        if failure.kind == .unique && failure.columns == nil {
            // An index over expressions: no column list to put in a match line.
            return "\(text): the target already has a row with this value. If it is the same logical row, give the table a cloudId on both sides (`ferry prepare --tables TABLE`) so the rows match, or add a \"match\" line on the columns the index covers to a profile file (--profile FILE). If it is a different row, change the value at the source and export again."
        }
        if failure.kind == .unique, let columns = failure.columns {
            let table = failure.table ?? "TABLE"
            return "\(text): the target already has a row with these values. If it is the same logical row, let Ferry match on them: add \(PrimaryKeyIdentity.profileLine(table: table, match: columns)) to a profile file and import again with --profile FILE. If it is a different row, change the value at the source and export again."
        }
        return "\(text). Fix the value in the record (or relax the target's constraint), then import the rejects file."
    }

    private func keyDescription(_ key: [Value]) -> String {
        zip(access.keyColumns, key).map { "\($0) = \($1)" }.joined(separator: ", ")
    }

    private func identityDescription(at key: [Value]) throws -> String {
        let identity = (target.cloudId.map { [$0] } ?? []) + target.identityColumns
        guard !identity.isEmpty, let values = try access.values(identity, at: key) else { return keyDescription(key) }
        return zip(identity, values).map { "\($0) \($1)" }.joined(separator: ", ")
    }

    private func describeRecord(_ record: Record, _ row: [Value]) -> String {
        var parts: [String] = []
        if let column = target.cloudId { parts.append("\(column) \(record.cloudId)") }
        for column in target.identityColumns where column != target.cloudId {
            if let index = position[column] { parts.append("\(column) \(row[index])") }
        }
        return parts.isEmpty ? "without other identity" : parts.joined(separator: ", ")
    }

    private func describe(_ identity: Record.ReferenceIdentity) -> String {
        var parts = ["\(identity.table)"]
        if !identity.cloudId.isNull { parts.append("cloudId \(identity.cloudId)") }
        parts += identity.keys.map { "\($0.0) \($0.1)" }
        return parts.joined(separator: " ")
    }
}
