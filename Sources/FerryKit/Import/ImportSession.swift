import Foundation

/// One import inside its transaction: creates missing tables, reconciles every table in
/// order, retries records that waited for a parent, and collects the figures.
struct ImportSession {
    private let changeset: ChangesetReader
    /// The changeset's tables under the target's names (`TargetSpellings`); the reader's
    /// manifest keeps the names its lines are written with.
    private let tables: [ManifestTable]
    private let spellings: TargetSpellings
    private let profile: Profile
    private let policy: ConflictPolicy?
    private let rejects: RejectsWriter
    private let observer: ProgressObserver? // strong: the CLI hands over a fresh one and keeps no reference
    private let context: ImportContext
    private var reconcilers: [TableReconciler] = []
    private var results: [ImportReport.Table] = []
    /// Whether this import created tables in the target (a schema change that must be kept).
    private(set) var createdTables = false
    /// Said to the user without failing the import (tables matched by raw id alone).
    private(set) var warnings: [String] = []
    /// The target's triggers this import set aside while it wrote ("table.trigger").
    private(set) var triggersSetAside: [String] = []
    private let pruneLimit: Double?
    /// Tables (lowercased) created by this import or empty when it began: a replay into them
    /// also takes the source's AUTOINCREMENT counter.
    private var emptyAtStart = Set<String>()
    /// Rows inserted to break a cycle and taken out again because their partner never came.
    private var undoneCycleRows: [String] = []
    /// Some rows went in with a reference left NULL or holding a placeholder, set later.
    private var brokeCycles = false
    /// The lines of the records whose rows went in with a reference left open (a cycle's).
    private var cycleLines: SpillFile?
    /// Per table: records of the first pass that wait for a parent.
    private var deferredRecords: [Int] = []
    static let scratchIndexMinimum = 100
    /// Whether changesets of this same source were applied here before.
    private let continuesSource: Bool

    /// Rows the schema's ON DELETE actions changed with a deleted parent.
    var cascaded: [ImportReport.Cascade] { context.cascaded.sorted { $0.table < $1.table } }

    /// Whether the sync book changed (rows that matched unchanged can still be new to it).
    var wroteBook: Bool { context.book.changed }

    /// What the import did with the target's sync book, for the report.
    var bookNote: ImportReport.SyncBookNote {
        context.book.keepsEntries ? .kept(entries: context.book.recorded) : .notKept
    }

