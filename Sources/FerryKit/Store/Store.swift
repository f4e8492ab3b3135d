/// A database Ferry reads from or writes to: SQLite (FerrySQLite) and PostgreSQL
/// (FerryPostgres) implement it.
///
/// Everything SQL-specific stays behind it: exporters and importers speak in tables, rows
/// and values. It is four parts, each with defaults a simple store can lean on:
/// `StoreCatalog` (what tables there are), `StoreReader` (scans), `StoreWriter`
/// (transactions, rows, scratch maps) and `StoreBookkeeping` (the sync book and the audit
/// log). `StoreContract` in the tests runs one suite over every store.
public protocol Store: StoreCatalog, StoreReader, StoreWriter, StoreBookkeeping {}

/// What tables a store holds, and how to name the store.
public protocol StoreCatalog: AnyObject {
    /// "sqlite" or "postgres", as the manifest's `source.kind` says.
    var kind: String { get }
    /// A short name for messages and the manifest (a file name, never credentials).
    var displayName: String { get }
    /// The database file, for a store that is one: side files (rejects, conflicts) go
    /// beside it. Nil for a server, whose side files go to the working folder.
    var filePath: String? { get }

    /// User tables (no store-internal ones, no `_ferry_*`) as the catalog describes them;
    /// `tables(profile:)` applies a profile.
    func catalog() throws -> [CatalogTable]
    func tableExists(_ name: String) throws -> Bool
    /// The table `name` means here: itself, or where the store's names are case-sensitive
    /// (PostgreSQL, which folds an unquoted name to lower case) the one table whose name
    /// differs from it only in case; nil when there is none.
    func tableName(matching name: String) throws -> String?
    func rowCount(_ table: String) throws -> Int
    /// What of `table`'s schema a changeset does not carry, in words (a store whose
    /// changesets carry a CREATE statement other stores rewrite: PostgreSQL's CHECKs and
    /// partial unique indexes); empty when it carries all.
    func schemaNotCarried(of table: String) throws -> [String]
    /// Whether `table` has no rows (without counting them).
    func isEmpty(_ table: String) throws -> Bool
    /// How many rows of `table` have NULL in `column`.
    func nullCount(of column: String, in table: String) throws -> Int
    /// For a table without a declared primary key: the name under which a scan can read,
    /// and an insert can set, the store's hidden row number (SQLite's rowid), so a replay
    /// keeps it. nil when the table has a key, or the store has no stable row number.
    func hiddenRowKey(of table: TableDefinition) -> String?
    /// The table's autoincrement counter (the last id handed out), nil when it has none.
    func autoincrementSequence(of table: String) throws -> Int64?
    /// The unit of each date-time column whose values are integer counts since 1970
    /// (`ColumnDefinition.epochUnit`), by column name; read at export.
    func epochUnits(of table: TableDefinition) throws -> [String: Int64]
}

extension StoreCatalog {
    public func isEmpty(_ table: String) throws -> Bool { try rowCount(table) == 0 }
    public func tableName(matching name: String) throws -> String? { try tableExists(name) ? name : nil }
    public func schemaNotCarried(of table: String) throws -> [String] { [] }
    public func hiddenRowKey(of table: TableDefinition) -> String? { nil }
    public func autoincrementSequence(of table: String) throws -> Int64? { nil }
    public func epochUnits(of table: TableDefinition) throws -> [String: Int64] { [:] }
}

