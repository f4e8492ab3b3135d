/// Writing: inserts (and the insert-first path of an empty table), refused writes
/// turned into rejects with advice.
extension TableReconciler {
    /// Inserts a record of a table that `insertsFirst`; nil when the insert hit a constraint
    /// (the statement alone was rolled back), so matching finds the row it collided with or
    /// rejects the record with the reason.
    func insertFirst(_ record: Record, _ row: [Value]) throws -> Outcome? {
        let key: [Value]
        do {
            key = try access.insert(columns, row)
        } catch let error as FerryError where Self.isRecordError(error) {
            return nil
        }
        return try inserted(record, row, at: key)
    }

    /// Inserts the queued records a set at a time, and hands each to `settle` in file order
    /// with its outcome, or with nil where it must be applied again alone. A set the store
    /// refuses (one row breaks a constraint, or repeats another's key) is halved and each half
    /// tried in turn, down to `smallestSet` records, which are then applied alone: a record
    /// applied alone always meets the rows of the records before it and none after, as when
    /// every record goes in by itself.
    func flushQueued(_ settle: (Int, Record, Outcome?) throws -> Void) throws {
        let batch = queued, rows = queuedRows
        queued = []
        queuedRows = []
        queuedIdentities.removeAll(keepingCapacity: true)
        func flush(_ range: Range<Int>) throws {
            guard !range.isEmpty else { return }
            // A few records are tried as a set once (a record that could not wait flushed
            // them), not halved again: below `smallestSet`, halves cost more than they save.
            guard range.count >= Self.smallestSet || range == batch.indices else {
                for index in range { try settle(index, batch[index], nil) }
                return
            }
            let keys: [[Value]]?
            do {
                keys = try access.insert(columns, rows: Array(rows[range]))
            } catch let error as FerryError where Self.isRecordError(error) {
                let middle = range.lowerBound + range.count / 2
                try flush(range.lowerBound..<middle)
                try flush(middle..<range.upperBound)
                return
            }
            guard let keys else {
                // The store cannot tell these keys without asking: row by row.
                for index in range { try settle(index, batch[index], nil) }
                return
            }
            // The rows are in: applying any of them again would insert it twice.
            guard keys.count == range.count else {
                throw FerryError(.store, "internal: table \(target.name): \(range.count) rows went in together but the store named \(keys.count) keys. Nothing was imported; please report this.")
            }
            try batch.withUnsafeBufferPointer { records in
                for (index, key) in zip(range, keys) {
                    try settle(index, records[index], try inserted(records[index], rows[index], at: key))
                }
            }
        }
        try flush(batch.indices)
    }
    static let smallestSet = 16

    /// What a record could meet a row by, each tagged with which identity it is
    /// (`queuedIdentities`).
    func identities(of record: Record, _ row: [Value]) -> [[Value]] {
        identities(of: record, row, keys: identityPositions, book: true)
    }

    /// What a row of this table could be named by from another (`mayNameQueuedRow`): its
    /// cloudId and the keys its foreign keys into itself point at. Queued in a table
    /// filled by inserts first, where `identities` are not needed.
    func namedIdentities(of record: Record, _ row: [Value]) -> [[Value]] {
        identities(of: record, row, keys: selfReferencedPositions, book: false)
    }

    /// The record's cloudId, with `book` the book's identity, and each of `keys` the row holds whole.
    private func identities(of record: Record, _ row: [Value], keys: [(tag: Int64, indexes: [Int])], book: Bool) -> [[Value]] {
        var identities: [[Value]] = []
        if !record.cloudId.isNull { identities.append([.integer(-1), record.cloudId]) }
        if book, let identity = bookIdentity(record) { identities.append([.integer(-2), .blob(identity)]) }
        for (tag, indexes) in keys {
            var values: [Value] = [.integer(tag)]
            for index in indexes where !row[index].isNull { values.append(row[index]) }
            if values.count == indexes.count + 1 { identities.append(values) }
        }
        return identities
    }

