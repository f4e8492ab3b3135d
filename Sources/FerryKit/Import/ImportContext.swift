/// What every table's reconciler of one import shares: the store, its sync book, the key
/// map, reference resolvers, the conflicts file, and which tables are still to come.
final class ImportContext {
    let store: Store
    let book: SyncBook
    let keyMap: KeyMap
    let conflicts: ConflictsWriter
    /// Target definitions by lowercased name.
    let targets: [String: TableDefinition]
    /// The foreign keys into each table (lowercased name), with the table holding each,
    /// tables taken by name: what a delete meets first (the row its reject names, the order
    /// rows go) is then the same in every run, where a dictionary's order is not.
    let referencesInto: [String: [ChildReference]]
    typealias ChildReference = (child: TableDefinition, reference: Reference)

    static func referencesInto(_ tables: [TableDefinition]) -> [String: [ChildReference]] {
        var into: [String: [ChildReference]] = [:]
        for child in tables.sorted(by: { $0.name.lowercased() < $1.name.lowercased() }) {
            for reference in child.references { into[reference.table.lowercased(), default: []].append((child, reference)) }
        }
        return into
    }
    /// Tables some changeset table points at: their source → target keys are mapped.
    let referenced: Set<String>
    /// With `--prune`: every target row the changeset named, so the others can be deleted.
    var seen: KeySet?
    private var claimed: KeySet?

    /// Rows of tables with no key that a record of this import already matched.
    func claimedRows() throws -> KeySet {
        if let claimed { return claimed }
        let set = try store.makeKeySet(purpose: .claimed)
        claimed = set
        return set
    }
    /// This changeset was applied to this target before: its rows without any identity
    /// (no cloudId, no non-NULL key) were inserted then, and cannot be matched now.
    var alreadyApplied = false
    /// Tables (lowercased) this import created or found empty: a replay into them keeps
    /// the source's hidden row numbers and AUTOINCREMENT counters.
    var emptyAtStart = Set<String>()
    /// Tables (lowercased) whose rows may still arrive in this import.
    var pending = Set<String>()
    /// Deleted rows' children looked up so far, by child table and columns
    /// (`lookingUpChildren`), and the scratch indexes that made for them, dropped before commit.
    var childLookups: [String: Int] = [:]
    var scratchIndexes: [String] = []
    /// The foreign keys into the imported tables from tables of the store the profile
    /// leaves out, which a delete must still honour (`refusalToDelete`).
    var leftOutReferencesInto: [String: [ChildReference]] = [:]
    /// Foreign keys into each table from outside the store's catalog (another schema), by
    /// lowercased name, as a delete first asked.
    var outsideReferences: [String: [OutsideReference]] = [:]
    /// The child tables' columns a batch asked for at once (`prefetchChildren`), whose
    /// answers the next batch drops.
    var childrenPrefetched: [(access: TableAccess, column: String)] = []
    /// Rows the schema's ON DELETE actions deleted or cleared, by table, in the order met.
    var cascaded: [ImportReport.Cascade] = []

    func noteCascade(_ table: String, deleted: Int = 0, cleared: Int = 0) {
        if let index = cascaded.firstIndex(where: { $0.table == table }) {
            cascaded[index].deleted += deleted
            cascaded[index].cleared += cleared
        } else {
            cascaded.append(ImportReport.Cascade(table: table, deleted: deleted, cleared: cleared))
        }
    }
    /// In the last round: tables (lowercased) with records still waiting for a parent. A
    /// child of one waits in a cycle that could not be broken, not for a row that is absent.
    var waitingInLastRound = Set<String>()
    /// Tables (lowercased) that were empty when the import began: the key map holds only
    /// their rows whose target key differs from the source key, so a key it lacks that
    /// exists in the table, and that was not inserted for another source row, is that same
    /// source row (TableReconciler.resolve). Saves a key-map write per row of a replay.
    var keysKept = Set<String>()
    /// Columns this import set to NULL by ON DELETE SET NULL, per row ("table\0rowKey"):
    /// the delete's doing, not an edit here, so a later record of the row does not meet
    /// them as changed on both sides.
    var nulledBySetNull: [String: Set<String>] = [:]