/// Rows out of a store, from one snapshot.
public protocol StoreReader: AnyObject {
    /// Runs `body` inside one read snapshot, so every table comes from the same moment.
    func withReadSnapshot<T>(_ body: () throws -> T) throws -> T
    /// Calls `body` once per row of `columns`, followed (at index `columns.count` on) by the
    /// `parentColumns` of each joined reference's parent row (NULL when the parent is missing).
    func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], _ body: (RowCursor) throws -> Void) throws
    /// `scan`, with each row's live sync-book entry read in the same statement: after the
    /// parents' columns come the entry's hash, sequence and fingerprint, NULL when the book
    /// finds none by the row's key (`bookTable`: `SyncBook.scanKey(of:)`). A NULL is no
    /// proof that the book has no entry: ask the book by the row's key then. Only called
    /// when the store's book gives a scan key.
    func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], withBookEntriesOf bookTable: Int64,
              _ body: (RowCursor) throws -> Void) throws
    /// The positions (SQLite's rowid) that cut `table`'s scan into ranges, first to last;
    /// nil when it cannot be cut (no rows, no rowid, every rowid alias taken by a column).
    func scanPositions(of table: TableDefinition) throws -> ClosedRange<Int64>?
    /// `scan`, for the rows whose position lies in `positions`, in position order.
    func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], within positions: ClosedRange<Int64>,
              _ body: (RowCursor) throws -> Void) throws
    /// A second connection reading the very snapshot this store reads now (call it inside
    /// `withReadSnapshot`), so another thread can scan beside this one; it holds that
    /// snapshot until released. Nil when the store cannot promise the same snapshot.
    func openSnapshotReader() throws -> Store?
    /// Calls `body` with the key (of `keyColumns`, as `makeTableAccess` names them) of each
    /// row of `table` where `condition` holds: a person's `--where`. The store makes sure
    /// the condition is one expression that reads `table` alone and writes nothing, and
    /// refuses it otherwise, naming what it tried.
    func selectKeys(of table: TableDefinition, keyColumns: [String], where condition: String, _ body: ([Value]) throws -> Void) throws
    /// `scan`, for the rows at `keys` (values of `keyColumns`), in that order: a filtered
    /// export reads its few rows by key, never the whole table.
    func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], keyColumns: [String], keys: [[Value]],
              _ body: (RowCursor) throws -> Void) throws
    /// Whether an index of `table` starts with `columns` (in any order), so a lookup by them
    /// seeks instead of scanning.
    func hasIndex(on table: String, startingWith columns: [String]) throws -> Bool
}

extension StoreReader {
    /// A store that cannot cut its scans has no positions, is never asked for a range and
    /// never joins its book: each row's entry is asked by key.
    public func scanPositions(of table: TableDefinition) throws -> ClosedRange<Int64>? { nil }
    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], within positions: ClosedRange<Int64>,
                     _ body: (RowCursor) throws -> Void) throws {
        throw FerryError(.usage, "internal: \(table.name) was scanned by position, which this store never offers.")
    }
    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], withBookEntriesOf bookTable: Int64,
                     _ body: (RowCursor) throws -> Void) throws {
        throw FerryError(.usage, "internal: \(table.name) was scanned with its book entries, which this store's book never asks for.")
    }
    public func openSnapshotReader() throws -> Store? { nil }
    public func selectKeys(of table: TableDefinition, keyColumns: [String], where condition: String, _ body: ([Value]) throws -> Void) throws {
        throw FerryError(.usage, "this store cannot select rows with --where; export in full.")
    }
    public func hasIndex(on table: String, startingWith columns: [String]) throws -> Bool { true }
    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], keyColumns: [String], keys: [[Value]],
                     _ body: (RowCursor) throws -> Void) throws {
        throw FerryError(.usage, "this store cannot read rows by key; export in full.")
    }
}

/// Writes a store held to send together (`StoreWriter.holdsWrites`) of which the store
/// refused one. Which record's it was cannot be told, and the records after it were
/// applied as though it had been written: the transaction is rolled back, and the import
/// runs again with each write sent alone (`StoreWriter.sendEachWriteAlone`).
public struct HeldWritesRefused: Error {
    public let cause: Error
    public init(cause: Error) { self.cause = cause }
}

