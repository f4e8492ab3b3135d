import Foundation

/// Applies the records of one table: resolves references, matches each record to a target
/// row, then inserts, updates or leaves it, or rejects it with a reason.
///
/// One concern a file: matching here (`apply`); foreign keys in `+References`; inserts and
/// refused writes in `+Writing`; three-way merge and the sync book in `+Merge`; version
/// vectors in `+Versions`; delete records in `+Deletes`.
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
        /// Held to be inserted with the rest of its batch (`flushQueued`), which gives its
        /// outcome.
        case queued
        /// Nothing done: records are held, and this one would be written before them
        /// (a NULL in its key keeps it from waiting with them). Flush them, then apply it
        /// again, so the rows meet each other in file order.
        case flushFirst

        /// A reject: the rejects file lists them in file order, so the records waiting, which
        /// may be refused, go first. A record deferred is put aside without them: one waiting
        /// has its parents found already and is never deferred when applied again, so the
        /// records put aside stay in file order (in a table that points at itself, a child
        /// whose parent comes later would otherwise cut every set short).
        var isWrittenInFileOrder: Bool {
            if case .rejected = self { return true }
            return false
        }
    }

    let incoming: ManifestTable
    /// The changeset's declared type of each column (`TableAccess.adapted`).
    let sourceTypes: [String]
    /// The changeset's unit of each column of integer moments (`ColumnDefinition.epochUnit`).
    let sourceUnits: [Int64?]
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
    let references: [ResolvedReference]

    /// A foreign key of the target with what resolving it needs, looked up once, not per row.
    /// A class: the applying thread passes one per foreign key per record, and a copy of
    /// a struct of arrays is a retain each.
    final class ResolvedReference {
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
        /// Whether the target checks it only at commit, so a cycle of NOT NULL references
        /// can be broken there: the row goes in pointing at its source key until the
        /// parent is in, then at the parent.
        let checkedAtCommit: Bool
        var breaksCycles: Bool { nullable || checkedAtCommit }
        /// Parents' source keys → target keys, found by key in the first pass
        /// (`resolveParent`): a child table of many rows names the same parents again and
        /// again, and each lookup was an index probe or two (a fifth of a replay's applying
        /// thread on a narrow schema).
        var parentKeys = ParentKeyCache()
        /// Whether the parent is this very table (then nothing is cached: its rows change
        /// as this table's records are applied).
        let pointsAtItself: Bool

        init(reference: Reference, indexes: [Int], parent: TableDefinition?, pointsAtParentKey: Bool, parentName: String, pointsAtItself: Bool,
             nullable: Bool, checkedAtCommit: Bool) {
            self.reference = reference
            self.indexes = indexes
            self.parent = parent
            self.pointsAtParentKey = pointsAtParentKey
            self.parentName = parentName
            self.nullable = nullable
            self.checkedAtCommit = checkedAtCommit
            self.pointsAtItself = pointsAtItself
        }
    }
    /// In the last rounds of an import: insert rows whose parent waits for them (a cycle)
    /// with that reference NULL, or holding the source's key where the target checks it
    /// only at commit, to be set by `resolveCycleFixups`.
    var breakingCycles = false
    /// Forgets the parents' keys found so far (`ResolvedReference.parentKeys`): this table's
    /// deletes, and the rounds after the first pass, may take rows out.
    func forgetParentKeys() {
        for reference in references { reference.parentKeys = ParentKeyCache(references: references.count) }
    }
    /// Off once the first pass ends: later rounds break cycles and take rows out again.
    var cachesParents = true
    /// The lookups of the batch after the current one (`prefetch`), and its size.
    private var nextLookups: (count: Int, lookups: [(column: String, values: [Value])])?
    /// Rows inserted since the last batch's lookups were worked out. A batch after one that
    /// inserted asks with its other lookups whether its primary keys are free (an insert asks
    /// it), not a round trip a new row; a batch after one that inserted nothing does not
    /// (every key would be an index probe more for rows that all match).
    var insertsSinceLookups = 1
    /// New rows wait here to go in together, a batch at a time (`flushQueued`): one
    /// statement for the lot instead of one per row, on a store that pays a round trip per
    /// statement. In a table filled by inserts first, every record; in a table that was not
    /// empty, the records that matched no row and go in under the key they bring. A row of
    /// a table that points at itself and names a row still waiting has them go in first
    /// (`mayNameQueuedRow`); such a table waits only where the store holds new rows for
    /// sets (`TableAccess.holdsNewRowsForSets`). Off for a table with pins or `match`
    /// composites (no constraint would catch a row that meets a waiting one), and in the
    /// round that breaks cycles (`breakingCycles`).
    var queuesInserts: Bool
    var queued: [Record] = []
    /// The rows of `queued`, resolved (two arrays: a set's rows are handed on without its records).
    var queuedRows: [[Value]] = []
    /// In a table that was not empty: every identity of the records in `queued` (cloudId,
    /// the book's identity, primary key, natural keys, each tagged with which it is). A
    /// record that shares one waits until they are in (`Outcome.flushFirst`), so it meets
    /// their rows as it would one by one; one that differs only as a collation or an
    /// expression sees them as equal is caught by the unique constraint, and the set is
    /// applied again record by record.
    var queuedIdentities: Set<[Value]> = []
    /// The positions in the incoming row of the primary key (tag 0) and of each natural key
    /// and unique expression's columns (tags 1…), complete ones only.
    let identityPositions: [(tag: Int64, indexes: [Int])]
    /// The columns of the primary key, each natural key and unique expression: a tag of
    /// `identityPositions` is the index of its columns here.
    let identitySets: [[String]]
    /// The identities of `identityPositions` that a foreign key of this table into itself
    /// points at (a manager's id, a parent category's code); empty when none does.
    let selfReferencedPositions: [(tag: Int64, indexes: [Int])]
    /// The store's hidden row number of a table without a primary key (SQLite's rowid).
    let hiddenRowKey: String?
    /// Whether the book had entries for this table when the import began (else no key can
    /// have been another row's before, and the check per insert is skipped).
    let bookKnewTable: Bool
    var cycleFixups: [CycleFixup] = []
    var lastInsertedKey: [Value]?
    /// The record being applied points at itself through these references into the
    /// primary key (positions in its row): they take the key its row ends under.
    var pointsAtOwnKey: [[Int]] = []
    /// Whether rows of this table are referenced by the changeset, so their keys are mapped.
    let mapsKeys: Bool
    let primaryKeyIndexes: [Int]
    let policy: ConflictPolicy
    let portable: PortableRow
    /// The table was empty and unknown to the sync book when the import began, and a UNIQUE
    /// constraint guards each of its identities (cloudId, natural keys, primary key). An
    /// insert that succeeds then cannot have matched a row, so records are inserted first
    /// and only those that hit a constraint go through matching. See docs/decisions.md.
    private(set) var insertsFirst: Bool

    init(incoming: ManifestTable, target: TableDefinition, context: ImportContext, policy: ConflictPolicy) throws {
        self.incoming = incoming
        self.target = target
        self.context = context
        self.policy = policy
        mapsKeys = context.referenced.contains(target.name.lowercased()) && !target.primaryKey.isEmpty
        access = try context.makeAccess(target)
        matcher = IdentityMatcher(table: target, access: access)
        portable = PortableRow(table: target)
        columns = incoming.columns.map(\.name)
        sourceTypes = incoming.columns.map(\.type)
        sourceUnits = incoming.columns.map(\.epochUnit)
        missingColumns = columns.filter { target.column(named: $0) == nil }
        let position = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        self.position = position
        let keyColumns = Set(access.keyColumns)
        let columns = self.columns
        updateColumns = columns.indices.filter { !keyColumns.contains(columns[$0]) }
        references = try target.references.compactMap { reference in
            let indexes = reference.columns.compactMap { position[$0] }
            guard indexes.count == reference.columns.count else { return nil }
            let parent = context.targets[reference.table.lowercased()]
            return ResolvedReference(reference: reference, indexes: indexes, parent: parent, pointsAtParentKey: parent?.primaryKey == reference.to,
                                     parentName: parent?.name.lowercased() ?? reference.table.lowercased(),
                                     pointsAtItself: reference.table.lowercased() == target.name.lowercased(),
                                     nullable: target.allowsNull(reference.columns),
                                     checkedAtCommit: try context.store.checksReferenceAtCommit(reference, of: target.name))
        }
        primaryKeyIndexes = target.primaryKey.compactMap { position[$0] }
        hiddenRowKey = context.store.hiddenRowKey(of: target)
        bookKnewTable = try context.book.hasEntries(table: target.name)
        // A schema's own ON CONFLICT REPLACE / IGNORE would let a colliding insert succeed, and so
        // would a unique check deferred to commit.
        let guarded = !target.primaryKey.isEmpty && target.fallbackMatchSets.isEmpty && (target.cloudId == nil || target.cloudIdIsUnique)
            && !target.resolvesConflictsItself && !access.defersUniqueChecks
        insertsFirst = try guarded && context.store.isEmpty(target.name) && !context.book.hasEntries(table: target.name)
        // Whether the store takes sets is asked once its triggers that stamp rows are set aside.
        // A table that points at itself waits only where a statement costs a round trip: on
        // SQLite, checking each reference against the rows waiting cost more than the sets
        // saved (see docs/decisions.md).
        let pointsAtItself = target.references.contains { $0.table.lowercased() == target.name.lowercased() }
        queuesInserts = guarded && !context.hasPins(table: target.name) && (!pointsAtItself || access.holdsNewRowsForSets)
        let identitySets = [target.primaryKey] + target.matchSets + target.expressionKeys.map(\.columns)
        self.identitySets = identitySets
        identityPositions = identitySets.enumerated().compactMap { tag, set in
            let indexes = set.compactMap { position[$0] }
            return indexes.count == set.count && !set.isEmpty ? (Int64(tag), indexes) : nil
        }
        let selfReferenced = target.references.filter { $0.table.lowercased() == target.name.lowercased() }.map(\.to)
        selfReferencedPositions = identityPositions.filter { selfReferenced.contains(identitySets[Int($0.tag)]) }
        if insertsFirst { context.keysKept.insert(target.name.lowercased()) }
        forgetParentKeys() // sized by how many foreign keys share the budget
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
            forgetParentKeys()
            return try applyDelete(record, line: line)
        }
        guard missingColumns.isEmpty else {
            return .rejected(Rejection(reason: .schema, message: "column\(missingColumns.count == 1 ? "" : "s") \(missingColumns.map { "\"\($0)\"" }.joined(separator: ", ")) of table \(target.name) not in the target. Add the column to the target, or list it under \"skip\" in the profile and export again."))
        }
        var row: [Value]
        // A record names the columns in the manifest's order (Ferry writes them so): taken as
        // they are, without a lookup a cell.
        if let values = record.values {
            row = values
        } else if record.row.count == columns.count, record.row.indices.allSatisfy({ record.row[$0].0 == columns[$0] }) {
            row = record.row.map(\.1)
        } else {
            row = [Value](repeating: .null, count: columns.count)
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
        }
        let adapted = try access.adapted(row, columns: columns, sourceTypes: sourceTypes, sourceUnits: sourceUnits)
        if adapted != row {
            // The record as this store writes it: its book entry then holds the version the
            // row has here, and the next export finds the row unchanged (booked under the
            // incoming form, an adapted row shipped again every round).
            var record = record
            record.row = record.row.map { name, value in (name, position[name].map { adapted[$0] } ?? value) }
            // Its hash too: the verdicts compare the incoming version's hash with the book's
            // (`incomingHash`), which would otherwise be the source's, of the row as sent.
            record.portable = !target.primaryKey.isEmpty && context.book.keepsEntries ? portable.encode(record: record) : nil
            return try apply(record, adapted, line: line)
        }
        // The record as read is the record written; the row is handed on as the only
        // reference to its buffer, so setting its references does not copy it.
        _ = consume adapted
        return try apply(record, consume row, line: line)
    }

    /// The row's values of `columns`, when it has every one.
    private func ownValues(_ columns: [String], in row: [Value]) -> [Value]? {
        var values: [Value] = []
        for column in columns {
            guard let index = position[column] else { return nil }
            values.append(row[index])
        }
        return values
    }

    /// `row` pointing at `key` wherever the record points at its own key.
    func pointingAtItself(_ row: [Value], key: [Value]) -> [Value] {
        guard !pointsAtOwnKey.isEmpty else { return row }
        var row = row
        for indexes in pointsAtOwnKey {
            for (index, value) in zip(indexes, key) { row[index] = value }
        }
        return row
    }

    /// A record whose row is in the manifest's column order, as this store writes it.
    private func apply(_ record: Record, _ row: consuming [Value], line: Int) throws -> Outcome {
        // References first: a match set may contain a foreign key, compared by the target's id.
        var broken: [CycleFixup] = []
        pointsAtOwnKey = []
        for (referenceIndex, resolved) in references.enumerated() {
            let raw = resolved.indexes.map { row[$0] }
            // SQL's MATCH SIMPLE: a foreign key with any NULL column points at nothing.
            if raw.contains(where: \.isNull) { continue }
            // A row that points at itself (a root that is its own parent) points at itself
            // here too: at its own values, or at the key its row ends under. Not a cycle to
            // break: a store that checks the key at once takes the row whole.
            if resolved.pointsAtItself, let own = ownValues(resolved.reference.to, in: row), own == raw {
                if resolved.reference.to == target.primaryKey { pointsAtOwnKey.append(resolved.indexes) }
                continue
            }
            let column = resolved.reference.columns[0]
            let identity = record.refs.first(where: { $0.0 == column })?.1
            // A parent still waiting to go in is not there to be found: it goes in first.
            if resolved.pointsAtItself, !queued.isEmpty, mayNameQueuedRow(resolved, raw: raw, identity: identity) { return .flushFirst }
            switch try resolve(resolved, raw: raw, identity: identity) {
            case .success(let values):
                // Written only where the target's id differs: the row may still share its
                // buffer with the record, and a replay keeps its ids.
                for (index, value) in zip(resolved.indexes, values) where row[index] != value { row[index] = value }
            case .failure(let rejection):
                // The child of a row deleted here, in a stale copy: it was deleted with its parent.
                if rejection.reason == .missingParent && !context.pending.contains(resolved.parentName),
                   try isStaleCopy(record) || isSupersededByDelete(record) || isStaleCopyOfALiveRow(record) {
                    return .unchanged
                }
                if rejection.reason == .missingParent && context.pending.contains(resolved.parentName) {
                    // A cycle (a row that is its own manager, a department and its head): the
                    // row goes in with this reference NULL, set once its parent is in. A NOT
                    // NULL one the target checks at commit holds the source's key meanwhile.
                    guard breakingCycles && resolved.breaksCycles else { return .deferred }
                    broken.append(CycleFixup(key: [], referenceIndex: referenceIndex, raw: raw, identity: identity, line: line))
                    if resolved.nullable {
                        for index in resolved.indexes { row[index] = .null }
                    }
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
            // A placeholder key can collide with a UNIQUE column (pagila's one manager per
            // store): the row waits for a later round, where its parent may be in.
            if case .rejected = outcome, broken.contains(where: { !references[$0.referenceIndex].nullable }) { return .deferred }
            return outcome
        }

        if context.hasPins(table: target.name), let source = sourceKey(of: record), let pinned = context.pinnedKey(table: target.name, sourceKey: source) {
            if let rejection = context.claim(table: target.name, key: pinned, sourceKey: source, line: line, pinned: true) { return .rejected(rejection) }
            return try write { try merge(record, row, into: pinned, line: line, pinned: true) }
        }

        if insertsFirst {
            if queuesInserts, !breakingCycles, primaryKeyIndexes.count == target.primaryKey.count, !primaryKeyIndexes.contains(where: { row[$0].isNull }) {
                if queued.isEmpty {
                    queued.reserveCapacity(RecordPipe.batchSize)
                    queuedRows.reserveCapacity(RecordPipe.batchSize)
                }
                // Only a row of this table may name one waiting (`mayNameQueuedRow`).
                if !selfReferencedPositions.isEmpty { queuedIdentities.formUnion(namedIdentities(of: record, row)) }
                queued.append(record)
                queuedRows.append(row)
                return .queued
            }
            if !queued.isEmpty { return .flushFirst }
            if let outcome = try insertFirst(record, row) { return outcome }
        }

        // A record that renames a key (`was`) may name a row still waiting by its old key.
        if !queued.isEmpty, !insertsFirst, !record.was.isEmpty || identities(of: record, row).contains(where: queuedIdentities.contains) {
            return .flushFirst
        }
        let match = try matcher.match(cloudId: record.cloudId, checkDrift: true, fromReference: false) { column in
            position[column].map { row[$0] }
        }
        switch match {
        case .ambiguous(let set, _):
            return .rejected(Rejection(reason: .ambiguousMatch, message: try ambiguityMessage(set, row, record)))
        case .drift(let cloudIdRow, let keyRow, let set):
            return .rejected(Rejection(reason: .identityDrift, message: "cloudId \(record.cloudId) is target row \(keyDescription(cloudIdRow)) but (\(set.joined(separator: ", "))) is target row \(keyDescription(keyRow)). Decide which row is this record, then fix its cloudId or key."))
        case .found(let key):
            // A merge that writes waits for the rows waiting, as they came first.
            if !queued.isEmpty, try !matchWritesNothing(record, row, at: key) { return .flushFirst }
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
            if let key = try rowKnownByCloudIdInBook(record) {
                if !queued.isEmpty { return .flushFirst }
                return try mergeVersioned(record, row, into: key, line: line)
            }
            if let key = try rowFormerlyKnownAs(record) {
                if !queued.isEmpty { return .flushFirst }
                context.noteFormerKey(record.was, of: target, at: key)
                // As at the source, the old key stays known as gone (a stale copy of the row
                // under it stays out).
                if let own = try context.book.entry(table: target.name, rowKey: PortableRow.rowKey(key)), !own.deleted,
                   PortableRow.formerKeys(old: own.identity, new: bookIdentity(record) ?? []) != nil {
                    try context.book.recordTombstone(table: target.name, identity: own.identity, hash: own.hash, digests: own.digests,
                                                     versions: own.versions.joined(record.versions ?? VersionVector()))
                }
                return try mergeVersioned(record, row, into: key, line: line)
            }
            return try insert(row, record: record, line: line)
        }
    }

    /// Before a batch: the values the matcher will look its rows up by (cloudId, natural
    /// keys of one column), so a store that pays a round trip per lookup fetches them at
    /// once (`TableAccess.prefetch`). A table filled by inserts first looks nothing up.
    func prefetch(_ records: [Record], next: [Record]?) throws {
        try context.forgetPrefetchedChildren()
        try prefetchParents(records)
        guard !insertsFirst else { return }
        // The batch named as `next` last time is this one (RecordPipe's order): its
        // lookups were worked out then.
        let asksKeys = insertsSinceLookups > 0
        insertsSinceLookups = 0
        let lookups = nextLookups.flatMap { $0.count == records.count ? $0.lookups : nil } ?? self.lookups(records, keys: asksKeys)
        nextLookups = next.map { (count: $0.count, lookups: self.lookups($0, keys: asksKeys)) }
        if !lookups.isEmpty { try access.prefetch(lookups, next: nextLookups?.lookups) }
        try prefetchChildren(records)
        try prefetchParentRows(records)
        try prefetchBookEntries(records)
    }

    /// Before a batch whose records carry a base (or delete), in a store that pays a round
    /// trip per read: the parents the rows it found point at, read at once. A merge digests a
    /// foreign key as its parent's identity (`ImportContext.parentIdentity`), which read the
    /// parent alone for each row: two round trips a child's delete.
    private func prefetchParentRows(_ records: [Record]) throws {
        guard access.prefetches, records.contains(where: { $0.operation == .delete || $0.base != nil }) else { return }
        let found = access.keysFoundByPrefetch
        guard !found.isEmpty else { return }
        for reference in target.references where reference.columns.count == 1 && reference.table.lowercased() != target.name.lowercased() {
            guard let parent = context.targets[reference.table.lowercased()], parent.primaryKey == reference.to else { continue }
            let parentAccess = try context.access(parent)
            guard parentAccess.prefetches else { continue }
            var values: [Value] = [], seen = Set<Value>()
            for key in found {
                guard let value = try access.values(reference.columns, at: key)?.first, !value.isNull, seen.insert(value).inserted else { continue }
                values.append(value)
            }
            if !values.isEmpty { try parentAccess.prefetch([(column: reference.to[0], values: values)], next: nil) }
        }
    }

    /// Before a batch with deletes, in a store that pays a round trip per lookup: the rows
    /// below the rows they will delete, asked at once (a parent's delete asked for its
    /// children alone before). The rows are those the batch's lookups found by a
    /// tombstone's cloudId or one-column key; a delete that finds its row otherwise asks alone.
    private func prefetchChildren(_ records: [Record]) throws {
        guard access.prefetches, target.primaryKey.count == 1, records.contains(where: { $0.operation == .delete }) else { return }
        let naturalKeys = target.matchSets.compactMap { $0.count == 1 ? $0[0] : nil }
        var parents: [[Value]] = [], seen = Set<[Value]>()
        for record in records where record.operation == .delete {
            var found: [Value]?
            if let column = target.cloudId, !record.cloudId.isNull {
                found = try access.keys(where: [column], equal: [record.cloudId], limit: 1).first
            }
            for column in naturalKeys where found == nil {
                guard let value = record.keys.first(where: { $0.0 == column })?.1, !value.isNull else { continue }
                found = try access.keys(where: [column], equal: [value], limit: 1).first
            }
            if let found, seen.insert(found).inserted { parents.append(found) }
        }
        if !parents.isEmpty { try context.prefetchChildren(of: target, at: parents) }
    }

    /// Before a batch, in a book that pays a round trip per read (`SyncBook.readsAhead`):
    /// the entries its merges will ask for, read at once. They are the entries of the rows
    /// the lookups found, of the keys its rows would go in under when the table keeps the
    /// source's keys (an insert asks whether its key held another row), and of its
    /// identities (tombstones, rows known by cloudId). A key or identity missed here is
    /// still read, alone.
    private func prefetchBookEntries(_ records: [Record]) throws {
        guard context.book.keepsEntries, context.book.readsAhead, !target.primaryKey.isEmpty else { return }
        var rowKeys = access.keysFoundByPrefetch.map(PortableRow.rowKey)
        var identities: [[UInt8]] = []
        for record in records {
            if let identity = bookIdentity(record) { identities.append(identity) }
            guard record.operation == .upsert else { continue }
            let key = target.primaryKey.compactMap { record.value(of: $0) }
            if key.count == target.primaryKey.count { rowKeys.append(PortableRow.rowKey(key)) }
        }
        try context.book.prefetch(table: target, rowKeys: rowKeys, identities: identities)
    }

    private func lookups(_ records: [Record], keys asksKeys: Bool) -> [(column: String, values: [Value])] {
        var lookups: [String: [Value]] = [:]
        let naturalKeys = target.matchSets.compactMap { $0.count == 1 && target.reference(for: $0[0]) == nil ? $0[0] : nil }
        let keyColumn = asksKeys && target.primaryKey.count == 1 && target.reference(for: target.primaryKey[0]) == nil
            && target.primaryKey[0] != target.cloudId && !naturalKeys.contains(target.primaryKey[0]) ? target.primaryKey[0] : nil
        for record in records {
            if let column = target.cloudId, !record.cloudId.isNull { lookups[column, default: []].append(record.cloudId) }
            // A delete is matched by the keys its tombstone carries.
            let values = record.operation == .upsert ? record.row : record.keys
            for column in naturalKeys {
                if let value = values.first(where: { $0.0 == column })?.1, !value.isNull { lookups[column, default: []].append(value) }
            }
            guard record.operation == .upsert else { continue }
            if let keyColumn, let value = record.value(of: keyColumn), !value.isNull { lookups[keyColumn, default: []].append(value) }
        }
        return lookups.sorted { $0.key < $1.key }.map { (column: $0.key, values: $0.value) }
    }

    /// Before a batch: the parents its records point at by a key their table kept (rows
    /// went in under the source's keys), which `resolveParent` asks for one by one. (A
    /// store's cache of rows it wrote answers most, until a table of a million parents
    /// outgrows it: half a million round trips in the bench's import into empty tables.)
    private func prefetchParents(_ records: [Record]) throws {
        for resolved in references where resolved.pointsAtParentKey && resolved.indexes.count == 1 {
            guard let parent = resolved.parent, context.keysKept.contains(resolved.parentName),
                  !context.remapped.contains(resolved.parentName) else { continue }
            let access = try context.access(parent)
            guard access.prefetches else { continue }
            let column = columns[resolved.indexes[0]]
            var keys = Set<Value>()
            for record in records where record.operation == .upsert {
                if let value = record.value(of: column), !value.isNull { keys.insert(value) }
            }
            if !keys.isEmpty { try access.prefetchKeys(keys.map { [$0] }) }
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

    /// Names the candidate target rows and the pin that settles it.
    private func ambiguityMessage(_ set: [String], _ row: [Value], _ record: Record) throws -> String {
        let values = set.map { position[$0].map { row[$0] } ?? .null }
        let candidates = try access.keys(where: set, equal: values, limit: 5, nullsEqual: true)
        let described = candidates.map { "(\(keyDescription($0)))" }.joined(separator: ", ")
        let pin = Pin(table: target.name, source: sourceKey(of: record)?.map(Pin.text(of:)) ?? ["SOURCE-KEY"],
                      target: candidates.first?.map(Pin.text(of:)) ?? ["TARGET-KEY"])
        return "\(set.joined(separator: ", ")) matches more than one row of \(target.name) in the target: \(described)\(candidates.count == 5 ? ", …" : ""); Ferry never guesses. Say which one it is with --pin '\(pin.text)' (or a pins file), give the rows cloudIds (ferry prepare), or add a more specific \"match\" to the profile."
    }

    func keyDescription(_ key: [Value]) -> String {
        zip(access.keyColumns, key).map { "\($0) = \($1)" }.joined(separator: ", ")
    }

    func identityDescription(at key: [Value]) throws -> String {
        let identity = (target.cloudId.map { [$0] } ?? []) + target.identityColumns
        guard !identity.isEmpty, let values = try access.values(identity, at: key) else { return keyDescription(key) }
        return zip(identity, values).map { "\($0) \($1)" }.joined(separator: ", ")
    }

    func describeRecord(_ record: Record, _ row: [Value]) -> String {
        var parts: [String] = []
        if let column = target.cloudId { parts.append("\(column) \(record.cloudId)") }
        for column in target.identityColumns where column != target.cloudId {
            if let index = position[column] { parts.append("\(column) \(row[index])") }
        }
        return parts.isEmpty ? "without other identity" : parts.joined(separator: ", ")
    }

}