    func nulledColumns(of table: TableDefinition, at key: [Value]) -> Set<String> {
        guard !nulledBySetNull.isEmpty else { return [] }
        return nulledBySetNull[table.name.lowercased() + "\u{0}" + String(decoding: PortableRow.rowKey(key), as: UTF8.self)] ?? []
    }
    /// The changeset's tables, lowercased.
    var tablesInChangeset = Set<String>()
    /// Tables of `keysKept` with at least one mapping in the key map.
    var remapped = Set<String>()
    /// Tables of `keysKept` where a row was inserted under a key other than its source key.
    var reassigned = Set<String>()
    /// Rows of this changeset that were rejected, by table (lowercased) and by their source
    /// key or cloudId: a child pointing at one is rejected naming it, not as "neither in the
    /// target nor in the changeset". Holds only rejects, so it stays small.
    private var rejectedRows: [String: [RejectedRowKey: (line: Int, reason: RejectReason)]] = [:]
    struct RejectedRowKey: Hashable {
        let cloudId: Value?
        let key: [Value]?
    }
    /// Pins by table (lowercased): the source key's text values → the target row's key.
    private var pins: [String: [[String]: [Value]]] = [:]
    /// The pins themselves by table and source key, for messages and the unused-pin check.
    private var pinsBySource: [String: [[String]: Pin]] = [:]
    /// Per table: pinned target keys → the source key pinned there.
    private var pinnedTargets: [String: [[Value]: [String]]] = [:]
    /// Per table: pinned target keys some record merged into, and that record's line.
    private var claimedPinTargets: [String: [[Value]: (source: [String]?, line: Int)]] = [:]
    private var usedPins = Set<[String]>()
    private var resolvers: [String: ReferenceResolver] = [:]
    /// Rows this import found by the natural key their source knew them by before (`was`),
    /// and gave the new one: table (lowercased) → row key → that former key.
    private var formerKeys: [String: [[Value]: [(String, Value)]]] = [:]
    private var accesses: [String: TableAccess] = [:]

    init(store: Store, book: SyncBook, keyMap: KeyMap, conflicts: ConflictsWriter, targets: [String: TableDefinition], referenced: Set<String>) {
        self.store = store
        self.book = book
        self.keyMap = keyMap
        self.conflicts = conflicts
        self.targets = targets
        referencesInto = Self.referencesInto(Array(targets.values))
        self.referenced = referenced
    }

    func noteRejected(table: String, sourceKey: [Value]?, cloudId: Value, line: Int, reason: RejectReason) {
        let name = table.lowercased()
        if let sourceKey { rejectedRows[name, default: [:]][RejectedRowKey(cloudId: nil, key: sourceKey)] = (line, reason) }
        if !cloudId.isNull { rejectedRows[name, default: [:]][RejectedRowKey(cloudId: cloudId, key: nil)] = (line, reason) }
    }

    /// The line and reason of a rejected row of `table` with this source key or cloudId.
    func rejectedRow(table: String, sourceKey: [Value]?, cloudId: Value?) -> (line: Int, reason: RejectReason)? {
        guard let rows = rejectedRows[table.lowercased()] else { return nil }
        if let sourceKey, let found = rows[RejectedRowKey(cloudId: nil, key: sourceKey)] { return found }
        if let cloudId, !cloudId.isNull, let found = rows[RejectedRowKey(cloudId: cloudId, key: nil)] { return found }
        return nil
    }

    /// Checks each pin against the target before anything is written: the table is in the
    /// changeset, the keys have the primary key's width, the target row exists.
    func addPins(_ list: [Pin], changesetTables: [String]) throws {
        for pin in list {
            let place = "\(pin.origin == "--pin" ? "" : "\(pin.origin): ")pin \(pin.text)"
            guard changesetTables.contains(where: { $0.lowercased() == pin.table.lowercased() }), let table = targets[pin.table.lowercased()] else {
                throw FerryError(.usage, "\(place): table \(pin.table) is not in this changeset. Tables: \(changesetTables.joined(separator: ", ")).")
            }
            guard !table.primaryKey.isEmpty, pin.target.count == table.primaryKey.count else {
                throw FerryError(.usage, "\(place): table \(table.name)'s primary key is (\(table.primaryKey.joined(separator: ", "))); give one value per column on each side.")
            }
            let key = zip(table.primaryKey, pin.target).map { column, text -> Value in
                if table.column(named: column)?.hasIntegerAffinity == true, let number = Int64(text) { return .integer(number) }
                return .text(text)
            }
            guard try access(table).values(table.primaryKey, at: key) != nil else {
                throw FerryError(.usage, "\(place): \(table.name) in \(store.displayName) has no row with \(table.primaryKey.joined(separator: ", ")) = \(pin.target.joined(separator: ", ")). Check the target key (the rejects file lists the candidates).")
            }
            let name = table.name.lowercased()
            if let earlier = pinsBySource[name]?[pin.source] {
                throw FerryError(.usage, "\(place): source row \(pin.source.joined(separator: ",")) of \(table.name) is already pinned (\(earlier.origin == "--pin" ? "" : "\(earlier.origin): ")pin \(earlier.text)). Keep one pin per source row.")
            }
            if let other = pinnedTargets[name]?[key], let earlier = pinsBySource[name]?[other] {
                throw FerryError(.usage, "\(place) and pin \(earlier.text) both name target row \(pin.target.joined(separator: ",")) of \(table.name): one target row can stand for one source row only. Pin each source row to its own target row.")
            }
            pins[name, default: [:]][pin.source] = key
            pinsBySource[name, default: [:]][pin.source] = pin
            pinnedTargets[name, default: [:]][key] = pin.source
        }
    }