/// Rows into a store, in one transaction.
public protocol StoreWriter: AnyObject {
    /// Runs `body` in one write transaction: committed when it returns, rolled back when it throws.
    func withTransaction<T>(_ body: () throws -> T) throws -> T
    /// Whether this store may hold writes to send them together (`TableAccess.update`),
    /// so that a refused one surfaces as `HeldWritesRefused` from a later call.
    var holdsWrites: Bool { get }
    /// From now on every write goes to the store when it is made, alone: for the run again
    /// of an import whose held writes were refused.
    func sendEachWriteAlone()
    /// Sends the writes held so far, so a refusal surfaces now (before a report is made of
    /// a dry run, which never commits).
    func sendHeldWrites() throws
    /// Creates a table and its indexes from a changeset's definition. A stranger's changeset
    /// must not run SQL of its own: SQLite runs only CREATE TABLE and CREATE INDEX for that
    /// one table, whose expressions may call only bounded functions unless `trustSchema`;
    /// PostgreSQL writes its own DDL from the names and types. Returns what the created
    /// table lacks of the definition, in words (empty: nothing).
    @discardableResult
    func createTable(_ definition: TableDefinition, trustSchema: Bool) throws -> [String]
    /// Row access to one table of this store, for matching and writing.
    func makeTableAccess(_ table: TableDefinition) throws -> TableAccess
    /// Foreign-key violations in `table`: every one counted, the first few as readable lines
    /// (none when the store checks every foreign key itself).
    func foreignKeyViolations(in table: String) throws -> ForeignKeyViolations
    /// Whether the store holds any trigger an import's writes could fire (true when unsure):
    /// a trigger can write what the import cannot see.
    func hasTriggers() throws -> Bool
    /// Foreign keys into `table` from tables the store's catalog does not list (PostgreSQL:
    /// another schema). A delete must see their rows, as it sees a left-out table's.
    func referencesFromOutside(into table: String) throws -> [OutsideReference]
    /// How many rows of `reference`'s table point at `values` (the referenced columns).
    func rowsHolding(_ reference: OutsideReference, values: [Value]) throws -> Int
    /// Whether a row of `table` may point through `reference` at a row that is not there
    /// yet, until the transaction ends (SQLite: foreign keys checked by Ferry after the
    /// import; PostgreSQL: a DEFERRABLE constraint). A cycle of NOT NULL references
    /// (pagila's store and staff) can then be broken: the row goes in with a placeholder.
    func checksReferenceAtCommit(_ reference: Reference, of table: String) throws -> Bool
    /// Sets aside, until `restoreTriggers`, the application's triggers that stamp the rows
    /// an import writes with the current time (`updated_at` on each update): the changeset
    /// carries the source's values, stamps included, and a stamp made here would ship back
    /// as a change, and again, forever. Says which were set aside, and which stamp but were
    /// left to fire. Must run inside the import's transaction, so no other connection sees
    /// a table without them.
    func suspendRowStampingTriggers(on tables: [String]) throws -> TriggerSuspension
    /// Puts back what `suspendRowStampingTriggers` set aside, before the import commits.
    func restoreTriggers() throws
    /// Called once the import has created every table it needed: a store that could not
    /// declare a foreign key before its parent existed declares it now.
    func finishCreatingTables() throws
    /// Makes lookups of `table` by `columns` index-backed for the current transaction:
    /// creates a scratch index when no index starts with those columns. Returns its name
    /// (for `dropLookupIndex`), or nil when an index already serves.
    func addLookupIndex(on table: String, columns: [String]) throws -> String?
    func dropLookupIndex(_ name: String) throws
    /// Whether an import may add a scratch index once it finds it looks a table up by
    /// unindexed columns again and again (a deleted parent's children, by a foreign key
    /// nothing indexes): true where the import keeps every other writer out anyway
    /// (SQLite's write lock), false where the index's lock would hold the application's
    /// writes to that table until commit (PostgreSQL).
    var addsLookupIndexesWhileImporting: Bool { get }
    /// Caps every value and row this connection builds at `bytes`, so no expression of a
    /// stranger's schema can make one larger.
    func limitValueLength(to bytes: Int)
    /// Raises the table's autoincrement counter to at least `value`.
    func raiseAutoincrementSequence(of table: String, to value: Int64) throws
    /// Adds a nullable TEXT cloudId column and a unique index on it.
    func addCloudIdColumn(_ column: String, to table: String) throws
    /// Sets every NULL `column` of `table` to `value(key)` (key: the primary key, or the
    /// hidden row number of a table without one), without firing the application's
    /// triggers; returns how many rows changed. Runs inside `withTransaction`.
    func fillNullValues(of column: String, in table: TableDefinition, _ value: ([Value]) throws -> String) throws -> Int
    /// A scratch map from source keys to target keys for the rows of one import, kept by
    /// the store (on disk, not in memory) and gone with the transaction.
    func makeKeyMap() throws -> KeyMap
    /// A scratch set of target keys (on disk): the rows a full changeset named (`--prune`),
    /// or the rows already matched by a record of a table with no key at all.
    func makeKeySet(purpose: KeySetPurpose) throws -> KeySet
}

