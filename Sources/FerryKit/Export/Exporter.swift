import Crypto
import Foundation

/// Options of `ferry export`.
public struct ExportOptions: Sendable {
    /// Only these tables (nil: every user table).
    public var tables: [String]?
    public var profile: Profile
    /// gzip level; 1 by default: ~2.5x faster than 6 for ~12% larger files (docs/decisions.md).
    public var compressionLevel: Int
    /// Replace an existing output.
    public var force: Bool
    /// Ship only rows inserted, changed or deleted since the last export (needs a sync book).
    public var incremental: Bool
    /// With `incremental`: the changeset id this export continues, any earlier export of this store (nil: the last one).
    public var since: String?
    /// `--sign`: the manifest is signed with this key (`manifest.sig`).
    public var signingKey: SigningKey?
    /// `--where`: only these rows, with the rows they point at (a support ticket's case).
    public var filters: [RowFilter] = []
    /// `--with-children`: also the rows that point at the selected ones, transitively.
    public var withChildren = false
    /// `--redact`: columns whose values never leave the source as they are.
    public var redaction: Redaction?

    /// Rows a batch holds when the first export of a table into an empty sync book encodes
    /// on a second thread while the scan goes on; nil: everything on the scanning thread
    /// (tests compare the two).
    package var encodingBatchRows: Int? = 256
    /// Tests: the cloudIds the book gives rows without one come from this seed, not at random.
    package var cloudIdSeed: UInt64?

    /// A ticket's changeset (filtered or redacted) is a snapshot of a case, not a step of
    /// sync: it neither reads nor writes the sync book, and its records carry no hashes or
    /// bases (a base's column digests would let a guess at a redacted value be checked).
    var isTicket: Bool { !filters.isEmpty || redaction != nil }

    public init(tables: [String]? = nil, profile: Profile = .empty, compressionLevel: Int = 1, force: Bool = false, incremental: Bool = false, since: String? = nil,
                signingKey: SigningKey? = nil) {
        self.signingKey = signingKey
        self.tables = tables
        self.profile = profile
        self.compressionLevel = compressionLevel
        self.force = force
        self.incremental = incremental || since != nil
        self.since = since
    }
}

/// What an export wrote.
public struct ExportSummary: Sendable {
    public var path: String
    public var manifest: Manifest
}

/// Streams every table of a store into a changeset, from one read snapshot.
public final class Exporter {
    private let store: Store
    private let options: ExportOptions
    /// The options' profile, including the bookkeeping tables `--tables` names explicitly.
    private let profile: Profile
    private let observer: ProgressObserver? // strong: the CLI hands over a fresh one and keeps no reference
    /// Whether a record carries `was` (format version 3): a Ferry that reads only version 2
    /// then refuses the changeset by its version, not at the first such record.
    private var wroteFormerIdentity = false

    public init(store: Store, options: ExportOptions, observer: ProgressObserver? = nil) {
        self.store = store
        self.options = options
        self.observer = observer
        var profile = options.profile
        profile.include += (options.tables ?? []).filter { Profile.bookkeepingTables.contains($0.lowercased()) }
        self.profile = profile
    }

