/// What every table's reconciler of one import shares: the store, its sync book, the key
/// map, reference resolvers, the conflicts file, and which tables are still to come.
final class ImportContext {
    let store: Store
    let book: SyncBook
    let keyMap: KeyMap
    let conflicts: ConflictsWriter
    /// Target definitions by lowercased name.
    let targets: [String: TableDefinition]
    /// Tables some changeset table points at: their source → target keys are mapped.
    let referenced: Set<String>
    /// With `--prune`: every target row the changeset named, so the others can be deleted.
    var seen: KeySet?
    /// This changeset was applied to this target before: its rows without any identity
    /// (no cloudId, no non-NULL key) were inserted then, and cannot be matched now.
    var alreadyApplied = false
    /// Tables (lowercased) this import created or found empty: a replay into them keeps
    /// the source's hidden row numbers and AUTOINCREMENT counters.
    var emptyAtStart = Set<String>()
    /// Tables (lowercased) whose rows may still arrive in this import.
    var pending = Set<String>()
    /// Tables (lowercased) that were empty when the import began: the key map holds only
    /// their rows whose target key differs from the source key, so a key it lacks that
    /// exists in the table, and that was not inserted for another source row, is that same
    /// source row (TableReconciler.resolve). Saves a key-map write per row of a replay.
    var keysKept = Set<String>()
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
    private var resolvers: [String: ReferenceResolver] = [:]
    private var accesses: [String: TableAccess] = [:]

    init(store: Store, book: SyncBook, keyMap: KeyMap, conflicts: ConflictsWriter, targets: [String: TableDefinition], referenced: Set<String>) {
        self.store = store
        self.book = book
        self.keyMap = keyMap
        self.conflicts = conflicts
        self.targets = targets
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
            let place = "pin \(pin.table):\(pin.source.joined(separator: ","))=\(pin.target.joined(separator: ","))"
            guard changesetTables.contains(where: { $0.lowercased() == pin.table.lowercased() }), let table = targets[pin.table.lowercased()] else {
                throw FerryError(.usage, "\(place): table \(pin.table) is not in this changeset. Tables: \(changesetTables.joined(separator: ", ")).")
            }
            guard !table.primaryKey.isEmpty, pin.target.count == table.primaryKey.count else {
                throw FerryError(.usage, "\(place): table \(table.name)'s primary key is (\(table.primaryKey.joined(separator: ", "))); give one value per column on each side.")
            }
            let key = zip(table.primaryKey, pin.target).map { column, text -> Value in
                let type = table.column(named: column)?.type.uppercased() ?? ""
                if type.contains("INT"), let number = Int64(text) { return .integer(number) }
                return .text(text)
            }
            guard try access(table).values(table.primaryKey, at: key) != nil else {
                throw FerryError(.usage, "\(place): \(table.name) in \(store.displayName) has no row with \(table.primaryKey.joined(separator: ", ")) = \(pin.target.joined(separator: ", ")). Check the target key (the rejects file lists the candidates).")
            }
            pins[table.name.lowercased(), default: [:]][pin.source] = key
        }
    }

    /// Whether a person pinned any row of `table` (checked before building a source key per record).
    func hasPins(table: String) -> Bool {
        !pins.isEmpty && pins[table.lowercased()] != nil
    }

    /// The target key a person pinned this source key of `table` to.
    func pinnedKey(table: String, sourceKey: [Value]) -> [Value]? {
        guard let tablePins = pins[table.lowercased()] else { return nil }
        return tablePins[sourceKey.map(Pin.text(of:))]
    }

    func markSeen(_ table: TableDefinition, _ key: [Value]) throws {
        try seen?.insert(table: table.name, key: key)
    }

    /// One resolver per parent table, so its cache serves every child table.
    func resolver(for table: String) throws -> ReferenceResolver? {
        let key = table.lowercased()
        if let resolver = resolvers[key] { return resolver }
        guard let definition = targets[key] else { return nil }
        let resolver = ReferenceResolver(parent: definition, access: try access(definition))
        resolvers[key] = resolver
        return resolver
    }

    func access(_ table: TableDefinition) throws -> TableAccess {
        if let access = accesses[table.name] { return access }
        let access = try store.makeTableAccess(table)
        accesses[table.name] = access
        return access
    }
}