extension StoreWriter {
    public var holdsWrites: Bool { false }
    public func sendEachWriteAlone() {}
    public func sendHeldWrites() throws {}
    public func foreignKeyViolations(in table: String) throws -> ForeignKeyViolations { ForeignKeyViolations() }
    public func hasTriggers() throws -> Bool { true }
    public func referencesFromOutside(into table: String) throws -> [OutsideReference] { [] }
    public func rowsHolding(_ reference: OutsideReference, values: [Value]) throws -> Int { 0 }
    public func checksReferenceAtCommit(_ reference: Reference, of table: String) throws -> Bool { false }
    public func finishCreatingTables() throws {}
    public func suspendRowStampingTriggers(on tables: [String]) throws -> TriggerSuspension { TriggerSuspension() }
    public func restoreTriggers() throws {}
    public func addLookupIndex(on table: String, columns: [String]) throws -> String? { nil }
    public func dropLookupIndex(_ name: String) throws {}
    public var addsLookupIndexesWhileImporting: Bool { false }
    public func limitValueLength(to bytes: Int) {}
    public func raiseAutoincrementSequence(of table: String, to value: Int64) throws {}
}

/// Ferry's own records in a store: the sync book and the log of applied changesets.
public protocol StoreBookkeeping: AnyObject {
    /// The store's sync book; created when `create` is set, else nil when the store has none.
    func syncBook(create: Bool) throws -> SyncBook?
    /// Records an applied changeset in the store's `_ferry_imports` audit table.
    func appendImportLog(_ entry: ImportLogEntry) throws
    /// Every changeset applied to this store, oldest first.
    func importLog() throws -> [ImportLogEntry]
    /// What the sync book holds, for `inspect --db`; nil when the store keeps none.
    func syncBookSummary() throws -> SyncBookSummary?
}

extension StoreBookkeeping {
    public func syncBookSummary() throws -> SyncBookSummary? { nil }
}

extension Store {
    /// `createTable(_:trustSchema:)` for a changeset from a stranger: only bounded functions.
    @discardableResult
    public func createTable(_ definition: TableDefinition) throws -> [String] {
        try createTable(definition, trustSchema: false)
    }
}

/// The triggers an import set aside ("table.trigger"), and those it could not, with why.
public struct TriggerSuspension: Sendable {
    public var suspended: [String] = []
    public var kept: [String] = []
    public init(suspended: [String] = [], kept: [String] = []) {
        self.suspended = suspended
        self.kept = kept
    }
}

/// A reference whose parent row is read alongside each child row during export.
public struct ReferenceJoin: Sendable {
    public var reference: Reference
    public var parentColumns: [String]

    public init(reference: Reference, parentColumns: [String]) {
        self.reference = reference
        self.parentColumns = parentColumns
    }