    public func export(to outputPath: String) throws -> ExportSummary {
        if options.isTicket && options.incremental {
            throw FerryError(.usage, "--where and --redact make a snapshot of a case, which continues no chain: leave out --incremental and --since.")
        }
        if !options.filters.isEmpty && options.tables != nil {
            throw FerryError(.usage, "--where exports the selected rows with every row they point at, in whatever tables those are: leave out --tables.")
        }
        if options.withChildren && options.filters.isEmpty {
            throw FerryError(.usage, "--with-children adds the rows that point at a selection: give the selection with --where TABLE:CONDITION.")
        }
        let writer = try ChangesetWriter(outputPath: outputPath, force: options.force)
        let book = options.isTicket ? nil : try store.syncBook(create: false)
        var previous: String?
        // The change counter of the changeset this export continues: entries changed after
        // it ship. nil for a full export.
        var watermark: Int64?
        if options.incremental {
            guard let book else {
                throw FerryError(.usage, "\(store.displayName) keeps no sync book, so Ferry cannot tell what changed. Run `ferry prepare --db \(store.filePath != nil ? store.displayName : "URI")`, export in full once, then export incrementally.")
            }
            guard let last = try book.state(SyncState.lastExport) else {
                throw FerryError(.usage, "\(store.displayName) has not been exported since it was prepared. Export in full once; later exports can be incremental.")
            }
            let since = options.since?.lowercased() ?? last
            // A book from before versions knows only its last export, as of counter 0.
            guard let mark = try book.exportSequence(of: since) ?? (since == last ? 0 : nil) else {
                throw FerryError(.usage, "--since \(since) is not a changeset exported from \(store.displayName) (or it was exported before this version of Ferry kept a record of each export). Name one of its exports, or export in full.")
            }
            previous = since
            watermark = mark
        }
        let changesetId = UUID().uuidString.lowercased()
        // With a sync book, export records what crossed, so it runs in a write transaction
        // (still one snapshot); without one it only reads.
        let body = { () throws -> Manifest in
            // Without a book nothing is looked up per row, so ranges of a table can be scanned
            // on both cores, from a second connection on the same snapshot when the store has one.
            let connections = try book == nil && self.options.filters.isEmpty ? ScanConnections([self.store] + (self.store.openSnapshotReader().map { [$0] } ?? [])) : nil
            var profile = self.profile
            var all = try self.store.tables(profile: profile)
            var warnings: [String] = []
            var redaction: RedactionPlan?
            if let wanted = self.options.redaction {
                let plan = try RedactionPlan(wanted, tables: all)
                // A dropped column leaves the changeset as a skipped one does.
                var drops = false
                for table in all where !plan.dropped(from: table).isEmpty {
                    profile.tables[table.name, default: Profile.Table()].skip = (profile.tables[table.name]?.skip ?? []) + plan.dropped(from: table)
                    drops = true
                }
                if drops { all = try self.store.tables(profile: profile) }
                warnings += plan.warnings
                redaction = plan
            }
            let tables = try self.selectedTables(from: all)
            try UnicodeNames.refuseLookalikeColumns(in: tables, place: self.store.displayName)
            // PostgreSQL's "Users" beside users: a changeset names each once in any case (its
            // files too, on a file system that ignores case), and no import could tell them apart.
            for (index, table) in tables.enumerated() {
                if let twin = tables[..<index].first(where: { $0.name.lowercased() == table.name.lowercased() }) {
                    throw FerryError(.schema, "\(self.store.displayName) has tables \"\(twin.name)\" and \"\(table.name)\", whose names differ only in case: a changeset names tables in any case, so no import could tell them apart. Export them apart (--tables), or rename one.")
                }
            }
            let selection = self.options.filters.isEmpty ? nil
                : try RowSelection.build(store: self.store, tables: all, filters: self.options.filters, withChildren: self.options.withChildren)
            warnings += selection?.warnings ?? []
            var entries: [ManifestTable] = []
            // The first export after `prepare` fills an empty book: its identity index is
            // built once at the end instead of growing by a random insert per row.
            let deferredIndex = try book?.deferIdentityIndexIfEmpty() ?? false
            for table in tables {
                let lacking = try self.store.schemaNotCarried(of: table.name)
                if !lacking.isEmpty {
                    warnings.append("table \(table.name) has \(lacking.joined(separator: " and ")) that the changeset does not carry: a store that creates the table from it will lack them. Add them there by hand if the copy must refuse what this table refuses.")
                }
            }
            for table in ForeignKeyOrder.sorted(tables) {
                entries.append(try self.export(table, into: writer, allTables: all, book: book, since: watermark, connections: connections, selection: selection,
                                               redactor: redaction.flatMap { plan in { plan.cellRules(for: $0, table: table.name) } }))
                // In a store with a book the export gives such rows a cloudId itself.
                if selection == nil, book == nil || table.primaryKey.isEmpty, let column = table.cloudId {
                    let missing = try self.store.nullCount(of: column, in: table.name)
                    if missing > 0 {
                        warnings.append("\(counted(missing, "row")) of \(table.name) \(missing == 1 ? "has" : "have") no \(column); they will match by natural keys only. Run `ferry prepare --db \(self.store.filePath != nil ? self.store.displayName : "URI")` to give them one.")
                    }
                }
            }
            if deferredIndex { try book?.buildIdentityIndex() }
            try book?.setState(SyncState.lastExport, changesetId)
            try book?.recordExport(changesetId)
            var manifest = self.makeManifest(id: changesetId, tables: entries, profile: ResolvedProfile(tables: tables, profile: profile).profile,
                                             incrementalTo: previous, warnings: warnings)
            manifest.redaction = redaction?.manifest
            if self.wroteFormerIdentity { manifest.formatVersion = Manifest.formerIdentityVersion }
            if selection != nil {
                manifest.mode = Manifest.selectionMode
                manifest.selection = ManifestSelection(filters: self.options.filters.map { .init(table: $0.table, condition: redaction == nil ? $0.condition : nil) },
                                                       withChildren: self.options.withChildren)
            }
            try writer.seal(manifest, signingKey: self.options.signingKey)
            return manifest
        }
        let manifest = try book == nil ? store.withReadSnapshot(body) : store.withTransaction(body)
        do {
            try writer.publish()
        } catch let error as FerryError where book != nil {
            throw error.rephrased("\(error.message) The sync book already counts export \(changesetId); export again (in full, or --since a changeset the peer has).")
        }
        return ExportSummary(path: writer.outputPath, manifest: manifest)
    }