    /// Notes that a record of `table` is about to be merged into target row `key`. Throws
    /// nothing; returns a rejection when a pin says that row is another source row's.
    func claim(table: String, key: [Value], sourceKey: [Value]?, line: Int, pinned: Bool) -> Rejection? {
        let name = table.lowercased()
        guard let owner = pinnedTargets[name]?[key] else { return nil }
        let source = sourceKey?.map(Pin.text(of:))
        if let claimed = claimedPinTargets[name]?[key], claimed.source != source {
            return Rejection(reason: .ambiguousMatch, message: "target row \(key.map(Pin.text(of:)).joined(separator: ",")) of \(table) was matched already by line \(claimed.line) of this changeset\(pinned ? "" : ", and a pin says it is source row \(owner.joined(separator: ","))"). One target row can stand for one source row only: check the pins.")
        }
        if !pinned && source != owner {
            return Rejection(reason: .ambiguousMatch, message: "this record matches target row \(key.map(Pin.text(of:)).joined(separator: ",")) of \(table), which a pin gives to source row \(owner.joined(separator: ",")). One target row can stand for one source row only: pin this record to another row, or check the pins.")
        }
        claimedPinTargets[name, default: [:]][key] = (source, line)
        return nil
    }

    /// Throws when a pin named a source row that no record of the changeset has: a typo
    /// there would otherwise leave the ambiguity it was meant to settle without a word.
    func checkEveryPinUsed() throws {
        for (table, byTable) in pinsBySource {
            for (source, pin) in byTable where !usedPins.contains([table] + source) {
                throw FerryError(.usage, "\(pin.origin == "--pin" ? "" : "\(pin.origin): ")pin \(pin.text): table \(pin.table) of this changeset has no row with that source key. Check the source key (the rejects file shows each record's row).")
            }
        }
    }

    /// Whether a person pinned any row of `table` (checked before building a source key per record).
    func hasPins(table: String) -> Bool {
        !pins.isEmpty && pins[table.lowercased()] != nil
    }

    /// The target key a person pinned this source key of `table` to.
    func pinnedKey(table: String, sourceKey: [Value]) -> [Value]? {
        guard let tablePins = pins[table.lowercased()] else { return nil }
        let source = sourceKey.map(Pin.text(of:))
        guard let key = tablePins[source] else { return nil }
        usedPins.insert([table.lowercased()] + source)
        return key
    }

    func markSeen(_ table: TableDefinition, _ key: [Value]) throws {
        try seen?.insert(table: table.name, key: key)
    }

    /// One resolver per parent table, so its cache serves every child table.
    func resolver(for table: String) throws -> ReferenceResolver? {
        let key = table.lowercased()
        if let resolver = resolvers[key] { return resolver }
        guard let definition = targets[key] else { return nil }
        let resolver = ReferenceResolver(parent: definition, access: try access(definition), translate: { [unowned self] reference, raw in
            try self.targetKey(of: reference, raw: raw)
        }, bookKey: { [unowned self] cloudId in
            try self.liveKey(in: definition, knownByCloudId: cloudId)
        })
        resolvers[key] = resolver
        return resolver
    }