    /// The select list and LEFT JOINs of a scan of `t` that reads each row's `columns`, then
    /// each reference's parent columns (aliases `p0`, `p1`, …): parents are joined inside the
    /// database, not looked up one row at a time. `table` writes a table's name as the
    /// store names it (quoted, schema-qualified).
    public static func scanSQL(columns: [String], joining references: [ReferenceJoin], table: (String) -> String) -> (select: [String], joins: String) {
        var select = columns.map { "t.\(Identifier.quote($0))" }
        var joins = ""
        for (index, join) in references.enumerated() {
            let alias = "p\(index)"
            select += join.parentColumns.map { "\(alias).\(Identifier.quote($0))" }
            let on = zip(join.reference.columns, join.reference.to).map { "\(alias).\(Identifier.quote($1)) = t.\(Identifier.quote($0))" }.joined(separator: " AND ")
            joins += " LEFT JOIN \(table(join.reference.table)) AS \(alias) ON \(on)"
        }
        return (select, joins)
    }
}

/// The current row of a scan. Accessors are valid until the next row.
public protocol RowCursor {
    func value(at index: Int) -> Value
    func isNull(at index: Int) -> Bool
    /// Appends the cell as a record value, without building a `Value` (the export hot path).
    func appendJSON(at index: Int, to buffer: inout JSONBuffer)
    /// Appends the cell's storage type and bytes, unambiguously delimited: what a row's
    /// fingerprint is taken of (no JSON, no escaping).
    func appendRaw(at index: Int, to buffer: inout JSONBuffer)
}

extension RowCursor {
    public func appendRaw(at index: Int, to buffer: inout JSONBuffer) {
        appendJSON(at: index, to: &buffer)
        buffer.append(0) // a JSON value never holds a raw NUL byte
    }
}