    /// Whether a foreign key of this table into itself may name a row still waiting: by the
    /// parent's cloudId, by the key it points at, or by a natural key the parent's identity
    /// carries. Values are compared as given: a parent found only under a collation or after
    /// its key was translated is missed here, and its child, finding no parent yet, waits
    /// for the next round as when it comes before its parent in the file.
    func mayNameQueuedRow(_ resolved: ResolvedReference, raw: [Value], identity: Record.ReferenceIdentity?) -> Bool {
        if let identity, !identity.cloudId.isNull, queuedIdentities.contains([.integer(-1), identity.cloudId]) { return true }
        for (tag, _) in identityPositions {
            let set = identitySets[Int(tag)]
            if set == resolved.reference.to, queuedIdentities.contains([.integer(tag)] + raw) { return true }
            guard let identity, !identity.keys.isEmpty else { continue }
            var values: [Value] = [.integer(tag)]
            for column in set {
                guard let value = identity.keys.first(where: { $0.0 == column })?.1, !value.isNull else { break }
                values.append(value)
            }
            if values.count == set.count + 1, queuedIdentities.contains(values) { return true }
        }
        return false
    }

    /// Whether a new row of a table that was not empty may wait to go in with others: it
    /// goes in as it came, under the full key it brings, and nothing the book keeps under
    /// that key would be moved aside by its insert (`inserted`).
    private func mayWait(_ row: [Value]) throws -> Bool {
        guard queuesInserts, !insertsFirst, access.holdsNewRowsForSets, !breakingCycles, primaryKeyIndexes.count == target.primaryKey.count,
              !primaryKeyIndexes.contains(where: { row[$0].isNull }) else { return false }
        guard bookKnewTable else { return true }
        return try context.book.entry(table: target.name, rowKey: PortableRow.rowKey(primaryKeyIndexes.map { row[$0] })) == nil
    }

    /// A reference set to NULL to break a cycle, and what it must point at once the parent is in.
    struct CycleFixup {
        var key: [Value]
        let referenceIndex: Int
        let raw: [Value]
        let identity: Record.ReferenceIdentity?
        let line: Int
    }

    /// Removes a row that was inserted to break a cycle whose other end never arrived.
    func undoInsert(at key: [Value]) throws {
        try access.delete(at: key)
        try context.book.remove(table: target.name, rowKey: PortableRow.rowKey(key))
    }

    /// Inserts a row; one that points at itself by a key it did not keep (a fresh id, or
    /// one handed out) is then pointed at the key it got.
    private func insertRow(_ names: [String], _ values: [Value]) throws -> [Value] {
        let key = try access.insert(names, values)
        // `values` holds the row's columns as given only while `names` is every column.
        for indexes in pointsAtOwnKey where names != columns || indexes.map({ values[$0] }) != key {
            try access.update(at: key, indexes.map { columns[$0] }, key)
        }
        return key
    }

    /// Bookkeeping of a row just inserted: prune set, key map, sync book.
    func inserted(_ record: Record, _ row: [Value], at key: [Value]) throws -> Outcome {
        lastInsertedKey = key
        insertsSinceLookups += 1
        // The key may be one a row deleted here had (its entry waits for the next export):
        // that entry moves aside as a tombstone, or the new row would take over its identity.
        if bookKnewTable, !target.primaryKey.isEmpty, let identity = bookIdentity(record) {
            try context.book.retire(table: target.name, rowKey: PortableRow.rowKey(key), unless: identity, shipped: false)
        }
        try context.markSeen(target, key)
        try mapKey(row, to: key, inserted: true)
        try remember(record, at: key, rowHoldsCloudId: target.cloudId.map { record.value(of: $0) == record.cloudId } ?? false, isNew: !bookKnewTable)
        return .inserted
    }

    /// A failure of this one record's values (constraint, datatype), not of the import.
    static func isRecordError(_ error: FerryError) -> Bool {
        error.storeFailure?.rejectsRecord == true
    }