    private func selectedTables(from all: [TableDefinition]) throws -> [TableDefinition] {
        guard let wanted = options.tables else { return all }
        return try wanted.map { name in
            guard let table = all.first(where: { $0.name == name }) ?? all.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                let known = all.map(\.name).joined(separator: ", ")
                throw FerryError(.usage, "table \(name) is not in \(store.displayName) (or is excluded). Tables: \(known).")
            }
            return table
        }
    }

    private func export(_ table: TableDefinition, into writer: ChangesetWriter, allTables: [TableDefinition], book: SyncBook?, since watermark: Int64?,
                        connections: ScanConnections?, selection: RowSelection?, redactor makeRedactor: ((RecordEncoder) -> CellRedactor?)?) throws -> ManifestTable {
        let (file, fileName) = try writer.tableWriter(for: table, level: options.compressionLevel)
        let encoder = RecordEncoder(table: table, tables: allTables, hiddenRowKey: store.hiddenRowKey(of: table))
        let redactor = makeRedactor?(encoder)
        let selected = selection.map { $0.keys[table.name] ?? [] }
        var ticker = ProgressTicker(observer: observer, task: "export \(table.name)", total: try selected?.count ?? store.rowCount(table.name))
        let rows: Int
        if let selected, let selection {
            rows = try exportSelected(table, keyColumns: selection.keyColumns[table.name] ?? [], keys: selected, encoder: encoder, redactor: redactor,
                                      into: file, ticker: &ticker)
        } else if let connections, let positions = try store.scanPositions(of: table) {
            rows = try exportInRanges(table, positions: positions, encoder: encoder, redactor: redactor, connections: connections, into: file, ticker: &ticker)
        } else {
            rows = try exportInOneScan(table, allTables: allTables, encoder: encoder, redactor: redactor, book: book, since: watermark, into: file, ticker: &ticker)
        }
        ticker.finish()
        let (bytes, sha256) = try file.finish()
        // How the source keeps its moments, where it keeps them as counts: a store that
        // keeps them otherwise reads each count in the column's unit.
        var definition = table
        let units = try store.epochUnits(of: table)
        for index in definition.columns.indices { definition.columns[index].epochUnit = units[definition.columns[index].name] }
        var entry = ManifestTable(definition: definition, file: fileName, rows: rows, bytes: bytes, sha256: sha256)
        // The counter is the largest id handed out: a value of the key, which a redacted key must not show.
        let keyRedacted = table.primaryKey.contains { redactor?.covers(column: $0, in: encoder) == true }
        entry.sequence = keyRedacted ? nil : try store.autoincrementSequence(of: table.name)
        return entry
    }

    /// One scan on this thread: for a store's sync book, which is read and written per row
    /// inside the export's transaction, and for tables that cannot be cut into ranges.
    private func exportInOneScan(_ table: TableDefinition, allTables: [TableDefinition], encoder: RecordEncoder, redactor: CellRedactor?, book: SyncBook?, since watermark: Int64?, into file: GzipFileWriter,
                                 ticker: inout ProgressTicker) throws -> Int {
        var line = JSONBuffer(capacity: GzipFileWriter.lineBufferCapacity)
        var rows = 0
        // Rows without a primary key cannot be told apart later; they travel without a base.
        let tracked = book != nil && !table.primaryKey.isEmpty
        let portable = PortableRow(table: table)
        let keyIndexes = table.primaryKey.compactMap { table.columnNames.firstIndex(of: $0) }
        let columnIndex = Dictionary(table.columnNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let portableIndexes = portable.columns.map { columnIndex[$0.name]! }
        // The first export after `prepare` finds the book empty: no lookups per row then.
        let bookKnowsTable = try tracked && book?.hasEntries(table: table.name) == true
        var generator = options.cloudIdSeed.map { CloudIdGenerator(seed: $0) } ?? CloudIdGenerator()
        // A parent the application inserted after `prepare` has its cloudId in this book
        // only (its table was exported first): references to it carry that cloudId, so every
        // store names the parent alike, whatever its ids.
        let parentCloudId: RecordEncoder.ParentCloudId? = book.map { book in { parent, key in
            guard let entry = try? book.entry(table: parent, rowKey: PortableRow.rowKey(key)), !entry.deleted else { return nil }
            return PortableRow.cloudId(inIdentity: entry.identity)
        } }
        if tracked, let book {
            // Deletes travel first: a row deleted and made again under the same natural key
            // (an order re-entered) must be deleted in the target before its successor
            // arrives, not after. A full export carries every tombstone the book keeps, an
            // incremental one those recorded since the changeset it continues: a peer that
            // still has the row, or gets a stale copy of it later, learns of the delete.
            try book.tombstones(of: table.name, after: watermark) { entry in
                try Self.appendTombstone(entry, to: &line)
                rows += 1
            }
        }
        // Rows that crossed before and are gone now (deleted here since the last export)
        // ship next, before any row of the scan. Finding them costs a seek into the table per
        // entry, so it waits for the first row the scan cannot skip as unchanged: until then
        // nothing was written after the tombstones and the book is as it was. A scan that
        // skipped every row finds none gone when it met each live entry once.
        var vanishedShipped = !tracked
        func shipVanished() throws {
            guard !vanishedShipped, let book else { return }
            vanishedShipped = true
            try book.vanished(from: table) { entry in
                // Its row moved to a key the book does not know yet (id 1 became 10): not gone;
                // the row met there goes on from this entry.
                if let cloudId = PortableRow.cloudId(inIdentity: entry.identity), try self.rowHolds(cloudId: cloudId, in: table) { return }
                var gone = entry
                gone.versions = entry.versions.bumped(book.storeId)
                try Self.appendTombstone(gone, to: &line)
                try book.markDeleted(table: table.name, rowKey: entry.rowKey, versions: gone.versions)
                rows += 1
            }
        }
        var skippedUnchanged = 0
        // Rows with a NULL in their key may share one entry: the count proves nothing then.
        var skippedWithNullKey = false
        func skipUnchanged(_ cursor: RowCursor) {
            skippedUnchanged += 1
            if !skippedWithNullKey, keyIndexes.contains(where: { cursor.isNull(at: $0) }) { skippedWithNullKey = true }
        }
        let scanWidth = encoder.scanWidth
        var cells = JSONBuffer(capacity: 1024)
        // The shape the cells are read in: a fingerprint taken under another schema or
        // profile (a column added, a parent's natural key changed) never matches.
        let shape = XXHash64.hash(Array((encoder.scanColumns + encoder.joins.flatMap { [$0.reference.table] + $0.parentColumns }
            + portable.columns.map(\.name)).joined(separator: "\u{0}").utf8))
        // An incremental export reads each row's entry in the scan itself (one statement,
        // no lookup per row from here); the book is asked by key only when the join found
        // none.
        let bookJoin = watermark != nil && bookKnowsTable ? try book?.scanKey(of: table.name) : nil
        let scan: ((RowCursor) throws -> Void) throws -> Void = { body in
            if let bookJoin {
                try self.store.scan(table, columns: encoder.scanColumns, joining: encoder.joins, withBookEntriesOf: bookJoin, body)
            } else {
                try self.store.scan(table, columns: encoder.scanColumns, joining: encoder.joins, body)
            }
        }
        // The first export after `prepare` finds no entry of the table: each row's book
        // entry and record follow from the row alone, and are made on a second thread. Not
        // for a table that points at itself: a row added after `prepare` names its parent
        // in the same table by the cloudId the book gave that parent a few rows before,
        // which the second thread has not handed back yet (found by a tester).
        let pointsAtItself = table.references.contains { $0.table.lowercased() == table.name.lowercased() }
        if tracked, let book, !bookKnowsTable, !pointsAtItself, let batchRows = options.encodingBatchRows {
            try shipVanished()
            rows += try exportFillingBook(table, allTables: allTables, encoder: encoder, book: book, portable: portable, portableIndexes: portableIndexes, keyIndexes: keyIndexes, shape: shape,
                                          parentCloudId: parentCloudId, generator: generator, batchRows: batchRows, line: &line, into: file, ticker: &ticker)
            try line.withBytes { try file.write($0) }
            return rows
        }
        try scan { cursor in
            if tracked, let book {
                // The row's fingerprint: its cells as stored, its parents' joined ones too.
                // A row pointing at a parent whose cloudId only the book holds has none.
                cells.removeAll()
                for index in 0..<scanWidth { cursor.appendRaw(at: index, to: &cells) }
                let fingerprint: Int64? = encoder.pointsAtParentWithoutCloudId(cursor)
                    ? nil : Int64(bitPattern: cells.withBytes { XXHash64.hash(UnsafeRawBufferPointer($0)) } ^ shape)
                // Most rows of an incremental export are unchanged since the changeset it
                // continues (no change recorded after it): the same fingerprint says so
                // without the portable form, the same hash with it.
                func unchangedSinceWatermark(_ sequence: Int64, _ known: Int64?) -> Bool {
                    guard let watermark, let fingerprint else { return false }
                    return sequence <= watermark && known == fingerprint
                }
                var seen: (hash: String, sequence: Int64, fingerprint: Int64?)?
                if bookJoin != nil, case .integer(let sequence) = cursor.value(at: scanWidth + 1) {
                    var known: Int64?
                    if case .integer(let value) = cursor.value(at: scanWidth + 2) { known = value }
                    if unchangedSinceWatermark(sequence, known) { return skipUnchanged(cursor) }
                    switch cursor.value(at: scanWidth) {
                    case .integer(let bits): seen = (PortableRow.hex(UInt64(bitPattern: bits)), sequence, known)
                    case let other: seen = (other.string ?? "", sequence, known) // a version 1 hash, kept as text
                    }
                }
                let rowKey = PortableRow.rowKey(keyIndexes.map { cursor.value(at: $0) })
                if seen == nil, watermark != nil, bookKnowsTable {
                    seen = try book.hash(table: table.name, rowKey: rowKey)
                    if let seen, unchangedSinceWatermark(seen.sequence, seen.fingerprint) { return skipUnchanged(cursor) }
                }
                try shipVanished()
                let form = portable.encode(isNull: { cursor.isNull(at: portableIndexes[$0]) }, append: { cursor.appendJSON(at: portableIndexes[$0], to: &$1) },
                                           identity: { encoder.parentIdentity($0, cursor, parentCloudId: parentCloudId) }, keepingBytes: false)
                let hash = form.hash
                // The same portable form, though its cells moved (the fingerprint did not
                // match): unchanged. (A cloudId rewritten in place is no change of the form
                // either, and is not shipped: shipping it as another row's delete and insert
                // lost rows that swapped cloudIds; docs/decisions.md, "Sync book v2".)
                if let seen, let watermark, seen.hash == hash, seen.sequence <= watermark {
                    if let fingerprint, seen.fingerprint != fingerprint { try book.setFingerprint(table: table.name, rowKey: rowKey, fingerprint) }
                    // A row whose cloudId column was cleared: the book's identity index must
                    // find its entry now, the table's cannot.
                    if encoder.cloudIdIndex.map({ cursor.isNull(at: $0) }) == true,
                       var entry = try book.entry(table: table.name, rowKey: rowKey), entry.inTable {
                        entry.inTable = false
                        try book.record(table: table.name, entry: entry)
                    }
                    return
                }
                // A tombstone at this key belonged to a deleted row: this one is new, with no base.
                let atKey = bookKnowsTable ? try book.entry(table: table.name, rowKey: rowKey) : nil
                let known = atKey.flatMap { $0.deleted ? nil : $0 }
                // A row the application inserted after `prepare` has no cloudId. The book gives
                // it one, kept with its entry, and ships it; the application's row is not written.
                var assigned: Value?
                if let index = encoder.cloudIdIndex, cursor.isNull(at: index) {
                    assigned = known.flatMap { PortableRow.cloudId(inIdentity: $0.identity) } ?? .text(generator.next())
                }
                let identity = encoder.identity(cursor, assignedCloudId: assigned, parentCloudId: parentCloudId)
                // The application handed a deleted row's key to this one: the tombstone moves
                // aside, or this row's entry would overwrite it and a store that has not yet
                // taken the delete (a hub's other spoke) would never get it.
                if let tombstone = atKey, tombstone.deleted, tombstone.identity != identity {
                    try book.retire(table: table.name, rowKey: rowKey, unless: identity, shipped: true)
                }
                var entry = known
                // Another logical row took this key (the application handed it out again): the
                // old row's delete ships first, and its entry moves aside as a tombstone. Only
                // two different cloudIds say so: a row whose natural key was edited changes its
                // key identity too, and is the same row, which a delete would take from the
                // other side with its children (ON DELETE CASCADE).
                if let old = entry, old.identity != identity, let oldCloudId = PortableRow.cloudId(inIdentity: old.identity),
                   PortableRow.cloudId(inIdentity: identity) != nil {
                    if try rowHolds(cloudId: oldCloudId, in: table) {
                        // The old row is still here, under another key (two rows swapped
                        // their ids): it moved, and nothing was deleted. Its entry waits
                        // aside, alive, for its row to be met under the new key; a delete
                        // shipped here took that row from the other side for good.
                        try book.retire(table: table.name, rowKey: rowKey, unless: identity, shipped: false)
                    } else {
                        var gone = old
                        gone.versions = old.versions.bumped(book.storeId)
                        try Self.appendTombstone(gone, to: &line)
                        rows += 1
                        try book.markDeleted(table: table.name, rowKey: rowKey, versions: gone.versions)
                        try book.retire(table: table.name, rowKey: rowKey, unless: identity, shipped: true)
                    }
                    entry = nil
                }
                // A new row, or a version the book has not seen: a change made here. A new row
                // under the identity of a deleted one (an order entered again under its
                // number) comes after that delete, so its versions start from the tombstone's.
                // A row that moved here from another key (its entry still there, or aside)
                // goes on from that entry, which then goes.
                var versions = entry?.versions ?? VersionVector()
                var movedFrom: [UInt8]?
                if entry == nil, bookKnowsTable {
                    for other in try book.entries(table: table, identity: identity) {
                        if other.deleted {
                            versions = versions.joined(other.versions)
                        } else if other.rowKey != rowKey, table.cloudIdIsUnique, PortableRow.cloudId(inIdentity: identity) != nil, movedFrom == nil {
                            // (Only where one row can hold a cloudId: two rows sharing one
                            // would take each other's entries in turn.)
                            versions = versions.joined(other.versions)
                            entry = other
                            movedFrom = other.rowKey
                        }
                    }
                }
                if entry?.hash != hash { versions = versions.bumped(book.storeId) }
                // The row's natural key is no longer the one the book knew at its key: the key
                // was edited, or the row was deleted and the application handed its id to a
                // new one. Where ids differ between stores the other side finds the row by
                // that old key alone (`was`): it takes the new values, and either way ends as
                // this side is.
                let was = entry.flatMap { PortableRow.formerKeys(old: $0.identity, new: identity) }
                if let old = entry, was != nil {
                    wroteFormerIdentity = true
                    // The old key stays known as gone here: a copy of the row under it, from a
                    // store that has not heard of the change, is stale and stays out.
                    try book.recordTombstone(table: table.name, identity: old.identity, hash: old.hash, digests: old.digests, versions: versions)
                }
                encoder.append(cursor, to: &line, sync: (hash, entry?.digests, versions), was: was, assignedCloudId: assigned, parentCloudId: parentCloudId)
                // The row holds its identity's cloudId: the table's index finds it, the book's
                // identity index need not (an entry whose row lost it must go back there).
                let inTable = table.cloudIdIsUnique && assigned == nil && encoder.cloudIdIndex.map { !cursor.isNull(at: $0) } == true
                if entry?.hash != hash || entry?.identity != identity || (entry?.inTable == true && !inTable) || movedFrom != nil { // an unchanged row's entry stays as it is
                    var recorded = SyncBookEntry(rowKey: rowKey, identity: identity, hash: hash, digests: form.digests, versions: versions)
                    recorded.fingerprint = fingerprint
                    recorded.inTable = inTable
                    // The first export after `prepare` finds no entry at any key.
                    if bookKnowsTable { try book.record(table: table.name, entry: recorded) } else { try book.recordNew(table: table.name, entry: recorded) }
                    if let movedFrom, movedFrom != rowKey { try book.remove(table: table.name, rowKey: movedFrom) }
                } else if let fingerprint, entry?.fingerprint != fingerprint {
                    try book.setFingerprint(table: table.name, rowKey: rowKey, fingerprint)
                }
            } else {
                encoder.append(redactor?.wrap(cursor) ?? cursor, to: &line)
            }
            rows += 1
            ticker.advance()
            try Self.handOverIfFull(&line, to: file)
        }
        if !vanishedShipped, let book {
            if try skippedWithNullKey || book.liveEntryCount(table: table.name) != skippedUnchanged { try shipVanished() }
        }
        try line.withBytes { try file.write($0) }
        return rows
    }

    /// The first export of a table into an empty sync book: this thread scans, copies each
    /// row with its key and fingerprint, and writes the book's entries; a second thread
    /// encodes the portable forms and record lines of the batch before. The lines and
    /// entries are those of the one-thread path (`FirstExportOnTwoThreadsTests`). Returns the rows written.
    private func exportFillingBook(_ table: TableDefinition, allTables: [TableDefinition], encoder: RecordEncoder, book: SyncBook, portable: PortableRow, portableIndexes: [Int], keyIndexes: [Int],
                                   shape: UInt64, parentCloudId: RecordEncoder.ParentCloudId?, generator: CloudIdGenerator, batchRows: Int, line: inout JSONBuffer, into file: GzipFileWriter,
                                   ticker: inout ProgressTicker) throws -> Int {
        let valueIndexes = Array(Set(encoder.valueIndexes + keyIndexes)).sorted()
        let batchRows = max(1, batchRows)
        let width = encoder.scanWidth
        // The encoding thread gets an encoder and portable form of its own: shared, their
        // objects' reference counts went back and forth between the cores on every row.
        let worker = BookFillingEncoder(cloudIdIsUnique: table.cloudIdIsUnique, encoder: RecordEncoder(table: table, tables: allTables, hiddenRowKey: store.hiddenRowKey(of: table)),
                                        portable: PortableRow(table: table), portableIndexes: portableIndexes.map { $0 },
                                        versions: VersionVector().bumped(book.storeId), packer: book.newEntryPacker, generator: generator, makeBatch: {
            EncodedBatch(CapturedRows(width: width, valueIndexes: valueIndexes, expectedRows: batchRows), lineCapacity: 512 * batchRows)
        })
        var batch = worker.emptyBatch()
        var pending: EncodedBatch?
        // A batch on the worker reads only its own rows; it is waited for all the same, so
        // no thread outlives a failed export.
        defer { pending?.done.wait() }
        var rows = 0
        func settle(_ encoded: EncodedBatch) throws {
            encoded.done.wait()
            for entry in encoded.entries { try book.recordNew(table: table.name, packed: entry) }
            rows += encoded.entries.count
            encoded.lines.withBytes { line.append(contentsOf: $0) }
            worker.recycle(encoded)
            try Self.handOverIfFull(&line, to: file)
        }
        func submit() throws {
            worker.submit(batch)
            let previous = pending
            pending = batch
            batch = worker.emptyBatch()
            if let previous { try settle(previous) }
        }
        let scanWidth = encoder.scanWidth
        var cells = JSONBuffer(capacity: 1024)
        try store.scan(table, columns: encoder.scanColumns, joining: encoder.joins) { cursor in
            cells.removeAll()
            for index in 0..<scanWidth { cursor.appendRaw(at: index, to: &cells) }
            let fingerprint: Int64? = encoder.pointsAtParentWithoutCloudId(cursor)
                ? nil : Int64(bitPattern: cells.withBytes { XXHash64.hash(UnsafeRawBufferPointer($0)) } ^ shape)
            batch.rows.append(cursor, keyIndexes: keyIndexes, fingerprint: fingerprint, replacing: encoder.bookCloudIds(cursor, parentCloudId: parentCloudId))
            ticker.advance()
            if batch.rows.count >= batchRows { try submit() }
        }
        if batch.rows.count > 0 { try submit() }
        if let last = pending {
            pending = nil
            try settle(last)
        }
        return rows
    }

    /// A buffer of lines that reached a block's size becomes the next gzip block as it is,
    /// without a copy; the caller goes on with a fresh buffer.
    private static func handOverIfFull(_ line: inout JSONBuffer, to file: GzipFileWriter) throws {
        guard line.count >= GzipFileWriter.blockSize else { return }
        let block = FilledBlock(taking: &line)
        try file.write(compressing: { compress in try block.lines.withBytes { try compress(UnsafeRawBufferPointer($0)) } })
    }

    /// The rows of a filtered export, read by key.
    private func exportSelected(_ table: TableDefinition, keyColumns: [String], keys: [[Value]], encoder: RecordEncoder, redactor: CellRedactor?,
                                into file: GzipFileWriter, ticker: inout ProgressTicker) throws -> Int {
        var line = JSONBuffer(capacity: GzipFileWriter.lineBufferCapacity)
        var rows = 0
        try store.scan(table, columns: encoder.scanColumns, joining: encoder.joins, keyColumns: keyColumns, keys: keys) { cursor in
            encoder.append(redactor?.wrap(cursor) ?? cursor, to: &line)
            rows += 1
            ticker.advance()
            if line.count >= GzipFileWriter.blockSize {
                try line.withBytes { try file.write($0) }
                line.removeAll()
            }
        }
        try line.withBytes { try file.write($0) }
        return rows
    }

    /// `{"op":"delete",<identity>,"hash":…,"base":…}`: the delete of the row a book entry remembers.
    static func appendTombstone(_ entry: SyncBookEntry, to line: inout JSONBuffer) throws {
        line.append(raw: #"{"op":"delete""#)
        if case .object(let identity) = try JSONParser.parse(entry.identity) {
            for (key, value) in identity {
                line.append(UInt8(ascii: ","))
                line.appendString(key)
                line.append(UInt8(ascii: ":"))
                line.appendJSON(value)
            }
        }
        RecordEncoder.appendSync(hash: entry.hash, base: entry.digests, versions: entry.versions, to: &line)
        line.append(raw: "}\n")
    }

    /// Whether a row of `table` holds `cloudId` in the table's cloudId column (false for a
    /// table that keeps its cloudIds in the book alone: there is nothing to ask).
    private func rowHolds(cloudId: Value, in table: TableDefinition) throws -> Bool {
        guard let column = table.cloudId else { return false }
        let access: TableAccess
        if let known = cloudIdLookups[table.name] { access = known } else {
            access = try store.makeTableAccess(table)
            cloudIdLookups[table.name] = access
        }
        return try !access.keys(where: [column], equal: [cloudId], limit: 1, nullsEqual: false).isEmpty
    }
    private var cloudIdLookups: [String: TableAccess] = [:]

    /// Cuts the table into position ranges, each scanned, encoded and deflated by one job on
    /// a worker; members land in the file in range order, so the file is the same as one
    /// scan's. Returns the rows written.
    private func exportInRanges(_ table: TableDefinition, positions: ClosedRange<Int64>, encoder: RecordEncoder, redactor: CellRedactor?, connections: ScanConnections,
                                into file: GzipFileWriter, ticker: inout ProgressTicker) throws -> Int {
        let tally = RangeTally(positions: positions, rows: ticker.total ?? 0, targetBytes: GzipFileWriter.blockSize)
        var start = positions.lowerBound
        // The snapshot ends when the export returns or throws: no job may read after that.
        defer { file.abandon() }
        while true {
            let width = tally.nextWidth()
            let (distance, overflow) = positions.upperBound.subtractingReportingOverflow(start)
            let end = !overflow && distance < width ? positions.upperBound : start + (width - 1)
            let range = start...end
            try file.write(compressing: { compress in
                try connections.withStore { reader in
                    var lines = JSONBuffer(capacity: GzipFileWriter.lineBufferCapacity)
                    var rows = 0
                    try reader.scan(table, columns: encoder.scanColumns, joining: encoder.joins, within: range) { cursor in
                        encoder.append(redactor?.wrap(cursor) ?? cursor, to: &lines)
                        rows += 1
                    }
                    tally.record(width: width, rows: rows, bytes: lines.count)
                    return try lines.withBytes { try compress(UnsafeRawBufferPointer($0)) }
                }
            })
            ticker.advance(to: tally.rows)
            if end == positions.upperBound { break }
            start = end + 1
        }
        try file.flush()
        ticker.advance(to: tally.rows)
        return tally.rows
    }

    private func makeManifest(id: String, tables: [ManifestTable], profile: Profile, incrementalTo: String?, warnings: [String]) -> Manifest {
        let schemaText = tables.map(\.definition).sorted { $0.name < $1.name }.map(\.create).joined(separator: "\n")
        let location = store.filePath.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? store.displayName
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return Manifest(
            format: Manifest.formatName,
            formatVersion: Manifest.currentVersion,
            changesetId: id,
            createdAt: formatter.string(from: Date()),
            tool: .init(name: "ferry", version: FerryVersion.current),
            source: .init(
                kind: store.kind,
                name: store.displayName,
                fingerprint: String(SHA256.hash(data: Data("\(store.kind):\(location)".utf8)).hexString.prefix(16)),
                schemaHash: SHA256.hash(data: Data(schemaText.utf8)).hexString),
            mode: incrementalTo == nil ? "full" : "incremental",
            incrementalTo: incrementalTo,
            profile: profile,
            tables: tables,
            warnings: warnings.isEmpty ? nil : warnings)
    }
}

/// A full buffer of encoded lines on its way to a compressing worker; the encoder goes on
/// with a fresh buffer. The buffer is freed with the block, once the worker is done.
private final class FilledBlock: @unchecked Sendable {
    let lines: JSONBuffer

    init(taking buffer: inout JSONBuffer) {
        var fresh = JSONBuffer(capacity: GzipFileWriter.lineBufferCapacity)
        swap(&fresh, &buffer)
        lines = fresh
    }
}