/// Finds and writes rows of one table. A row is addressed by its key: the primary-key
/// values, or the rowid for a table without a declared key.
public protocol TableAccess: AnyObject {
    /// The columns whose values address a row (`["rowid"]` when there is no primary key).
    var keyColumns: [String] { get }
    /// Keys of up to `limit` rows whose `columns` equal `values`. NULL never equals, as in
    /// SQL, unless `nullsEqual` (a profile's fallback composite compares with `IS`).
    func keys(where columns: [String], equal values: [Value], limit: Int, nullsEqual: Bool) throws -> [[Value]]
    /// Keys of up to `limit` rows whose expression key equals the one computed from `values`
    /// (`lower(email) = lower(?)`); NULL never equals.
    func keys(where key: ExpressionKey, equal values: [Value], limit: Int) throws -> [[Value]]
    /// The values of `columns` in the row at `key`, or nil when there is none.
    func values(_ columns: [String], at key: [Value]) throws -> [Value]?
    /// Inserts a row and returns its key.
    func insert(_ columns: [String], _ values: [Value]) throws -> [Value]
    /// The key a new row takes when the integer id it brings is another row's here (a
    /// local id says nothing across stores). Asked only of a table whose one key column
    /// holds integers (`TableDefinition.hasIntegerPrimaryKey`).
    func freshIntegerKey() throws -> FreshIntegerKey
    /// Writes `values` into `columns` of the row at `key`; `previous`: what those columns
    /// hold now, when the caller read them (nil: not known). A store that pays a round trip
    /// per statement may hold the write to send it with others (`StoreWriter.holdsWrites`):
    /// every later read then answers as if it were written, and a refusal surfaces later,
    /// as `HeldWritesRefused`.
    func update(at key: [Value], _ columns: [String], _ values: [Value], previous: [Value]?) throws
    func delete(at key: [Value]) throws
    /// `row` (values of `columns`, declared in the changeset as `sourceTypes`) as this table
    /// keeps such values, where two stores write one value differently: a moment that
    /// PostgreSQL prints as text and Prisma keeps in SQLite as integer milliseconds. Called
    /// before matching and comparing, so an untouched row compares equal. The default keeps
    /// the row as it is.
    func adapted(_ row: [Value], columns: [String], sourceTypes: [String], sourceUnits: [Int64?]) throws -> [Value]
    /// Whether `adapted` may rewrite text in a spelling the store learns from itself (an
    /// interval's, jsonb's), so that `learnSpellings` is worth calling before each batch.
    var respellsValues: Bool { get }
    /// A hint before a batch of records is matched: the store may learn at once how it
    /// would spell the text they bring (one round trip, not one a row in `adapted`).
    func learnSpellings(of records: [Record]) throws
    /// Whether `prefetch` saves anything: true for a store whose every lookup is a round trip.
    var prefetches: Bool { get }
    /// A hint before a batch of records is matched: each lookup names a column the matcher
    /// will look rows up by (`keys(where:equal:)`) and the values it will ask for. The store
    /// may fetch those rows at once; every lookup and read must still answer exactly as it
    /// would have without the hint, after any write.
    /// `next`: the next batch's lookups, when known, which the store may start asking for
    /// while this batch is applied.
    func prefetch(_ lookups: [(column: String, values: [Value])], next: [(column: String, values: [Value])]?) throws
    /// A hint before a batch of child records: each of `keys` (primary-key values) will be
    /// asked whether its row exists (`keys(where:)` on the key). The store may ask at once.
    func prefetchKeys(_ keys: [[Value]]) throws
    /// A hint before a batch of deletes: the rows whose `column` (a foreign key) equals one
    /// of `values` will be asked for (`keys(where:)` on that column). The store may ask at
    /// once; what it answers from then must stay exact through every write. Returns the keys
    /// of the rows found (their own children may be asked next), nil when it asked nothing.
    func prefetchChildren(by column: String, of values: [Value]) throws -> [[Value]]?
    /// The keys of the rows the last `prefetch` found (so a batch's book entries can be
    /// read at once too); empty when it fetched none.
    var keysFoundByPrefetch: [[Value]] { get }
    /// Whether `insert(_:rows:)` may be used: asked once the import's own triggers are set
    /// aside, false where anything but Ferry's statement would write (a trigger, a rule).
    /// PostgreSQL saves a round trip a row, SQLite a statement's start a row.
    var insertsRowsTogether: Bool { get }
    /// Whether, in a table that was not empty, a record that matched no row is worth
    /// holding to go in with others (where `insertsRowsTogether`): true where a statement
    /// costs a round trip; the holding's own bookkeeping costs more than a statement start.
    var holdsNewRowsForSets: Bool { get }
    /// Whether a unique constraint of the table may be checked only at commit (PostgreSQL's
    /// DEFERRABLE): an insert that succeeds may then still collide with a row, so the
    /// importer matches every record before it writes, and never inserts in sets.
    var defersUniqueChecks: Bool { get }
    /// Inserts `rows` (each the values of `columns`) all or none, and returns their keys in
    /// order: nil, having written nothing, when the store cannot tell them without asking
    /// row by row (the caller then inserts each with `insert`). Throws as `insert` does when
    /// one row is refused, and then none of them is in.
    func insert(_ columns: [String], rows: [[Value]]) throws -> [[Value]]?
}

/// Where a new row's integer id comes from when the one it brings is taken.
public enum FreshIntegerKey: Equatable, Sendable {
    /// The store hands one out to an insert that leaves the key out (SQLite's rowid, which
    /// keeps AUTOINCREMENT's promise never to reuse an id).
    case handedOut
    /// This one: one past the largest, or, where that is past the type's range, the first free.
    case free(Value)
    /// Every id the column's type can hold is taken.
    case none
}

extension FreshIntegerKey {
    /// The SQL, the same on SQLite and PostgreSQL, of the first id from 1 up that no row of
    /// `table` holds in `column` (both quoted), at most `limit`; no row when none is free.
    /// Asked only when one past the largest is out of the type's range: it seeks once a row.
    public static func firstFreeQuery(column: String, table: String, limit: Int64) -> String {
        """
        SELECT k FROM (SELECT 1 AS k WHERE NOT EXISTS (SELECT 1 FROM \(table) WHERE \(column) = 1)
            UNION ALL SELECT k FROM (SELECT f.\(column) + 1 AS k FROM \(table) AS f
                WHERE f.\(column) >= 1 AND f.\(column) < \(limit) AND NOT EXISTS (SELECT 1 FROM \(table) AS g WHERE g.\(column) = f.\(column) + 1)
                ORDER BY f.\(column) LIMIT 1) AS gap) AS free ORDER BY k LIMIT 1
        """
    }