    func insert(_ row: [Value], record: Record, line: Int) throws -> Outcome {
        let key = target.primaryKey
        let keyIndexes = key.compactMap { position[$0] }
        var names = columns
        var values = row
        var altered = false // the row goes in otherwise than it came
        if !key.isEmpty, keyIndexes.count == key.count {
            let incomingKey = keyIndexes.map { row[$0] }
            if let taken = try access.keys(where: key, equal: incomingKey, limit: 1).first {
                // Each way on from here may write, or take a fresh key: the rows waiting go in first.
                if !queued.isEmpty { return .flushFirst }
                // A text id is globally unique (cuid): the row holding it is this row, copied
                // before without an identity Ferry could match (no cloudId yet). An integer id
                // is any store's next one: only a row holding every value this one brings is
                // that copy (two stores that copied a table, then ran `prepare` each).
                if try !contradicts(record, row, holder: taken),
                   try !target.hasIntegerPrimaryKey || holdsEveryValue(of: row, at: taken) {
                    return try write { try merge(record, row, into: taken, line: line) }
                }
                guard target.hasIntegerPrimaryKey else {
                    let other = try identityDescription(at: taken)
                    return .rejected(Rejection(reason: .pkCollision, message: "primary key \(key.joined(separator: ", ")) = \(incomingKey.map(\.description).joined(separator: ", ")) is taken in the target by another row (\(other)); this record is \(describeRecord(record, row)). Give one of them a new id."))
                }
                // A local integer id: the row takes one that is free here.
                if identityLessReplay(record) { return .unchanged }
                switch try access.freshIntegerKey() {
                case .free(let fresh):
                    values[keyIndexes[0]] = fresh
                    altered = true
                case .handedOut:
                    altered = true
                    names.remove(at: keyIndexes[0])
                    values.remove(at: keyIndexes[0])
                case .none:
                    let other = try identityDescription(at: taken)
                    return .rejected(Rejection(reason: .pkCollision, message: "primary key \(key[0]) = \(incomingKey[0]) is taken in the target by another row (\(other)), and no other id is free in its type (every one up to \(target.integerKeyLimit) is taken); this record is \(describeRecord(record, row)). Widen the column's type, or delete rows the target no longer needs."))
                }
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
            altered = true
        }
        var record = record
        let newAtSource = record.hash != nil && record.base == nil
        switch try absentVerdict(record, newAtSource: newAtSource) {
        case .staleCopy?:
            return .unchanged
        case .madeAfterDelete(let versions)?:
            if !queued.isEmpty { return .flushFirst }
            record.versions = versions
            return try write { try inserted(record, row, at: insertRow(names, values)) }
        case .changedWhileDeleted(let versions, let tombstone)?:
            if !queued.isEmpty { return .flushFirst }
            if let outcome = try resolveDeletedHere(record, line: line, tombstone: tombstone) { return outcome }
            record.versions = versions // inserted again: a version after the delete, so it wins there too
            return try write { try inserted(record, row, at: insertRow(names, values)) }
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
            if !queued.isEmpty { return .flushFirst }
            if let outcome = try resolveDeletedHere(record, line: line) { return outcome }
        }
        if !altered, try mayWait(row) {
            queued.append(record)
            queuedRows.append(row)
            queuedIdentities.formUnion(identities(of: record, row))
            return .queued
        }
        if !queued.isEmpty { return .flushFirst }
        return try write { try inserted(record, row, at: insertRow(names, values)) }
    }

    /// A row with no identity at all (no cloudId, no non-NULL key: a log line, a key of
    /// NULLs) cannot be matched. When this changeset was applied here before, the row was
    /// inserted then, and inserting it again would duplicate it on every replay.
    func identityLessReplay(_ record: Record) -> Bool {
        context.alreadyApplied && record.cloudId.isNull && record.keys.allSatisfy { $0.1.isNull }
    }

    /// Whether the target row holding the incoming text primary key is another logical row:
    /// a natural key or a `match` composite differs. A different cloudId alone is no
    /// contradiction: two stores that ran `ferry prepare` before they ever exchanged gave
    /// the same row two cloudIds, which the merge reconciles (`reconciledCloudId`).
    func contradicts(_ record: Record, _ row: [Value], holder key: [Value]) throws -> Bool {
        for set in target.matchSets + target.fallbackMatchSets {
            let indexes = set.compactMap { position[$0] }
            guard indexes.count == set.count, let holder = try access.values(set, at: key) else { continue }
            let incoming = indexes.map { row[$0] }
            if !incoming.contains(where: \.isNull) && !holder.contains(where: \.isNull) && incoming != holder { return true }
        }
        // A key over expressions (`lower(email)`) compares under them: the store says
        // whether the holder is the row the incoming values name.
        for expressionKey in target.expressionKeys {
            let indexes = expressionKey.columns.compactMap { position[$0] }
            guard indexes.count == expressionKey.columns.count, let holder = try access.values(expressionKey.columns, at: key) else { continue }
            let incoming = indexes.map { row[$0] }
            if incoming.contains(where: \.isNull) || holder.contains(where: \.isNull) { continue }
            if try access.keys(where: expressionKey, equal: incoming, limit: 1).first != key { return true }
        }
        return false
    }

    /// Whether the row at `key` holds `row`'s value in every column but the cloudId.
    func holdsEveryValue(of row: [Value], at key: [Value]) throws -> Bool {
        let compared = columns.indices.filter { columns[$0] != target.cloudId }
        guard let held = try access.values(compared.map { columns[$0] }, at: key) else { return false }
        return zip(compared, held).allSatisfy { row[$0].sameStoredValue($1) }
    }

    /// Runs a write; SQLite constraint failures become rejects (the statement alone is rolled back).
    func write(_ body: () throws -> Outcome) throws -> Outcome {
        do {
            return try body()
        } catch let error as FerryError {
            guard let failure = error.storeFailure, failure.rejectsRecord else { throw error }
            // A natural key the write collided on: another target row holds one of this
            // record's identities, while its others named the row it was written to.
            // A key over expressions (`lower(email)`) is named by its index.
            let naturalKey = failure.columns.flatMap { columns in target.matchSets.first { Set($0) == Set(columns) } }
                ?? failure.constraint.flatMap { name in target.expressionKeys.first { $0.index == name }?.columns }
            if failure.kind == .unique, let columns = naturalKey {
                return .rejected(Rejection(reason: .identityDrift, message: "\(error.message): (\(columns.joined(separator: ", "))) is a natural key, and another target row holds this record's value of it, while the record's other keys named the row it was written to. Two target rows hold this record's identities: decide which one it is (edit the key on one side), then import again."))
            }
            return .rejected(Rejection(reason: failure.kind == .datatype ? .schema : .constraint, message: Self.advice(for: error.message, failure)))
        }
    }

    /// What to do about a refused write. A UNIQUE collision usually means the target holds the
    /// same logical row under another id, which a `match` rule fixes; editing the value
    /// would only make a duplicate.
    static func advice(for text: String, _ failure: StoreFailure) -> String {
        if failure.kind == .unique && failure.columns == nil {
            // An index over expressions: no column list to put in a match line.
            return "\(text): the target already has a row with this value. If it is the same logical row, give the table a cloudId on both sides (`ferry prepare --tables TABLE`) so the rows match, or add a \"match\" line on the columns the index covers to a profile file (--profile FILE). If it is a different row, change the value at the source and export again."
        }
        if failure.kind == .unique, let columns = failure.columns {
            let table = failure.table ?? "TABLE"
            return "\(text): the target already has a row with these values. If it is the same logical row, let Ferry match on them: add \(PrimaryKeyIdentity.profileLine(table: table, match: columns)) to a profile file and import again with --profile FILE. If it is a different row, change the value at the source and export again."
        }
        return "\(text.hasSuffix(".") ? String(text.dropLast()) : text). Fix the value in the record (or relax the target's constraint), then import the rejects file."
    }
}