    /// The target's key of the row a source's raw foreign key points at: the row this
    /// import made of it (key map), or the same key where a table keeps its keys and no row
    /// was moved; nil when the raw id means nothing here.
    func targetKey(of reference: Reference, raw: [Value]) throws -> [Value]? {
        let name = reference.table.lowercased()
        guard let parent = targets[name], parent.primaryKey == reference.to else { return nil }
        if let mapped = try keyMap.lookup(table: parent.name, source: raw) { return mapped }
        if keysKept.contains(name) { return reassigned.contains(name) ? nil : raw }
        // A table this changeset does not hold: the raw id is all there is. Between prepared
        // stores a reference carries a cloudId, which is tried first; a replay shares its
        // source's ids.
        return tablesInChangeset.contains(name) ? nil : raw
    }

    /// The key of the live row of `table` that this store's book knows by `cloudId`.
    func liveKey(in table: TableDefinition, knownByCloudId cloudId: Value) throws -> [Value]? {
        guard table.cloudId != nil, !table.primaryKey.isEmpty else { return nil }
        for entry in try book.entries(table: table, identity: PortableRow.identity(cloudId: cloudId, keys: [])) where !entry.deleted {
            guard let key = PortableRow.keyValues(ofRowKey: entry.rowKey), key.count == table.primaryKey.count,
                  try access(table).values([], at: key) != nil else { continue }
            return key
        }
        return nil
    }

    /// The identity of the row a foreign key holding `values` points at here, as this
    /// store's export writes it in a row's portable form (RecordEncoder.parentIdentity): the
    /// parent's cloudId (or the one the book gave it) and its identity columns. nil when
    /// the key is NULL, its parent is unknown, or the key is no unique key of the parent
    /// (the export writes the raw value then).
    func parentIdentity(_ reference: Reference, values: [Value]) throws -> Record.ReferenceIdentity? {
        guard !values.contains(where: \.isNull), let parent = targets[reference.table.lowercased()],
              parent.primaryKey == reference.to || parent.matchSets.contains(reference.to) || reference.to == [parent.cloudId].compactMap({ $0 })
        else { return nil }
        let access = try self.access(parent)
        guard let key = try access.keys(where: reference.to, equal: values, limit: 1).first else { return nil }
        let cloudIdColumns = parent.cloudId.map { [$0] } ?? []
        let identity = parent.identityColumns
        guard let read = try access.values(cloudIdColumns + identity, at: key) else { return nil }
        var cloudId = cloudIdColumns.isEmpty ? Value.null : read[0]
        if cloudId.isNull, !cloudIdColumns.isEmpty, let entry = try book.entry(table: parent.name, rowKey: PortableRow.rowKey(key)), !entry.deleted {
            cloudId = PortableRow.cloudId(inIdentity: entry.identity) ?? .null
        }
        return Record.ReferenceIdentity(table: parent.name, cloudId: cloudId, keys: Array(zip(identity, read.dropFirst(cloudIdColumns.count))))
    }

    func noteFormerKey(_ keys: [(String, Value)], of table: TableDefinition, at key: [Value]) {
        formerKeys[table.name.lowercased(), default: [:]][key] = keys
    }

    /// The identity of the parent row a reference points at as it was before this import
    /// gave it a new natural key (`noteFormerKey`); nil when this import gave it none. A
    /// child's delete still counts the reference unchanged against a base that names the
    /// parent by its former key: the parent's rename is the source's doing, not this side's.
    func formerParentIdentity(_ reference: Reference, values: [Value]) throws -> Record.ReferenceIdentity? {
        guard let renamed = formerKeys[reference.table.lowercased()], !values.contains(where: \.isNull),
              let parent = targets[reference.table.lowercased()], parent.cloudId == nil else { return nil }
        guard let key = try access(parent).keys(where: reference.to, equal: values, limit: 1).first, let keys = renamed[key] else { return nil }
        return Record.ReferenceIdentity(table: parent.name, cloudId: .null, keys: keys)
    }

    func access(_ table: TableDefinition) throws -> TableAccess {
        if let access = accesses[table.name] { return access }
        return try makeAccess(table)
    }

    /// A new access to `table`, the one every later `access(table)` answers with: a store's
    /// caches of a table (a batch's rows read ahead) live in its access, and a write through
    /// another would leave them stale.
    func makeAccess(_ table: TableDefinition) throws -> TableAccess {
        let access = try store.makeTableAccess(table)
        accesses[table.name] = access
        return access
    }
}