    /// One past `largest` when the type holds it, else the first free id `firstFree` finds.
    public static func after(_ largest: Value?, limit: Int64, firstFree: () throws -> Value?) rethrows -> FreshIntegerKey {
        guard case .integer(let number)? = largest else { return .free(.integer(1)) }
        if number < limit { return .free(.integer(number + 1)) }
        if case .integer(let free)? = try firstFree() { return .free(.integer(free)) }
        return .none
    }
}

extension TableAccess {
    public func adapted(_ row: [Value], columns: [String], sourceTypes: [String], sourceUnits: [Int64?]) throws -> [Value] { row }
    public var respellsValues: Bool { false }
    public func learnSpellings(of records: [Record]) throws {}
    public var prefetches: Bool { false }
    public func prefetch(_ lookups: [(column: String, values: [Value])], next: [(column: String, values: [Value])]?) throws {}
    public func prefetchKeys(_ keys: [[Value]]) throws {}
    public func prefetchChildren(by column: String, of values: [Value]) throws -> [[Value]]? { nil }
    public var keysFoundByPrefetch: [[Value]] { [] }
    public var insertsRowsTogether: Bool { false }
    public var defersUniqueChecks: Bool { false }
    public var holdsNewRowsForSets: Bool { false }
    public func insert(_ columns: [String], rows: [[Value]]) throws -> [[Value]]? { nil }

    /// Writes `values` into `columns` of the row at `key` (see `update(at:_:_:previous:)`).
    public func update(at key: [Value], _ columns: [String], _ values: [Value]) throws {
        try update(at: key, columns, values, previous: nil)
    }

    func keys(where columns: [String], equal values: [Value], limit: Int) throws -> [[Value]] {
        try keys(where: columns, equal: values, limit: limit, nullsEqual: false)
    }
}

/// Which target row each source row became during one import, so a child's raw foreign
/// key can be remapped exactly when its parent came in the same changeset.
public protocol KeyMap: AnyObject {
    /// `inserted`: the target row was inserted for this source row (not matched).
    func record(table: String, source: [Value], target: [Value], inserted: Bool) throws
    func lookup(table: String, source: [Value]) throws -> [Value]?
    /// Whether the target row with `key` was inserted for a source row with another key.
    func isReassigned(table: String, key: [Value]) throws -> Bool
}

/// What a scratch key set is for; each purpose has its own.
public enum KeySetPurpose: String, Sendable {
    case seen, claimed
}

/// Keys of target rows seen during one import.
public protocol KeySet: AnyObject {
    func insert(table: String, key: [Value]) throws
    func contains(table: String, key: [Value]) throws -> Bool
}

/// The rows of a table that point at a missing parent: how many, and the first few in words.
/// The import compares the counts before and after it, so every row counts: a target that
/// already had as many as a message shows must not hide the import's own.
public struct ForeignKeyViolations: Sendable {
    public static let shown = 20
    public private(set) var count = 0
    public private(set) var examples: [String] = []

    public init() {}

    public var isEmpty: Bool { count == 0 }

    public mutating func add(_ example: @autoclosure () -> String) {
        count += 1
        if examples.count < Self.shown { examples.append(example()) }
    }
}

/// A foreign key into a table from a table outside the store's catalog.
public struct OutsideReference: Sendable, Equatable {
    /// The holding table, as the user names it (`audit.log`).
    public var table: String
    public var columns: [String]
    /// The columns of the referenced table it points at.
    public var to: [String]
    /// The store's types of the `to` columns, in the store's own words.
    public var types: [String]

    public init(table: String, columns: [String], to: [String], types: [String] = []) {
        self.table = table
        self.columns = columns
        self.to = to
        self.types = types
    }
}