    init(store: Store, changeset: ChangesetReader, profile: Profile, policy: ConflictPolicy?, prune: Bool, pruneLimit: Double?, trustSchema: Bool, pins: [Pin] = [], track: Bool = false,
         alreadyApplied: Bool = false, continuesSource: Bool = false, rejects: RejectsWriter, conflicts: ConflictsWriter, observer: ProgressObserver?) throws {
        self.changeset = changeset
        self.continuesSource = continuesSource
        self.pruneLimit = pruneLimit
        self.profile = profile
        self.policy = policy
        self.rejects = rejects
        self.observer = observer
        let fileTables = changeset.manifest.tables
        var tableNames: [String: String] = [:]
        for table in fileTables {
            if let existing = try store.tableName(matching: table.name) {
                if existing != table.name { tableNames[table.name] = existing }
                if try store.isEmpty(existing) { emptyAtStart.insert(table.name.lowercased()) }
            } else {
                emptyAtStart.insert(table.name.lowercased())
                let lacking = try store.createTable(table.definition, trustSchema: trustSchema)
                if !lacking.isEmpty {
                    warnings.append("table \(table.name) was created in \(store.displayName) without \(lacking.joined(separator: ", ")): Ferry writes that store's DDL from the changeset's names and types, and runs no SQL a changeset brings. Add them to the table yourself if the target must hold them.")
                }
                // What the source said its changeset does not carry of this table (a
                // PostgreSQL CHECK no grammar both stores share can hold): the table made
                // here lacks it too.
                for said in changeset.manifest.warnings ?? [] where said.hasPrefix("table \(table.name) has ") {
                    warnings.append("the changeset says: \(said)")
                }
                createdTables = true
            }
        }
        try store.finishCreatingTables()
        var targets: [String: TableDefinition] = [:]
        var twins: [String: [String]] = [:] // tables whose names differ only in case (PostgreSQL's "Users" and users)
        for definition in try store.tables(profile: profile) {
            if let other = targets[definition.name.lowercased()] { twins[definition.name.lowercased(), default: [other.name]].append(definition.name) }
            targets[definition.name.lowercased()] = definition
        }
        for table in fileTables {
            guard let names = twins[table.name.lowercased()] else { continue }
            throw FerryError(.schema, "\(store.displayName) holds tables \(names.map { "\"\($0)\"" }.joined(separator: " and ")) whose names differ only in case, and Ferry matches table names in any case: it cannot tell which one table \(table.name) of the changeset means. Rename one of them, then import again. Nothing was applied.")
        }
        spellings = TargetSpellings(tables: fileTables, tableNames: tableNames, targets: targets)
        let tables = fileTables.map(spellings.renamed)
        self.tables = tables
        try UnicodeNames.refuseLookalikeColumns(in: tables.compactMap { targets[$0.name.lowercased()] }, place: store.displayName)
        for table in tables {
            guard let target = targets[table.name.lowercased()] else { continue }
            try UnicodeNames.refuseMismatchedColumns(table.columns.map(\.name), target: target, store: store.displayName)
        }
        context = ImportContext(
            store: store, book: try store.syncBook(create: track) ?? UntrackedBook(), keyMap: try store.makeKeyMap(), conflicts: conflicts,
            targets: targets, referenced: Set(tables.flatMap { $0.definition.references.map { $0.table.lowercased() } }))
        // A table the profile leaves out is not written, but its rows may point at rows a
        // delete takes: the delete must see them (a table that cannot be read as a
        // definition has no foreign key Ferry could honour either).
        context.leftOutReferencesInto = ImportContext.referencesInto(try store.catalog()
            .filter { profile.excludes($0.name) && targets[$0.name.lowercased()] == nil }
            .compactMap { try? $0.definition(profile: .empty) })
        if prune { context.seen = try store.makeKeySet(purpose: .seen) }
        context.alreadyApplied = alreadyApplied
        context.tablesInChangeset = Set(tables.map { $0.name.lowercased() })
        context.emptyAtStart = emptyAtStart
        try context.addPins(pins, changesetTables: tables.map(\.name))
        // Only a target that holds rows can get duplicates: a created or empty table cannot.
        for table in tables where !emptyAtStart.contains(table.name.lowercased()) {
            guard let target = targets[table.name.lowercased()], let warning = PrimaryKeyIdentity.warning(for: target) else { continue }
            warnings.append(warning)
        }
    }

    /// The policy for a table: the command line's, else the profile's for the table, else
    /// the profile's default, else defer.
    private func policy(for table: String) -> ConflictPolicy {
        policy ?? profile.tables[table]?.onConflict ?? profile.onConflict ?? .defer
    }

    mutating func run() throws -> [ImportReport.Table] {
        let tables = self.tables
        let store = context.store
        for table in tables {
            guard let target = context.targets[table.name.lowercased()] else {
                throw FerryError(.schema, "table \(table.name) cannot be written in \(store.displayName) (it is virtual, or excluded by the profile).")
            }
            // A profile that asks newer-wins of a table without the column is wrong up front; a
            // command-line newer-wins fails only at a conflict it cannot settle (decide()).
            if profile.tables[table.name]?.onConflict == .newerWins && policy == nil && target.updatedAt == nil {
                throw FerryError(.usage, "newer-wins needs an updatedAt column, and table \(table.name) has none (no updatedAt / updated_at column). Name one in the profile (\"updatedAt\"), or choose another --on-conflict policy. Nothing was applied.")
            }
            reconcilers.append(try TableReconciler(incoming: table, target: target, context: context, policy: policy(for: table.name)))
        }
        let violationsBefore = try tables.map { try store.foreignKeyViolations(in: $0.name).count }
        let suspension = try store.suspendRowStampingTriggers(on: tables.map(\.name))
        triggersSetAside = suspension.suspended
        if !suspension.kept.isEmpty {
            warnings.append("triggers that stamp the rows Ferry writes with the time still fired: \(suspension.kept.joined(separator: "; ")). The rows they stamped will look changed to the other side.")
        }
        // A set of rows in one statement ends as the rows one by one only where nothing but
        // Ferry's statement writes (no trigger left, no rule): the store says.
        for reconciler in reconcilers where reconciler.queuesInserts { reconciler.queuesInserts = reconciler.access.insertsRowsTogether }
        let lookupIndexes = try addLookupIndexes()
        let identityIndexDeferred = try context.book.deferIdentityIndexIfEmpty()
        let deferred = try SpillFile()
        context.pending = Set(tables.map { $0.name.lowercased() })

        deferredRecords = Array(repeating: 0, count: tables.count)
        for (index, table) in tables.enumerated() {
            let started = Date()
            results.append(ImportReport.Table(name: table.name))
            var ticker = ProgressTicker(observer: observer, task: "import \(table.name)", total: table.rows)
            let access = reconcilers[index].access
            let prefetch = access.prefetches ? reconcilers[index].prefetch : nil
            let beforeBatch: (([Record], [Record]?) throws -> Void)? = prefetch == nil && !access.respellsValues ? nil : { records, next in
                try access.learnSpellings(of: records)
                try prefetch?(records, next)
            }
            // The lines of records the reconciler holds to insert together (valid until the
            // batch ends, when they are flushed).
            var queuedLines: [(number: Int, line: UnsafeBufferPointer<UInt8>)] = []
            func flush() throws {
                guard !queuedLines.isEmpty else { return }
                let lines = queuedLines
                queuedLines = []
                try settleQueued(index, lines: lines, deferred: deferred)
            }
            try RecordPipe.forEachRecord(of: changeset, in: changeset.manifest.tables[index], prepare: prepare(index), beforeBatch: beforeBatch,
                                         afterBatch: flush) { lineNumber, record, line in
                // A delete of a row still waiting must find it in.
                if record.operation == .delete, !queuedLines.isEmpty { try flush() }
                var outcome = try reconcilers[index].apply(record, line: lineNumber)
                if case .flushFirst = outcome {
                    try flush()
                    outcome = try reconcilers[index].apply(record, line: lineNumber)
                }
                if case .queued = outcome {
                    queuedLines.append((lineNumber, line))
                } else {
                    // The records waiting come first in the rejects, as in the file. Other outcomes
                    // are counted or put aside only: a record that wrote anything had the records
                    // waiting flushed before it wrote (`Outcome.flushFirst`).
                    if !queuedLines.isEmpty, outcome.isWrittenInFileOrder { try flush() }
                    try handle(outcome, record: record, tableIndex: index, lineNumber: lineNumber, line: line, deferred: deferred)
                }
                ticker.advance()
            }
            ticker.finish()
            // A table with records still waiting may yet get rows: its children wait too
            // (a two-table cycle: departments wait for their heads, staff for departments).
            if deferredRecords[index] == 0 { context.pending.remove(table.name.lowercased()) }
            try context.forgetPrefetchedChildren()
            results[index].seconds = Date().timeIntervalSince(started)
        }
        try retryDeferred(deferred)
        try context.checkEveryPinUsed()
        if context.seen != nil { try prune() }

        let onlyInserted = try referencesHoldByConstruction()
        for (index, (table, before)) in zip(tables, violationsBefore).enumerated() {
            if onlyInserted, emptyAtStart.contains(table.name.lowercased()), writesReferencesAsTheirParents(reconcilers[index]) { continue }
            let violations = try store.foreignKeyViolations(in: table.name)
            if violations.count > before {
                let shown = "\(counted(violations.count, "row")) \(before == 0 ? "" : "(\(before) before the import) ")such as " + violations.examples.prefix(3).joined(separator: "; ")
                if !undoneCycleRows.isEmpty {
                    throw FerryError(.data, "after import, rows of table \(table.name) point at rows of a cycle that were taken out because their partner in the cycle was rejected (\(undoneCycleRows.prefix(3).joined(separator: "; "))): \(shown). Nothing was imported. Fix the record named first (its line in that table's file, and why it was refused), then import again.")
                }
                throw FerryError(.data, "after import, rows of table \(table.name) point at missing parents: \(shown). Nothing was imported. Export the parent tables too, or import into a target that has them.")
            }
        }
        // The source's AUTOINCREMENT counters: into a table that was empty, or one this
        // source's changesets filled before (a replay of a chain), so the next row the
        // application adds gets the id it would have got in the source. Raising a counter
        // only skips ids; it never reuses one.
        for table in tables where emptyAtStart.contains(table.name.lowercased()) || continuesSource {
            if let sequence = table.sequence { try store.raiseAutoincrementSequence(of: table.name, to: sequence) }
        }
        for name in lookupIndexes + context.scratchIndexes { try store.dropLookupIndex(name) }
        try store.restoreTriggers()
        if identityIndexDeferred { try context.book.buildIdentityIndex() }
        try context.book.saveSequence()
        return results
    }

    /// Fallback composites usually have no index, and each lookup would scan the table:
    /// one scratch index per such set (of the changeset's tables and the parents their
    /// references resolve in), dropped before commit, so the target's schema is unchanged.
    /// Only for tables looked up at least `scratchIndexMinimum` times: below that, the
    /// scans cost less than building an index over the whole table.
    private func addLookupIndexes() throws -> [String] {
        var lookups: [String: (table: TableDefinition, records: Int)] = [:]
        for table in tables {
            for name in [table.name] + table.definition.references.map(\.table) {
                guard let target = context.targets[name.lowercased()] else { continue }
                // Manifest row counts are a stranger's numbers: the sum saturates instead of trapping.
                var entry = lookups[target.name] ?? (target, 0)
                let (sum, overflow) = entry.records.addingReportingOverflow(table.rows)
                entry.records = overflow ? .max : sum
                lookups[target.name] = entry
            }
        }
        var created: [String] = []
        for (table, records) in lookups.values.sorted(by: { $0.table.name < $1.table.name }) where records >= Self.scratchIndexMinimum {
            var sets = table.fallbackMatchSets
            // A table with no key is matched by every column (TableReconciler.equalRow).
            if table.identifiedByWholeRow && !emptyAtStart.contains(table.name.lowercased()) { sets.append(table.columnNames) }
            for set in sets {
                if let name = try context.store.addLookupIndex(on: table.name, columns: set) { created.append(name) }
            }
        }
        return created
    }

    /// Inserts the records table `index`'s reconciler holds, a set at a time, and handles
    /// each in file order (`lines[i]` is the line of the i-th held); a record refused in a
    /// set is applied alone, not queued again.
    private mutating func settleQueued(_ index: Int, lines: [(number: Int, line: UnsafeBufferPointer<UInt8>)], deferred: SpillFile) throws {
        let queues = reconcilers[index].queuesInserts
        reconcilers[index].queuesInserts = false
        defer { reconcilers[index].queuesInserts = queues }
        try reconcilers[index].flushQueued { position, record, outcome in
            let (number, line) = lines[position]
            let final = try outcome ?? reconcilers[index].apply(record, line: number)
            try handle(final, record: record, tableIndex: index, lineNumber: number, line: line, deferred: deferred)
        }
    }

    private mutating func handle(_ outcome: TableReconciler.Outcome, record: Record, tableIndex: Int, lineNumber: Int, line: UnsafeBufferPointer<UInt8>, deferred: SpillFile) throws {
        switch outcome {
        case .inserted: results[tableIndex].counts.inserted += 1
        case .updated: results[tableIndex].counts.updated += 1
        case .merged: results[tableIndex].counts.merged += 1
        case .unchanged: results[tableIndex].counts.unchanged += 1
        case .deleted: results[tableIndex].counts.deleted += 1
        case .conflict: results[tableIndex].counts.conflicts += 1
        case .deferred:
            deferredRecords[tableIndex] += 1
            try deferred.append(tableIndex: tableIndex, lineNumber: lineNumber, line: line)
        case .queued, .flushFirst:
            preconditionFailure("a queued record is handled when its batch is flushed, after the records before it")
        case .rejected(let rejection):
            results[tableIndex].counts.rejected += 1
            if context.seen != nil { try reconcilers[tableIndex].markRowsStoodFor(record) }
            context.noteRejected(table: reconcilers[tableIndex].target.name, sourceKey: reconcilers[tableIndex].sourceKey(of: record),
                                 cloudId: record.cloudId, line: lineNumber, reason: rejection.reason)
            let table = tables[tableIndex]
            try rejects.write(line: line, table: table.name, match: table.definition.fallbackMatchSets, lineNumber: lineNumber, rejection: rejection)
        }
    }

    /// What the reading thread does to each record of table `index` before it is applied:
    /// its names as the target spells them, then its portable form.
    private func prepare(_ index: Int) -> (@Sendable (inout Record) -> Void)? {
        let portable = reconcilers[index].precomputePortableForm
        let name = changeset.manifest.tables[index].name
        let columns = reconcilers[index].columns
        let spellings = spellings.renamesRecords ? spellings : nil
        return { record in
            spellings?.rename(&record, table: name)
            portable?(&record)
            if record.operation == .upsert { record.takeValues(inOrder: columns) }
        }
    }

    /// Whether this import only added rows, each pointing at a row it found or made: then a
    /// table that was empty before holds no row pointing at nothing, and the check after
    /// the import (a seek into the parent per row, a tenth of an import into a new file)
    /// could find nothing. Every other import is checked: an update or a delete (a parent's
    /// key changed or gone), a cycle's placeholders, a row the schema replaced itself
    /// (`ON CONFLICT REPLACE` deletes), or a trigger, which writes what Ferry cannot see.
    private func referencesHoldByConstruction() throws -> Bool {
        let totals = results.reduce(ImportReport.Counts()) { $0 + $1.counts }
        guard totals.updated == 0, totals.merged == 0, totals.deleted == 0, context.cascaded.isEmpty,
              !brokeCycles, undoneCycleRows.isEmpty, !reconcilers.contains(where: \.target.resolvesConflictsItself) else { return false }
        return try !context.store.hasTriggers()
    }

    /// Whether every foreign key of the reconciler's table is stored as the value of the
    /// parent row it was resolved to: each column one the import wrote (a column the
    /// changeset lacks is filled by the store itself, a DEFAULT or a generated column, which
    /// no record's parent stands for), declared with exactly the parent column's type, a
    /// plain one whose conversion SQLite's rules leave no doubt about (a column converts a
    /// value as it stores it: `'007'` becomes 7 in an INTEGER column, which names no TEXT
    /// key; an empty or blank type, `ANY` in a STRICT table, a name with letters beyond
    /// ASCII each convert otherwise than their name says), into a parent named exactly as
    /// SQLite finds it (ASCII case only).
    private func writesReferencesAsTheirParents(_ reconciler: TableReconciler) -> Bool {
        guard reconciler.references.count == reconciler.target.references.count,
              !PortableIndexes.hasKeyword("STRICT", in: reconciler.target.create) else { return false }
        return reconciler.target.references.allSatisfy { reference in
            guard let parent = context.targets[reference.table.lowercased()], Identifier.asciiLowercased(parent.name) == Identifier.asciiLowercased(reference.table),
                  !PortableIndexes.hasKeyword("STRICT", in: parent.create), reference.columns.count == reference.to.count else { return false }
            return zip(reference.columns, reference.to).allSatisfy { column, to in
                guard let own = reconciler.target.column(named: column), let theirs = parent.column(named: to) else { return false }
                return own.type == theirs.type && Self.isPlainType(own.type)
            }
        }
    }

    /// A declared type of ASCII letters, digits, spaces, parentheses and commas that names
    /// INTEGER or TEXT affinity by SQLite's rules (INT; CHAR, CLOB, TEXT).
    private static func isPlainType(_ type: String) -> Bool {
        guard type.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || " (),".unicodeScalars.contains($0)) }) else { return false }
        let upper = type.uppercased()
        return ["INT", "CHAR", "CLOB", "TEXT"].contains { upper.contains($0) }
    }

    /// Mirror mode: deletes every target row of the changeset's tables that the (full)
    /// changeset did not name, children's tables first.
    private mutating func prune() throws {
        for index in tables.indices.reversed() {
            let target = reconcilers[index].target
            guard !target.primaryKey.isEmpty, let seen = context.seen else { continue }
            var absent: [[Value]] = []
            var rows = 0
            try context.store.scan(target, columns: target.primaryKey, joining: []) { cursor in
                rows += 1
                let key = (0..<target.primaryKey.count).map { cursor.value(at: $0) }
                if try !seen.contains(table: target.name, key: key) { absent.append(key) }
            }
            if let pruneLimit, rows > 0, Double(absent.count) > pruneLimit * Double(rows) {
                throw FerryError(.usage, "--prune would delete \(absent.count) of the \(rows) rows of table \(target.name) (more than \(Int((pruneLimit * 100).rounded()))%). Nothing was applied. Check what it would do with --dry-run, then run again with --yes if that is what you want.")
            }
            for key in absent {
                if try context.access(target).values(target.primaryKey, at: key) == nil { continue } // cascaded already
                if let refused = try context.deleteRow(of: target, at: key) {
                    // The row stays (a refused delete takes nothing): named as an export names
                    // it, so the rejects file, once what holds the row is gone, deletes it.
                    let (line, identified) = try pruneRecord(target, at: key)
                    let rejection = identified ? refused : Rejection(reason: refused.reason, message: refused.message
                        + " The row has no identity an import could find it by (no cloudId, and a natural key that is NULL or none), so importing the rejects file will not delete it: delete it by hand once what holds it is gone.")
                    results[index].counts.rejected += 1
                    try line.withUnsafeBufferPointer {
                        try rejects.write(line: $0, table: target.name, match: target.fallbackMatchSets, lineNumber: 0, rejection: rejection)
                    }
                } else {
                    results[index].counts.deleted += 1
                }
            }
        }
    }

    /// A delete record of the target row at `key`, as an export of this store would write
    /// it: its cloudId and the values of its identity columns (a foreign key as its parent's
    /// identity, `{"$ref":…}`), the primary key for a table with no other identity.
    /// `identified`: whether the record names the row at all (a cloudId, here or in the
    /// book, or a natural key without NULL).
    private func pruneRecord(_ target: TableDefinition, at key: [Value]) throws -> (line: [UInt8], identified: Bool) {
        let access = try context.access(target)
        let identity = target.identityColumns
        let cloudIdColumns = target.cloudId.map { [$0] } ?? []
        let read = try access.values(cloudIdColumns + identity, at: key) ?? []
        var line = JSONBuffer()
        line.append(raw: #"{"op":"delete""#)
        // A row added after `prepare` has no cloudId in its column until an export gives it
        // one; the book may hold it already.
        var cloudId = cloudIdColumns.isEmpty ? Value.null : read.first ?? .null
        if cloudId.isNull, !cloudIdColumns.isEmpty, let entry = try context.book.entry(table: target.name, rowKey: PortableRow.rowKey(key)), !entry.deleted {
            cloudId = PortableRow.cloudId(inIdentity: entry.identity) ?? .null
        }
        if !cloudId.isNull {
            line.append(raw: #","cloudId":"#)
            line.appendValue(cloudId)
        }
        line.append(raw: #","keys":{"#)
        let values = read.count == cloudIdColumns.count + identity.count ? Array(read.dropFirst(cloudIdColumns.count)) : identity.map { _ in Value.null }
        for (position, (column, value)) in zip(identity, values).enumerated() {
            if position > 0 { line.append(UInt8(ascii: ",")) }
            line.appendString(column)
            line.append(UInt8(ascii: ":"))
            if let reference = target.reference(for: column),
               let parent = try context.parentIdentity(reference, values: reference.columns.map { name in
                   identity.firstIndex(of: name).map { values[$0] } ?? .null
               }) {
                PortableRow.appendReference(parent, to: &line)
            } else {
                line.appendValue(value)
            }
        }
        line.append(raw: "}}")
        let identified = !cloudId.isNull || (!identity.isEmpty && !values.contains(where: \.isNull))
        return (line.withBytes { Array($0) }, identified)
    }

    /// Records whose parent had not arrived yet (self references, cycles, children listed
    /// before parents) are retried until a round applies none. Then one round breaks cycles
    /// (rows go in with a nullable reference NULL, set at the end), and the rounds go on;
    /// what is left is missing_parent.
    private mutating func retryDeferred(_ first: SpillFile) throws {
        var queue = first
        for reconciler in reconcilers {
            reconciler.cachesParents = false
            reconciler.forgetParentKeys()
        }
        var final = false
        var breakCycles = false
        while queue.count > 0 {
            let next = try SpillFile()
            context.pending = final ? [] : Set(tables.map { $0.name.lowercased() })
            if final { context.waitingInLastRound = Set(queue.tableIndexes.map { tables[$0].name.lowercased() }) }
            for reconciler in reconcilers { reconciler.breakingCycles = breakCycles }
            var applied = 0
            // New rows wait for a set here too, as in the first pass (in a tree whose file
            // order is not the tree's, most rows come back here); the rows of one table at a
            // time, as the records put aside are in table order. Their lines are copied (the
            // spill's buffer moves on with each record), one after another into `queuedBytes`.
            var queuedBytes: [UInt8] = []
            var queuedLines: [(number: Int, range: Range<Int>)] = []
            var queuedTable = 0
            func flush() throws {
                guard !queuedLines.isEmpty else { return }
                let bytes = queuedBytes, lines = queuedLines
                queuedBytes.removeAll(keepingCapacity: true)
                queuedLines.removeAll(keepingCapacity: true)
                try bytes.withUnsafeBufferPointer { all in
                    try settleQueued(queuedTable, lines: lines.map { ($0.number, UnsafeBufferPointer(rebasing: all[$0.range])) }, deferred: next)
                }
            }
            try queue.forEach { tableIndex, lineNumber, line in
                let table = changeset.manifest.tables[tableIndex]
                var record = try ChangesetReader.decode(line, table: table.name, file: table.file, lineNumber: lineNumber)
                if spellings.renamesRecords { spellings.rename(&record, table: table.name) }
                if tableIndex != queuedTable || record.operation == .delete { try flush() }
                let fixupsBefore = reconcilers[tableIndex].cycleFixups.count
                var outcome = try reconcilers[tableIndex].apply(record, line: lineNumber)
                if case .flushFirst = outcome {
                    try flush()
                    outcome = try reconcilers[tableIndex].apply(record, line: lineNumber)
                }
                // A row that went in with a reference left open: its line, in case its parent
                // never comes and the record is rejected as it was written.
                if reconcilers[tableIndex].cycleFixups.count > fixupsBefore {
                    if cycleLines == nil { cycleLines = try SpillFile() }
                    try cycleLines?.append(tableIndex: tableIndex, lineNumber: lineNumber, line: line)
                }
                // A record waiting is applied: it has its parents, and is never put aside again.
                if case .deferred = outcome {} else { applied += 1 }
                if case .queued = outcome {
                    queuedTable = tableIndex
                    queuedLines.append((lineNumber, queuedBytes.count..<(queuedBytes.count + line.count)))
                    queuedBytes.append(contentsOf: line)
                    return
                }
                if outcome.isWrittenInFileOrder { try flush() }
                try handle(outcome, record: record, tableIndex: tableIndex, lineNumber: lineNumber, line: line, deferred: next)
            }
            try flush()
            if final { break }
            if breakCycles {
                breakCycles = false
            } else if applied == 0 {
                if brokeCycles { final = true } else { breakCycles = true; brokeCycles = true }
            }
            queue = next
        }
        for reconciler in reconcilers { reconciler.breakingCycles = false }
        try settleCycleFixups()
    }

    /// Points the references that were NULL to break cycles at their parents. A row whose
    /// parent never arrived is taken out again and rejected, so it is not left half-linked;
    /// so are the rows this import inserted that point at it, transitively (a report line
    /// whose manager was rejected: the staff it manages). A row that was here before and now
    /// points at it cannot be taken out: the import is refused then, with nothing applied.
    private mutating func settleCycleFixups() throws {
        context.pending = []
        var takenOut = Set<String>()
        for (tableIndex, reconciler) in reconcilers.enumerated() {
            let failed = try reconciler.resolveCycleFixups()
            guard !failed.isEmpty else { continue }
            let originals = try originalLines(of: tableIndex, numbers: Set(failed.map(\.0.line)))
            for (fixup, rejection) in failed {
                try takeOut(tableIndex, key: fixup.key, line: fixup.line, rejection: rejection, fixup: fixup, original: originals[fixup.line], done: &takenOut)
            }
        }
    }

    /// The lines, as the changeset has them, of the records of table `tableIndex` numbered
    /// `numbers` whose rows went in with a reference left open.
    private func originalLines(of tableIndex: Int, numbers: Set<Int>) throws -> [Int: [UInt8]] {
        var found: [Int: [UInt8]] = [:]
        try cycleLines?.forEach { table, number, line in
            if table == tableIndex, numbers.contains(number) { found[number] = Array(line) }
        }
        return found
    }

    /// Takes out a row this import inserted, and first every row it inserted that points at
    /// it, each counted and written as a reject.
    /// `cause`: the rejected record the chain started at, which a row taken out with it
    /// names (its own line is not known here: 0 in the rejects file).
    /// `original`: the record's own line, when it is known (a row that broke a cycle): the
    /// reject is that line, as the changeset had it, keys, versions and all.
    private mutating func takeOut(_ tableIndex: Int, key: [Value], line: Int, rejection: Rejection, fixup: TableReconciler.CycleFixup? = nil,
                                  original: [UInt8]? = nil, cause: String? = nil, done: inout Set<String>) throws {
        let reconciler = reconcilers[tableIndex]
        func mark(_ table: TableDefinition, _ key: [Value]) -> String { table.name + "\u{0}" + String(decoding: PortableRow.rowKey(key), as: UTF8.self) }
        guard done.insert(mark(reconciler.target, key)).inserted else { return }
        let undone = cause ?? "table \(reconciler.target.name), line \(line): \(rejection.reason.rawValue)"
        // The row as it was written here (its references as this store's ids), so the
        // rejects file can be fixed and imported into this store again; read before the rows
        // pointing at it go, which may clear its own reference (a cycle, below).
        var written = try reconciler.access.values(reconciler.target.columnNames, at: key)
        for (childIndex, child) in reconcilers.enumerated() {
            for reference in child.target.references where reference.table.lowercased() == reconciler.target.name.lowercased() {
                guard let values = try reconciler.access.values(reference.to, at: key), !values.contains(where: \.isNull) else { continue }
                for dependent in try child.access.keys(where: reference.columns, equal: values, limit: Int(Int32.max)) {
                    if childIndex == tableIndex && dependent == key { continue } // a row pointing at itself
                    if done.contains(mark(child.target, dependent)) {
                        // A row of this chain still being taken out, further up (a cycle): its
                        // reference to this row goes first, or a store that checks foreign keys
                        // at once (PostgreSQL) refuses this row's delete. A NOT NULL one is
                        // checked at commit (it held a placeholder), when both are gone.
                        if child.target.allowsNull(reference.columns) {
                            try child.access.update(at: dependent, reference.columns, reference.columns.map { _ in .null })
                        }
                        continue
                    }
                    // Inserted by this import: every row of a table that was empty, else as the key map recorded it.
                    let insertedHere = try emptyAtStart.contains(child.target.name.lowercased()) || context.keyMap.isReassigned(table: child.target.name, key: dependent)
                    guard insertedHere else {
                        throw FerryError(.data, "a row of \(child.target.name) that was here before now points at a row of a cycle that had to be taken out because its partner in the cycle was rejected (\(undone)). Nothing was imported. Fix the record named (its line in that table's file, and why it was refused), then import again.")
                    }
                    try takeOut(childIndex, key: dependent, line: 0, rejection: Rejection(reason: .missingParent,
                        message: "it points at a row of \(reconciler.target.name) that was taken out with the record rejected at \(undone); import it again once that record is fixed"),
                        cause: undone, done: &done)
                }
            }
        }
        // The reference the cycle left NULL goes back to what the record said, with its identity.
        var brokenReference: (column: String, identity: Record.ReferenceIdentity)?
        if let fixup, var row = written {
            let reference = reconciler.references[fixup.referenceIndex].reference
            for (column, value) in zip(reference.columns, fixup.raw) {
                if let index = reconciler.target.columnNames.firstIndex(of: column) { row[index] = value }
            }
            written = row
            brokenReference = fixup.identity.map { (reference.columns[0], $0) }
        }
        do {
            try reconciler.undoInsert(at: key)
        } catch let error as FerryError where error.storeFailure?.kind == .constraint {
            // A store that checks foreign keys at once refuses the delete itself.
            throw FerryError(.data, "rows of table \(reconciler.target.name) point at a row of a cycle that had to be taken out because its partner in the cycle was rejected (\(undone)). Nothing was imported. Fix the record named (its line in that table's file, and why it was refused), then import again.",
                             storeFailure: error.storeFailure, detail: error.detail ?? error.message)
        }
        undoneCycleRows.append(undone)
        results[tableIndex].counts.inserted -= 1
        results[tableIndex].counts.rejected += 1
        let table = tables[tableIndex]
        if let original {
            try original.withUnsafeBufferPointer {
                try rejects.write(line: $0, table: table.name, match: table.definition.fallbackMatchSets, lineNumber: line, rejection: rejection)
            }
            return
        }
        var rejected = JSONBuffer()
        rejected.append(raw: #"{"op":"upsert","keys":"#)
        rejected.appendObject(zip(reconciler.target.primaryKey, key).map { ($0, $1) })
        if let written {
            rejected.append(raw: #","row":"#)
            rejected.appendObject(zip(reconciler.target.columnNames, written).map { ($0, $1) })
        }
        if let (column, identity) = brokenReference {
            rejected.append(raw: #","refs":{"#)
            rejected.appendString(column)
            rejected.append(raw: #":{"table":"#)
            rejected.appendString(identity.table)
            rejected.append(raw: #","cloudId":"#)
            rejected.appendValue(identity.cloudId)
            rejected.append(raw: #","keys":"#)
            rejected.appendObject(identity.keys)
            rejected.append(raw: "}}")
        }
        rejected.append(UInt8(ascii: "}"))
        try rejected.withBytes {
            try rejects.write(line: $0, table: table.name, match: table.definition.fallbackMatchSets, lineNumber: line, rejection: rejection)
        }
    }
}
