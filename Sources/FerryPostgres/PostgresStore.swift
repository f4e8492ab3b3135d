import FerryKit
import FerrySQLite
import Foundation

/// The PostgreSQL store: one schema of a server database, through libpq.
///
/// How it saves round trips (docs/decisions.md, "PostgreSQL export: COPY …" and the
/// entries after it): exports stream with COPY and join the book in their scan; an import
/// looks a batch up at once (the next batch's query in flight meanwhile), inserts into
/// empty tables and holds updates to write them in sets, and its sync book reads a batch's
/// entries at once and writes them in sets. What stays one statement each, in a savepoint:
/// other writes (inserts into a table that was not empty), and deletes.
///
/// It leans on the protocol's defaults where PostgreSQL needs nothing of its own: it checks
/// every foreign key itself (deferred ones at commit), caps values at 1 GB itself and runs
/// no expression of a changeset, has no row number that survives an update (ctid moves),
/// and cannot cut a scan by position.
public final class PostgresStore: Store {
    public let connection: PostgresConnection
    /// The schema whose tables this store sees (`--schema`, default `public`).
    public let schema: String
    public var kind: String { "postgres" }
    public var displayName: String { schema == "public" ? connection.displayName : "\(connection.displayName), schema \(schema)" }
    public var filePath: String? { nil }

    /// Rows this transaction inserted or found, as 64-bit hashes of (table, key): 8 bytes a
    /// row, so the cache holds a large import's parents (a `[Value]` set of 200,000 keys
    /// took 20 MB). Bounded, emptied by any delete (a cascade reaches other tables) and by
    /// the transaction's end. Two keys sharing a hash (about 1 in 10^9 for a full cache)
    /// would let a child through to a missing parent, which the deferred foreign key then
    /// refuses at commit: an error, never a silent row.
    private var knownRows: Set<Int> = []
    /// A variable for the tests, which outgrow it with a few hundred rows.
    package var knownRowLimit = 500_000

    private static func rowHash(_ table: String, _ key: [Value]) -> Int {
        var hasher = Hasher()
        hasher.combine(table)
        hasher.combine(key)
        return hasher.finalize()
    }

    func rowsKnown(in table: String, _ key: [Value]) -> Bool {
        connection.isInTransaction && knownRows.contains(Self.rowHash(table, key))
    }

    func rememberRow(in table: String, _ key: [Value]) {
        guard connection.isInTransaction else { return }
        if knownRows.count >= knownRowLimit { knownRows.removeAll(keepingCapacity: true) }
        knownRows.insert(Self.rowHash(table, key))
    }

    /// Forgets what the cache knows (of every table: a hash does not say which table it is of),
    /// and every table's prefetched rows with it (`rowsEpoch`).
    func forgetRows() {
        knownRows.removeAll(keepingCapacity: false)
        rowsEpoch &+= 1
    }

    /// Moves on with every `forgetRows`: a table access drops rows it prefetched under
    /// another epoch (a delete may have cascaded into its table).
    private(set) var rowsEpoch = 0

    /// Whether a write does exactly what Ferry's statement says: no trigger (beyond those
    /// set aside) and no rule of this schema is enabled. Only then do rows a table access
    /// prefetched stay current through Ferry's own writes, and does a set of rows inserted
    /// by one statement end as the same rows inserted one by one (a BEFORE trigger may
    /// change a key; a statement trigger fires once a statement). Asked once per transaction.
    func onlyFerryWrites() throws -> Bool {
        guard prefetching else { return false }
        if let onlyFerryWritesHere { return onlyFerryWritesHere }
        let safe = try connection.scalar("""
            SELECT NOT EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname = $1 AND NOT g.tgisinternal AND g.tgenabled <> 'D')
               AND NOT EXISTS (SELECT 1 FROM pg_rules WHERE schemaname = $1)
            """, [.text(schema)]) == .integer(1)
        if connection.isInTransaction { onlyFerryWritesHere = safe }
        return safe
    }
    /// `onlyFerryWrites`, once asked in this transaction.
    private var onlyFerryWritesHere: Bool?
    /// Off: every lookup asks the server and every row goes in alone (the tests compare
    /// both ways).
    package var prefetching = true
    /// Batches whose lookups were answered by a query sent while the batch before was
    /// applied, for the tests.
    package var batchesAnsweredAhead = 0
    /// Rows asked for by primary key, one round trip each (no cache knew them), for the tests.
    package var rowLookupsByKey = 0
    /// Rows inserted a set at a time (`TableAccess.insert(_:rows:)`), for the tests.
    package var rowsInsertedTogether = 0
    /// Writes of one statement in a savepoint of their own (`write`), a round trip each, for the tests.
    package var writesAlone = 0
    /// Entries the book was asked for by key, one round trip each (the scan's join found
    /// none), for the tests.
    package var bookLookupsByKey = 0
    /// Batches whose book entries were read at once (`SyncBook.prefetch`), and entries
    /// written a set at a time, for the tests.
    package var bookBatchesReadAhead = 0
    package var bookEntriesWrittenTogether = 0
    /// Queries that learnt how columns spell text (`PostgresTableAccess.learnSpellings`), for the tests.
    package var spellingQueries = 0
    /// Off: the book reads and writes each entry alone (the tests compare both ways).
    package var readsBookAhead = true

    /// Columns of `table` that a foreign key with an ON UPDATE action points at: an update
    /// of one changes rows of other tables.
    func cascadingColumns(of table: String) throws -> Set<String> {
        if let known = cascading[table] { return known }
        let result = try connection.query("""
            SELECT a.attname FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = ANY (k.confkey)
            WHERE k.contype = 'f' AND k.confrelid = $1::regclass AND k.confupdtype NOT IN ('a', 'r')
            """, [.text(qualified(table))])
        let columns = Set((0..<result.rowCount).compactMap { result.string(row: $0, column: 0) })
        cascading[table] = columns
        return columns
    }
    private var cascading: [String: Set<String>] = [:]

    /// Whether deleting a row of `table` changes no other row: every foreign key into it
    /// is of a table of this schema (whose children an import deletes or clears itself
    /// before the parent, `ImportContext.deleteRow`), and no trigger or rule writes
    /// (`onlyFerryWrites`). Then a delete forgets that one row, not every table's.
    func deleteTouchesOnlyItsRow(in table: String) throws -> Bool {
        if let known = deletesAlone[table] { return known }
        let outside = try connection.scalar("""
            SELECT EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE k.contype = 'f' AND k.confrelid = $1::regclass AND n.nspname <> $2)
            """, [.text(qualified(table)), .text(schema)]) == .integer(1)
        let alone = try !outside && onlyFerryWrites()
        if connection.isInTransaction { deletesAlone[table] = alone }
        return alone
    }
    private var deletesAlone: [String: Bool] = [:]

    /// Forgets one row of `table` the cache knew.
    func forgetRow(in table: String, _ key: [Value]) {
        knownRows.remove(Self.rowHash(table, key))
    }

    /// Tables this transaction inserted into: their identity and serial sequences move
    /// past the largest id before it commits (PostgreSQL never advances one for an explicit id).
    var insertedIds: Set<String> = []
    /// Foreign keys of tables this import made whose parent did not exist yet (table, reference).
    private var postponedForeignKeys: [(String, Reference)] = []
    /// Triggers disabled for the import's transaction: (the relation as PostgreSQL names it, trigger).
    private var suspendedTriggers: [(String, String)] = []

    public init(uri: String, schema: String = "public") throws {
        connection = try PostgresConnection(uri: uri)
        self.schema = schema
        guard try connection.scalar("SELECT 1 FROM pg_namespace WHERE nspname = $1", [.text(schema)]) != nil else {
            throw FerryError(.usage, "\(connection.displayName) has no schema \(schema). Name an existing one with --schema, or create it first (CREATE SCHEMA).")
        }
        // Unqualified names (Ferry's own tables, the catalog queries) resolve in `schema`.
        try connection.execute("SET search_path = \(Identifier.quote(schema))")
    }

    /// `"schema"."table"`.
    func qualified(_ table: String) -> String { Identifier.quote(schema) + "." + Identifier.quote(table) }

    // MARK: Catalog

    public func catalog() throws -> [CatalogTable] {
        try PostgresCatalog(connection: connection, schema: schema).tables()
    }

    public func tableExists(_ name: String) throws -> Bool {
        try connection.scalar("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
                              [.text(schema), .text(name)]) != nil
    }

    /// The changeset carries columns, keys, references, the unique keys both stores write
    /// alike (`PortableIndexes`) and the CHECKs both judge alike (`PortableCheck`): another
    /// CHECK or a partial unique index stays behind.
    public func schemaNotCarried(of table: String) throws -> [String] {
        let partial = try connection.scalar("SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass AND indisunique AND indpred IS NOT NULL",
                                            [.text(qualified(table))])
        var lacking: [String] = []
        let checks = try PostgresCatalog(connection: connection, schema: schema).checksNotCarried(of: table)
        if !checks.isEmpty { lacking.append("\(counted(checks.count, "CHECK constraint")) (\(checks.joined(separator: ", ")))") }
        if case .integer(let count)? = partial, count > 0 { lacking.append(counted(Int(count), "partial unique index", "partial unique indexes")) }
        // Computed by the server from other columns: never written, so never carried.
        let generated = try connection.query("SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated <> '' ORDER BY attnum",
                                             [.text(qualified(table))])
        if generated.rowCount > 0 {
            let names = (0..<generated.rowCount).compactMap { generated.string(row: $0, column: 0) }
            lacking.append("\(counted(names.count, "generated column")) (\(names.joined(separator: ", ")))")
        }
        return lacking
    }

    /// Foreign keys into `table` from tables of other schemas, which `catalog()` does not
    /// list: one row per column pair, in the key's order. A partition's copy of its parent
    /// table's key (`conparentid`) is its parent's, which the parent's own row stands for.
    public func referencesFromOutside(into table: String) throws -> [OutsideReference] {
        let result = try connection.query("""
            SELECT con.oid, cn.nspname, cc.relname, a.attname, fa.attname, format_type(fa.atttypid, fa.atttypmod)
            FROM pg_constraint con JOIN pg_class cc ON cc.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
            CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(own, parent, position)
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.own
            JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.parent
            WHERE con.contype = 'f' AND con.confrelid = $1::regclass AND cn.nspname <> $2 AND con.conparentid = 0
            ORDER BY cn.nspname, cc.relname, con.oid, k.position
            """, [.text(qualified(table)), .text(schema)])
        var references: [OutsideReference] = []
        var last: Value?
        for row in 0..<result.rowCount {
            let constraint = result.value(row: row, column: 0)
            guard let space = result.string(row: row, column: 1), let relation = result.string(row: row, column: 2),
                  let column = result.string(row: row, column: 3), let to = result.string(row: row, column: 4),
                  let type = result.string(row: row, column: 5) else { continue }
            if constraint != last {
                references.append(OutsideReference(table: Identifier.quote(space) + "." + Identifier.quote(relation), columns: [], to: []))
                last = constraint
            }
            references[references.count - 1].columns.append(column)
            references[references.count - 1].to.append(to)
            references[references.count - 1].types.append(type)
        }
        return references
    }

    public func rowsHolding(_ reference: OutsideReference, values: [Value]) throws -> Int {
        // `table` is quoted already and the types are the catalog's own words
        // (`referencesFromOutside`). Each value is read as the type of the column it came
        // from: the holding column may be narrower (an int pointing at a bigint), and a
        // value it cannot hold is no row of it.
        let condition = zip(reference.columns, reference.types).enumerated().map { position, pair in
            "\(Identifier.quote(pair.0)) = $\(position + 1)::\(pair.1)"
        }.joined(separator: " AND ")
        do {
            guard case .integer(let count)? = try isolated({ try connection.scalar("SELECT count(*) FROM \(reference.table) WHERE \(condition)", values) }) else { return 0 }
            return Int(count)
        } catch let error as FerryError where error.storeFailure?.kind == .notAuthorized {
            // A table this user may not read: the server's own check (run as the table's
            // owner) decides at the delete, as before Ferry looked.
            return 0
        }
    }

    public func tableName(matching name: String) throws -> String? {
        if try tableExists(name) { return name }
        let result = try connection.query("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND lower(c.relname) = lower($2) AND c.relkind IN ('r', 'p') LIMIT 2
            """, [.text(schema), .text(name)])
        return result.rowCount == 1 ? result.string(row: 0, column: 0) : nil
    }

    public func rowCount(_ table: String) throws -> Int {
        guard case .integer(let count)? = try connection.scalar("SELECT count(*) FROM \(qualified(table))") else { return 0 }
        return Int(count)
    }

    public func isEmpty(_ table: String) throws -> Bool {
        try connection.scalar("SELECT 1 FROM \(qualified(table)) LIMIT 1") == nil
    }

    public func nullCount(of column: String, in table: String) throws -> Int {
        guard case .integer(let count)? = try connection.scalar("SELECT count(*) FROM \(qualified(table)) WHERE \(Identifier.quote(column)) IS NULL") else { return 0 }
        return Int(count)
    }

    // MARK: Transactions

    public func withReadSnapshot<T>(_ body: () throws -> T) throws -> T {
        // One REPEATABLE READ transaction: every table is read as of its first statement.
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        inReadSnapshot = true
        defer {
            inReadSnapshot = false
            try? connection.execute("COMMIT")
        }
        return try body()
    }

    /// Inside `withReadSnapshot`: scans stream with COPY.
    private var inReadSnapshot = false

    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        // REPEATABLE READ: an export that keeps the book reads every table as of one moment,
        // and an import never acts on a row another session changed meanwhile (that
        // session's commit fails the import as busy, with nothing applied).
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        do {
            // Foreign keys declared DEFERRABLE (every one Ferry creates) are checked at commit,
            // so a cycle of rows can be written in any order, as in SQLite.
            try connection.execute("SET CONSTRAINTS ALL DEFERRED")
            let result = try body()
            try advanceSequences()
            try connection.execute("COMMIT")
            insertedIds = []
            growth = [:]
            forgetRows()
            onlyFerryWritesHere = nil
            deletesAlone = [:]
            return result
        } catch {
            insertedIds = []
            growth = [:]
            forgetRows()
            onlyFerryWritesHere = nil
            deletesAlone = [:]
            suspendedTriggers = [] // the roll-back enabled them again
            postponedForeignKeys = []
            declaredCache = [:] // tables this transaction made are gone
            held = HeldWrites()
            refusal = nil
            if connection.isInTransaction { try? connection.rollBack() }
            throw error
        }
    }

    // MARK: Held updates

    /// Whether updates may be held to go to the server together (`hold`); off for an import
    /// run again after the server refused a set.
    public private(set) var holdsWrites = true
    public func sendEachWriteAlone() { holdsWrites = false }
    public func sendHeldWrites() throws { try connection.sendHeldWork() }
    private var held = HeldWrites()
    /// A held set the server refused: every later statement of the transaction fails with it,
    /// so nothing can commit what followed it (a `try?` that swallows it changes nothing).
    private var refusal: HeldWritesRefused?
    /// Rows updated a set at a time, for the tests.
    package var rowsUpdatedTogether = 0

    /// Holds an update made on trust, to be written with the others before the connection
    /// runs any other statement (a read sees it; COMMIT writes it), or once 256 are held.
    /// A reconcile of rows matched under other ids was one round trip per updated row.
    /// The caller has checked that the order held rows are written in cannot matter
    /// (`PostgresTableAccess.uniqueMoves`); rows that could are written in turn here.
    func hold(_ update: HeldUpdate) throws {
        if let refusal { throw refusal }
        if held.mustSendFirst(update) { try sendHeld() }
        try holding { $0.add(update) }
    }

    /// Holds a delete the caller made sure touches only its row (`deleteTouchesOnlyItsRow`,
    /// its children gone or cleared before it), to go out with the others of its table.
    /// Deletes of an incremental changeset were two round trips a parent.
    func hold(_ delete: HeldDelete) throws {
        if let refusal { throw refusal }
        try holding { $0.add(delete) }
        rowsDeletedTogether += 1
    }

    /// Adds a write to the held ones, to go before the connection's next statement, or now
    /// once a set is full.
    private func holding(_ add: (inout HeldWrites) -> Void) throws {
        add(&held)
        connection.beforeNextStatement = { [unowned self] in try self.sendHeld() }
        if held.count >= HeldWrites.limit { try sendHeld(waiting: false) }
    }
    /// Rows deleted a set at a time, and parents whose children were asked with their
    /// batch's, for the tests.
    package var rowsDeletedTogether = 0
    package var childLookupsTogether = 0

    /// `waiting` false: the last set goes out while the import goes on (the server's time
    /// and Ferry's overlap); its result is read before the next statement.
    private func sendHeld(waiting: Bool = true) throws {
        if let refusal { throw refusal }
        connection.beforeNextStatement = nil
        do {
            try held.send(lastUnawaited: waiting ? nil : { [unowned self] error in self.refused(error) })
        } catch let refusal as HeldWritesRefused {
            throw refusal
        } catch {
            throw refused(error)
        }
    }

    /// The transaction is aborted, and records after the refused one were applied as though
    /// it had been written: the importer rolls back and runs again.
    private func refused(_ error: Error) -> HeldWritesRefused {
        let refusal = self.refusal ?? HeldWritesRefused(cause: error)
        self.refusal = refusal
        refuseEveryStatement()
        return refusal
    }

    private func refuseEveryStatement() {
        connection.beforeNextStatement = { [unowned self] in
            self.refuseEveryStatement()
            if let refusal = self.refusal { throw refusal }
        }
    }

    /// Runs one prepared write inside a savepoint (one round trip): PostgreSQL aborts the
    /// whole transaction on a failed statement, where the importer wants only that record
    /// rejected, as in SQLite.
    func write(_ statement: PostgresStatement, _ parameters: [Value]) throws -> PostgresResult {
        guard connection.isInTransaction else { return try connection.run(statement, parameters) }
        writesAlone += 1
        do {
            return try connection.runInSavepoint(statement, parameters)
        } catch {
            throw try withUniqueColumns(error)
        }
    }

    /// Runs `body` inside a savepoint, for statements other than one prepared write.
    func isolated<T>(_ body: () throws -> T) throws -> T {
        guard connection.isInTransaction else { return try body() }
        let name = "ferry_write"
        try connection.execute("SAVEPOINT \(name)")
        do {
            let result = try body()
            try connection.execute("RELEASE SAVEPOINT \(name)")
            return result
        } catch {
            try connection.execute("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            throw try withUniqueColumns(error)
        }
    }

    /// Names the columns of a violated unique constraint or index, read once the failed
    /// statement is rolled back, for the advice a reject carries; and those of an index a
    /// key was too long for (54000), in its message.
    private func withUniqueColumns(_ error: Error) throws -> Error {
        guard let error = error as? FerryError, var failure = error.storeFailure, let name = failure.constraint,
              failure.kind == .unique || failure.code == "SQLSTATE 54000" else { return error }
        let result = try connection.query("""
            SELECT a.attname, i.indexprs IS NOT NULL FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
            LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE n.nspname = $1 AND c.relname = $2 ORDER BY k.position
            """, [.text(schema), .text(name)])
        let columns = (0..<result.rowCount).compactMap { result.string(row: $0, column: 0) }
        let overExpressions = result.rowCount > 0 && result.string(row: 0, column: 1) == "t"
        failure.columns = overExpressions || columns.count != result.rowCount ? nil : columns
        if failure.kind != .unique {
            guard let named = failure.columns, !error.message.contains("column ") else { return error }
            let columns = "column\(named.count == 1 ? "" : "s") \(named.joined(separator: ", "))"
            var message = "\(columns): \(error.message)"
            if error.message.hasPrefix("table "), let colon = error.message.range(of: ": ") {
                message = error.message.replacingCharacters(in: colon, with: ", \(columns): ")
            }
            return FerryError(error.kind, message, storeFailure: failure, detail: error.detail)
        }
        return FerryError(error.kind, error.message, storeFailure: failure, detail: error.detail)
    }

    /// Moves each identity or serial sequence past the largest id in its table, for the
    /// tables this transaction inserted into.
    private func advanceSequences() throws {
        for table in insertedIds.sorted() {
            for (column, sequence) in try sequenceColumns(of: table) {
                try connection.query("""
                    SELECT setval($1::regclass, greatest(m, coalesce(pg_sequence_last_value($1::regclass), 0)))
                    FROM (SELECT max(\(Identifier.quote(column)))::bigint AS m FROM \(qualified(table))) AS q WHERE m IS NOT NULL
                    """, [.text(sequence)])
            }
        }
    }

    /// Columns whose default comes from a sequence, with the sequence: identity columns,
    /// serials, and a default of `nextval('seq')` written by hand, whose sequence no column
    /// owns (`pg_get_serial_sequence` knows only owned ones: such a sequence was never moved
    /// past the ids an import inserted, and the application's next insert collided).
    private func sequenceColumns(of table: String) throws -> [(column: String, sequence: String)] {
        let result = try connection.query("""
            SELECT a.attname, coalesce(pg_get_serial_sequence($3, a.attname)::regclass,
                   (SELECT d.refobjid::regclass FROM pg_attrdef ad
                    JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
                    JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
                    WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum ORDER BY d.refobjid LIMIT 1))::text
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """, [.text(schema), .text(table), .text(qualified(table))])
        return (0..<result.rowCount).compactMap { row in
            guard let column = result.string(row: row, column: 0), let sequence = result.string(row: row, column: 1) else { return nil }
            return (column, sequence)
        }
    }

    // MARK: Reading

    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], _ body: (RowCursor) throws -> Void) throws {
        try scan(table, columns: columns, joining: references, bookTable: nil, body)
    }

    /// Each row with its book entry's hash, sequence and fingerprint after its cells, joined
    /// by the entry's key: Ferry's JSON array of the key's values, which SQL rebuilds here
    /// for integers and for text with nothing to escape. A row whose key SQL cannot spell
    /// so joins nothing, and the export asks the book by key (a round trip each, as every row
    /// did before).
    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], withBookEntriesOf bookTable: Int64,
                     _ body: (RowCursor) throws -> Void) throws {
        try scan(table, columns: columns, joining: references, bookTable: bookTable, body)
    }

    private func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], bookTable: Int64?,
                      _ body: (RowCursor) throws -> Void) throws {
        var (select, joins) = ReferenceJoin.scanSQL(columns: columns, joining: references, table: qualified)
        let types = try columnTypes(of: table.name)
        for (index, column) in columns.enumerated() { select[index] = PostgresTypes.readExpression(select[index], type: types[column]) }
        if let bookTable, !table.primaryKey.isEmpty {
            // Characters Ferry's JSON escapes: a key holding one is not spelled here.
            let escaped = "('[' || chr(34) || chr(92) || chr(92) || '[:cntrl:]' || chr(8232) || chr(8233) || ']')"
            let parts = table.primaryKey.map { column -> String in
                let cell = "t.\(Identifier.quote(column))"
                switch types[column] {
                case PostgresTypes.int2?, PostgresTypes.int4?, PostgresTypes.int8?: return "\(cell)::text"
                case PostgresTypes.text?, PostgresTypes.varchar?, PostgresTypes.uuid?:
                    return "CASE WHEN \(cell)::text ~ \(escaped) THEN NULL ELSE '\"' || \(cell)::text || '\"' END"
                case PostgresTypes.bpchar?:
                    // As Ferry reads a character(n), padded to n: `::text` drops the padding
                    // (and every row then asked the book alone); `concat` prints it.
                    return "CASE WHEN concat(\(cell)) ~ \(escaped) THEN NULL ELSE '\"' || concat(\(cell)) || '\"' END"
                default: return "NULL"
                }
            }
            let key = "convert_to('[' || \(parts.joined(separator: " || ',' || ")) || ']', 'UTF8')"
            select += ["b.hash", "b.seq", "b.fingerprint"]
            joins += " LEFT JOIN _ferry_rows AS b ON b.tableId = \(bookTable) AND b.rowKey = \(key) AND b.hash IS NOT NULL AND NOT b.deleted"
        }
        let sql = "SELECT \(select.joined(separator: ", ")) FROM \(qualified(table.name)) AS t\(joins)"
        // Worked out once per scan: a per-cell look at the type name cost most of an export.
        var affinities = try { let own = try convertingAffinities(of: table.name); return columns.map { own[$0] } }()
        for join in references {
            let parent = try convertingAffinities(of: join.reference.table)
            affinities += join.parentColumns.map { parent[$0] }
        }
        if inReadSnapshot {
            // An export's read-only snapshot: its scans only read rows (no lookups while a
            // scan runs), so the rows stream with COPY, one at a time in memory.
            let shape = try connection.query("\(sql) LIMIT 0")
            let cursor = PostgresCopyRowCursor(types: (0..<shape.columnCount).map { shape.type(of: $0) },
                                               modifiers: (0..<shape.columnCount).map { shape.modifier(of: $0) }, affinities: affinities)
            try connection.copyOut("COPY (\(sql)) TO STDOUT") { line in
                try cursor.read(line)
                try body(cursor)
            }
            return
        }
        // A cursor, fetched in batches: memory holds one batch, whatever the table's size.
        let ownTransaction = !connection.isInTransaction
        if ownTransaction { try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") }
        defer { if ownTransaction { try? connection.execute("COMMIT") } }
        try connection.execute("DECLARE ferry_scan NO SCROLL CURSOR FOR \(sql)")
        defer { try? connection.execute("CLOSE ferry_scan") }
        while true {
            let batch = try connection.query("FETCH 5000 FROM ferry_scan")
            if batch.rowCount == 0 { break }
            let cursor = PostgresRowCursor(result: batch, row: 0, affinities: affinities)
            for row in 0..<batch.rowCount {
                cursor.row = row
                try body(cursor)
            }
        }
    }

    // MARK: Writing

    @discardableResult
    public func createTable(_ definition: TableDefinition, trustSchema: Bool) throws -> [String] {
        // The DDL is written here from the definition's names and types, never taken from
        // the changeset's `create` text: a stranger's changeset runs no SQL of its own.
        var (sql, postponed, checks, notCarried) = try PostgresCatalog.createStatement(for: definition, in: schema, known: { type in
            // to_regtype raises on some names (`int(11)`) instead of saying no: asked in a savepoint.
            (try? isolated { try connection.scalar("SELECT to_regtype($1) IS NOT NULL", [.text(type)]) }) == .integer(1)
        }, parentExists: { try tableExists($0) })
        declaredCache[definition.name] = nil
        do {
            try isolated { try connection.execute(sql) }
        } catch let error as FerryError {
            throw error.rephrased("table \(definition.name) could not be created in \(displayName): \(error.clause). Create it yourself, then import again.", kind: .schema)
        }
        postponedForeignKeys += postponed.map { (definition.name, $0) }
        // Each CHECK on its own: one PostgreSQL refuses (`flag IN (0, 1)` on what is a
        // boolean here) stays behind, said, and the table keeps the others.
        for (check, statement) in checks {
            do {
                // One statement only (the extended protocol refuses more), whatever a literal holds.
                try isolated { _ = try connection.query(statement) }
            } catch let error as FerryError {
                notCarried.append("CHECK (\(check.original)) (PostgreSQL refused it: \(error.clause))")
            }
        }
        return notCarried
    }

    /// A stamp on PostgreSQL is a BEFORE ROW trigger on INSERT or UPDATE whose function only
    /// sets columns of NEW to the current time (pagila's `last_updated`, `moddatetime`;
    /// `PostgresTriggerFunction`). Each one that fires in an ordinary session (`tgenabled =
    /// 'O'`) is disabled for the import's transaction, on the table and on each partition by
    /// itself (`ALTER TABLE ONLY`, so every partition keeps its own state), and enabled again
    /// before commit. Checks (`RAISE`), values derived from the row (a tsvector, a slug),
    /// `ENABLE ALWAYS` triggers and AFTER triggers keep firing. A trigger that cannot be set
    /// aside (the user does not own the table, or another session holds it past the busy
    /// timeout) keeps firing too, said in `kept`.
    public func suspendRowStampingTriggers(on tables: [String]) throws -> TriggerSuspension {
        var suspension = TriggerSuspension()
        for table in tables where try tableExists(table) {
            let result = try connection.query("""
                SELECT g.tgrelid::regclass::text, g.tgname, p.proname, l.lanname, p.prosrc
                FROM (SELECT $1::regclass AS relid, 0 AS level UNION SELECT relid, level FROM pg_partition_tree($1::regclass)) AS tree
                JOIN pg_trigger g ON g.tgrelid = tree.relid
                JOIN pg_proc p ON p.oid = g.tgfoid JOIN pg_language l ON l.oid = p.prolang
                WHERE NOT g.tgisinternal AND g.tgenabled = 'O' AND (g.tgtype & 3) = 3 AND (g.tgtype & 20) <> 0
                ORDER BY tree.level, 1, 2
                """, [.text(qualified(table))])
            for row in 0..<result.rowCount {
                guard let relation = result.string(row: row, column: 0), let name = result.string(row: row, column: 1) else { continue }
                let kind = PostgresTriggerFunction.kind(name: result.string(row: row, column: 2) ?? "", language: result.string(row: row, column: 3) ?? "",
                                                        source: result.string(row: row, column: 4) ?? "")
                if kind == .stampAndMore {
                    suspension.kept.append("\(relation).\(name) (its function also does more than stamp, so it was left to fire; give the stamp a trigger of its own)")
                }
                guard kind == .stamp else { continue }
                do {
                    try isolated {
                        // Waits for the table's lock as long as the session's lock_timeout (--busy-timeout).
                        try connection.execute("ALTER TABLE ONLY \(relation) DISABLE TRIGGER \(Identifier.quote(name))")
                    }
                } catch let error as FerryError {
                    let why = error.storeFailure?.kind == .notAuthorized ? "only the table's owner may set it aside"
                        : error.storeFailure?.kind == .busy ? "another session held the table" : error.clause
                    suspension.kept.append("\(relation).\(name) (\(why))")
                    continue
                }
                suspendedTriggers.append((relation, name))
                suspension.suspended.append("\(relation).\(name)")
            }
        }
        return suspension
    }

    public func restoreTriggers() throws {
        defer { suspendedTriggers = [] }
        for (table, name) in suspendedTriggers {
            try connection.execute("ALTER TABLE ONLY \(table) ENABLE TRIGGER \(Identifier.quote(name))")
        }
    }

    /// Declares the foreign keys `createTable` postponed until their parent existed.
    public func finishCreatingTables() throws {
        defer { postponedForeignKeys = [] }
        for (table, reference) in postponedForeignKeys {
            guard try tableExists(reference.table) else {
                throw FerryError(.schema, "table \(table) could not be created in \(displayName) with its foreign key (\(reference.columns.joined(separator: ", "))): it points at table \(reference.table), which is neither in \(displayName) nor in the changeset. Create that table first, or export it too, then import again.")
            }
            do {
                try isolated { try connection.execute(PostgresCatalog.foreignKeyStatement(reference, of: table, in: schema)) }
            } catch let error as FerryError {
                throw error.rephrased("the foreign key (\(reference.columns.joined(separator: ", "))) of table \(table) could not be declared in \(displayName): \(error.clause). Declare it yourself, then import again.", kind: .schema)
            }
        }
    }

    /// A foreign key Ferry declares, or one declared DEFERRABLE, is checked at commit
    /// (`withTransaction` defers every deferrable one); a NOT DEFERRABLE one at each row.
    public func checksReferenceAtCommit(_ reference: Reference, of table: String) throws -> Bool {
        let result = try connection.query("""
            SELECT con.oid::bigint, con.condeferrable::text, a.attname
            FROM pg_constraint con CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(n, o)
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
            WHERE con.conrelid = $1::regclass AND con.contype = 'f' AND con.confrelid = $2::regclass ORDER BY 1, k.o
            """, [.text(qualified(table)), .text(qualified(reference.table))])
        var constraints: [(columns: [String], deferrable: Bool)] = []
        var last: Value?
        for row in 0..<result.rowCount {
            let oid = result.value(row: row, column: 0)
            if oid != last { constraints.append(([], result.string(row: row, column: 1) == "true")); last = oid }
            constraints[constraints.count - 1].columns.append(result.string(row: row, column: 2) ?? "")
        }
        // No constraint on these columns checks nothing; one Ferry postponed is deferrable.
        return constraints.allSatisfy { $0.columns != reference.columns || $0.deferrable }
    }

    public func makeTableAccess(_ table: TableDefinition) throws -> TableAccess {
        let access = try PostgresTableAccess(store: self, table: table)
        accessesMade[table.name] = WeakAccess(access: access)
        return access
    }

    /// Rows written into each table in this transaction since its statistics were last
    /// refreshed, and how many it takes to refresh them again.
    private var growth: [String: (written: Int, next: Int)] = [:]

    /// A table that grows a lot inside one transaction (an import into empty tables, the
    /// book's first entries after `prepare`) keeps the statistics of its start. PostgreSQL
    /// then plans lookups as over a table of a few rows, by sequential scan, and the import
    /// turns quadratic (21 ms a lookup at 100,000 rows of the book). So its statistics are
    /// refreshed (ANALYZE, which counts this transaction's own rows, and makes prepared
    /// statements plan again) at 10,000 rows written, then each time the writes since
    /// reach three times as many again.
    func noteGrowth(of table: String, sql: @autoclosure () -> String, by rows: Int) throws {
        guard connection.isInTransaction, rows > 0 else { return }
        var state = growth[table] ?? (0, 10_000)
        state.written += rows
        if state.written >= state.next {
            try connection.execute("ANALYZE \(sql())")
            state.next = state.written * 4
            statisticsRefreshed += 1
        }
        growth[table] = state
    }
    /// ANALYZEs run by `noteGrowth`, for the tests.
    package var statisticsRefreshed = 0

    /// The last access made for each table: the book asks it for rows by cloudId, which its
    /// batch's lookups have mostly answered already.
    private var accessesMade: [String: WeakAccess] = [:]
    private struct WeakAccess { weak var access: PostgresTableAccess? }
    func accessMade(for table: String) -> PostgresTableAccess? { accessesMade[table]?.access }

    /// Each column of `table` and its type's oid (domains, over domains too, as their base type).
    func columnTypes(of table: String) throws -> [String: UInt32] {
        let result = try connection.query(Self.columnTypeChain + """
            SELECT c.attname, c.typid::bigint FROM chain c JOIN pg_type t ON t.oid = c.typid WHERE t.typtype <> 'd'
            """, [.text(qualified(table))])
        var types: [String: UInt32] = [:]
        for row in 0..<result.rowCount {
            if let name = result.string(row: row, column: 0), case .integer(let oid) = result.value(row: row, column: 1) { types[name] = UInt32(oid) }
        }
        return types
    }

    /// Each column of the table named by $1, with every type it is declared as down its chain
    /// of domains (`chain(attname, typid, typmod)`; a domain's own typmod where the column has
    /// none).
    private static let columnTypeChain = """
            WITH RECURSIVE chain(attname, typid, typmod) AS (
                SELECT a.attname, a.atttypid, a.atttypmod FROM pg_attribute a
                WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
                UNION ALL
                SELECT c.attname, t.typbasetype, CASE WHEN c.typmod >= 0 THEN c.typmod ELSE t.typtypmod END
                FROM chain c JOIN pg_type t ON t.oid = c.typid WHERE t.typtype = 'd')

        """

    /// The scale of each column of `table` declared `numeric(p,s)`, through domains over
    /// domains; negative since PostgreSQL 15 (`numeric(5,-2)` keeps hundreds). An array of
    /// them (`numeric(6,2)[]`) is listed in `arrays`.
    func numericScales(of table: String) throws -> (scalars: [String: Int], arrays: [String: Int]) {
        let result = try connection.query(Self.columnTypeChain + """
            SELECT attname, typmod::bigint, typid = 'numeric[]'::regtype FROM chain WHERE typid IN ('numeric'::regtype, 'numeric[]'::regtype)
            """, [.text(qualified(table))])
        var scales: [String: Int] = [:], arrays: [String: Int] = [:]
        for row in 0..<result.rowCount {
            // typmod = ((precision << 16) | (scale & 0x7ff)) + 4, the scale an 11-bit signed
            // number; -1 for an unconstrained numeric.
            if let name = result.string(row: row, column: 0), case .integer(let typmod) = result.value(row: row, column: 1), typmod >= 4 {
                let scale = Int((((typmod - 4) & 0x7FF) ^ 1024) - 1024)
                if result.value(row: row, column: 2) == .integer(1) { arrays[name] = scale } else { scales[name] = scale }
            }
        }
        return (scales, arrays)
    }

    /// The fractional digits of a second each timestamp, timestamptz, time and timetz
    /// column of `table` keeps (`timestamp(0)`: none; 6 where none is declared), domains
    /// followed to their base type.
    func secondsPrecisions(of table: String) throws -> [String: Int] {
        let result = try connection.query(Self.columnTypeChain + """
            SELECT attname, typmod::bigint FROM chain
            WHERE typid IN ('timestamp'::regtype, 'timestamptz'::regtype, 'time'::regtype, 'timetz'::regtype)
            """, [.text(qualified(table))])
        var precisions: [String: Int] = [:]
        for row in 0..<result.rowCount {
            // typmod = the precision; -1 when none was declared (microseconds).
            if let name = result.string(row: row, column: 0), case .integer(let typmod) = result.value(row: row, column: 1) {
                precisions[name] = typmod >= 0 ? Int(typmod) : 6
            }
        }
        return precisions
    }

    /// The declared length of each `character(n)` (padded) and `character varying(n)` column
    /// of `table`, domains followed to their base type; with `arrays`, of each array of them
    /// (its elements are stored by the same rules).
    func characterLengths(of table: String, arrays: Bool = false) throws -> [String: CharacterLength] {
        let (padded, varying) = arrays ? ("'character[]'", "'character varying[]'") : ("'bpchar'", "'varchar'")
        let result = try connection.query(Self.columnTypeChain + """
            SELECT attname, typmod::bigint, typid = \(padded)::regtype FROM chain WHERE typid IN (\(padded)::regtype, \(varying)::regtype) AND typmod >= 5
            """, [.text(qualified(table))])
        var lengths: [String: CharacterLength] = [:]
        for row in 0..<result.rowCount {
            // typmod = the length + 4.
            if let name = result.string(row: row, column: 0), case .integer(let typmod) = result.value(row: row, column: 1) {
                lengths[name] = CharacterLength(length: Int(typmod - 4), padded: result.value(row: row, column: 2) == .integer(1))
            }
        }
        return lengths
    }

    /// The columns of `table` whose type prints a value given as text in a spelling of its
    /// own (`26 hours` as `1 day 02:00:00`, jsonb with its keys in its own order, `{"a"}` as
    /// `{a}`, `[1,5]` as `[1,6)`, a timestamp given with a `T`, a number given as text), each
    /// with the type a value is cast to, to learn that spelling: the column's base type with
    /// its modifier (a timestamp(3) rounds a cast as it rounds what it stores), but without
    /// one where a cast would cut what a write refuses (arrays of varchar(n) or bit(n)).
    /// Strings, enums, bit strings, booleans, bytea and json keep text as it is given, or
    /// take none; integers and floats get numbers (SQLite's affinity made them so at the
    /// source), and are left out so that the bench's tables, and most, learn nothing. Never
    /// xml: it prints a document without the declaration it stores (`<?xml version="1.0"?>`),
    /// and the spelling learnt is the one written. Nor the reg* types, whose cast of a name
    /// that does not exist is an error no record can be rejected for (42P01, not 22P02).
    func respelledColumns(of table: String) throws -> [String: String] {
        let result = try connection.query(Self.columnTypeChain + """
            SELECT c.attname, format_type(c.typid, CASE WHEN e.typcategory IN ('S', 'V') THEN -1 ELSE c.typmod END)
            FROM chain c JOIN pg_type t ON t.oid = c.typid LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
            WHERE t.typtype <> 'd' AND t.typcategory NOT IN ('S', 'E', 'V', 'B', 'P', 'X', 'Z')
              AND c.typid NOT IN ('bytea'::regtype, 'json'::regtype, 'xml'::regtype, 'smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
                                  'real'::regtype, 'double precision'::regtype)
              AND NOT (t.typnamespace = 'pg_catalog'::regnamespace AND (t.typname LIKE 'reg%' OR t.typname IN ('oid', '_oid')))
            """, [.text(qualified(table))])
        var columns: [String: String] = [:]
        for row in 0..<result.rowCount {
            if let name = result.string(row: row, column: 0), let type = result.string(row: row, column: 1) { columns[name] = type }
        }
        return columns
    }

    /// The columns of `table` that hold dates or moments inside an array or a range
    /// (`timestamp[]`, `daterange`, a domain over either, an array of a domain over date),
    /// each with the base type of those elements: the rules that refuse `'now'` and a date
    /// with a time in a plain column must reach them too.
    func temporalElementTypes(of table: String) throws -> [String: UInt32] {
        let result = try connection.query(Self.columnTypeChain + """
            , elements(attname, typid) AS (
                SELECT c.attname, CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE r.rngsubtype END
                FROM chain c JOIN pg_type t ON t.oid = c.typid LEFT JOIN pg_range r ON r.rngtypid = c.typid OR r.rngmultitypid = c.typid
                WHERE t.typtype <> 'd' AND (t.typcategory = 'A' OR r.rngtypid IS NOT NULL)
                UNION ALL
                SELECT e.attname, t.typbasetype FROM elements e JOIN pg_type t ON t.oid = e.typid WHERE t.typtype = 'd')
            SELECT e.attname, e.typid::bigint FROM elements e
            WHERE e.typid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype, 'time'::regtype, 'timetz'::regtype)
            """, [.text(qualified(table))])
        var columns: [String: UInt32] = [:]
        for row in 0..<result.rowCount {
            if let name = result.string(row: row, column: 0), case .integer(let oid) = result.value(row: row, column: 1) { columns[name] = UInt32(oid) }
        }
        return columns
    }

    /// The SQLite type each column of `table` was made from, when Ferry made it (its
    /// comment); such a column's values read back under that type's affinity.
    func declaredTypes(of table: String) throws -> [String: String] {
        if let known = declaredCache[table] { return known }
        let result = try connection.query("""
            SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype
              AND col_description(a.attrelid, a.attnum) LIKE 'ferry: declared type %'
            """, [.text(qualified(table))])
        var declared: [String: String] = [:]
        for row in 0..<result.rowCount {
            if let name = result.string(row: row, column: 0), let comment = result.string(row: row, column: 1) {
                declared[name] = String(comment.dropFirst(PostgresCatalog.declaredPrefix.count))
            }
        }
        declaredCache[table] = declared
        return declared
    }
    private var declaredCache: [String: [String: String]] = [:]

    /// The columns of `table` whose values read back under a converting SQLite affinity.
    func convertingAffinities(of table: String) throws -> [String: PostgresTypes.Affinity] {
        try declaredTypes(of: table).compactMapValues(PostgresTypes.convertingAffinity)
    }

    public func hasIndex(on table: String, startingWith columns: [String]) throws -> Bool {
        let covered = try connection.query("""
            SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND i.indpred IS NULL
              AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM unnest((i.indkey::int2[])[0:\(columns.count - 1)]) AS k(attnum)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) = (SELECT array_agg(x ORDER BY x) FROM unnest($3::text[]) AS x)
            LIMIT 1
            """, [.text(schema), .text(table), .text(Self.arrayLiteral(columns))])
        return covered.rowCount > 0
    }

    public func addLookupIndex(on table: String, columns: [String]) throws -> String? {
        if try hasIndex(on: table, startingWith: columns) { return nil }
        let name = "_ferry_lookup_" + UUID().uuidString.prefix(8).lowercased()
        try connection.execute("CREATE INDEX \(Identifier.quote(name)) ON \(qualified(table)) (\(Identifier.quoteList(columns)))")
        return name
    }

    public func dropLookupIndex(_ name: String) throws {
        try connection.execute("DROP INDEX IF EXISTS \(qualified(name))")
    }

    /// `{"a","b"}`: a text[] literal, each element quoted and escaped.
    static func arrayLiteral(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
    }

    public func autoincrementSequence(of table: String) throws -> Int64? {
        for (_, sequence) in try sequenceColumns(of: table) {
            if case .integer(let value)? = try connection.scalar("SELECT pg_sequence_last_value($1::regclass)", [.text(sequence)]) {
                return value
            }
        }
        return nil
    }

    public func raiseAutoincrementSequence(of table: String, to value: Int64) throws {
        for (_, sequence) in try sequenceColumns(of: table) {
            try connection.query("SELECT setval($1::regclass, greatest($2::bigint, coalesce(pg_sequence_last_value($1::regclass), 0)))",
                                 [.text(sequence), .integer(value)])
        }
    }

    public func addCloudIdColumn(_ column: String, to table: String) throws {
        try connection.execute("ALTER TABLE \(qualified(table)) ADD COLUMN \(Identifier.quote(column)) text")
        // A partitioned table (pagila's payment) takes a UNIQUE index only over its partition
        // key's columns too: its cloudIds get a plain index, and their uniqueness rests on
        // how they are made (UUIDv7), as matching never needs more than the lookup.
        let partitioned = try connection.scalar("SELECT count(*) FROM pg_class WHERE oid = $1::regclass AND relkind = 'p'", [.text(qualified(table))]) == .integer(1)
        try connection.execute("CREATE \(partitioned ? "" : "UNIQUE ")INDEX \(Identifier.quote("\(table)_\(column)_key")) ON \(qualified(table)) (\(Identifier.quote(column)))")
    }

    public func fillNullValues(of column: String, in table: TableDefinition, _ value: ([Value]) throws -> String) throws -> Int {
        guard !table.primaryKey.isEmpty else {
            throw FerryError(.usage, "table \(table.name) has no primary key; on PostgreSQL Ferry gives cloudIds only to rows it can address by key. Add a primary key, or leave the table out (--tables).")
        }
        guard try nullCount(of: column, in: table.name) > 0 else { return 0 }
        // The application's triggers stay quiet while Ferry stamps cloudIds (an `updated_at`
        // trigger would move every row's timestamp): the enabled ones are disabled by name
        // for this transaction's statements and enabled again, as in SQLite.
        let triggers = try connection.query("""
            SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY tgname
            """, [.text(qualified(table.name))])
        let names = (0..<triggers.rowCount).compactMap { triggers.string(row: $0, column: 0) }
        for name in names { try connection.execute("ALTER TABLE \(qualified(table.name)) DISABLE TRIGGER \(Identifier.quote(name))") }
        let keys = Identifier.quoteList(table.primaryKey)
        let select = try connection.prepare("SELECT \(keys) FROM \(qualified(table.name)) WHERE \(Identifier.quote(column)) IS NULL LIMIT 5000")
        let update = try connection.prepare("UPDATE \(qualified(table.name)) SET \(Identifier.quote(column)) = $1 WHERE "
            + table.primaryKey.enumerated().map { "\(Identifier.quote($1)) = $\($0 + 2)" }.joined(separator: " AND "))
        var filled = 0
        while true {
            let batch = try connection.run(select)
            if batch.rowCount == 0 { break }
            for row in 0..<batch.rowCount {
                let key = table.primaryKey.indices.map { batch.value(row: row, column: $0) }
                try connection.run(update, [.text(try value(key))] + key)
            }
            filled += batch.rowCount
        }
        for name in names { try connection.execute("ALTER TABLE \(qualified(table.name)) ENABLE TRIGGER \(Identifier.quote(name))") }
        return filled
    }

    /// The import's scratch key map and key sets live on this side, in a private temporary
    /// SQLite file (on disk, memory flat, gone when the store is): kept on the server they
    /// cost a round trip per lookup, most of an import's time.
    /// One transaction, never committed: in autocommit each key written was a commit of its
    /// own (a twentieth of a reconcile's time), and nothing here outlives the store.
    private lazy var scratch: Result<SQLiteDatabase, Error> = Result {
        let database = try SQLiteDatabase(path: "", mode: .readWriteCreate)
        try database.execute("PRAGMA journal_mode = OFF; BEGIN")
        return database
    }

    public func makeKeyMap() throws -> KeyMap { try SQLiteKeyMap(database: scratch.get()) }

    public func makeKeySet(purpose: KeySetPurpose) throws -> KeySet { try SQLiteKeySet(database: scratch.get(), purpose: purpose) }

    public func syncBook(create: Bool) throws -> SyncBook? {
        if create, try !tableExists("_ferry_rows") { try connection.execute(PostgresSyncBook.createSQL) }
        return try PostgresSyncBook.open(self)
    }

    // MARK: Bookkeeping

    public func appendImportLog(_ entry: ImportLogEntry) throws {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS \(qualified("_ferry_imports")) (
                changesetId text NOT NULL, appliedAt text NOT NULL, sourceName text, sourceFingerprint text, mode text,
                inserted bigint NOT NULL, updated bigint NOT NULL, merged bigint NOT NULL, unchanged bigint NOT NULL,
                deleted bigint NOT NULL, conflicts bigint NOT NULL, rejected bigint NOT NULL, position bigserial)
            """)
        let t = entry.totals
        try connection.query("INSERT INTO \(qualified("_ferry_imports")) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                             [.text(entry.changesetId), .text(entry.appliedAt), .text(entry.sourceName), .text(entry.sourceFingerprint), .text(entry.mode)]
                                + [t.inserted, t.updated, t.merged, t.unchanged, t.deleted, t.conflicts, t.rejected].map { .integer(Int64($0)) })
    }

    public func syncBookSummary() throws -> SyncBookSummary? { try PostgresSyncBook.summary(self) }

    public func importLog() throws -> [ImportLogEntry] {
        guard try tableExists("_ferry_imports") else { return [] }
        let result = try connection.query("SELECT * FROM \(qualified("_ferry_imports")) ORDER BY position")
        return (0..<result.rowCount).map { row in
            func int(_ column: Int) -> Int { if case .integer(let v) = result.value(row: row, column: column) { return Int(v) } else { return 0 } }
            var totals = ImportReport.Counts()
            totals.inserted = int(5); totals.updated = int(6); totals.merged = int(7); totals.unchanged = int(8)
            totals.deleted = int(9); totals.conflicts = int(10); totals.rejected = int(11)
            return ImportLogEntry(changesetId: result.string(row: row, column: 0) ?? "", appliedAt: result.string(row: row, column: 1) ?? "",
                                  sourceName: result.string(row: row, column: 2) ?? "", sourceFingerprint: result.string(row: row, column: 3) ?? "",
                                  mode: result.string(row: row, column: 4) ?? "", totals: totals)
        }
    }
}

/// A row of a PostgreSQL scan: one row of the current fetched batch. A class, as
/// `PostgresCopyRowCursor` is: handed on as a `RowCursor` several times a row.
final class PostgresRowCursor: RowCursor {
    let result: PostgresResult
    var row: Int
    /// The converting SQLite affinity of each column, by position (`convertingAffinities`).
    let affinities: [PostgresTypes.Affinity?]

    init(result: PostgresResult, row: Int, affinities: [PostgresTypes.Affinity?]) {
        self.result = result
        self.row = row
        self.affinities = affinities
    }

    private func affinity(_ index: Int) -> PostgresTypes.Affinity? { index < affinities.count ? affinities[index] : nil }

    func value(at index: Int) -> Value {
        guard !isNull(at: index) else { return .null }
        return PostgresTypes.cell(result.bytes(row: row, column: index), type: result.type(of: index), modifier: result.modifier(of: index), affinity: affinity(index))
    }
    func isNull(at index: Int) -> Bool { result.isNull(row: row, column: index) }
    func appendJSON(at index: Int, to buffer: inout JSONBuffer) {
        if !isNull(at: index), PostgresTypes.appendVerbatim(result.bytes(row: row, column: index), type: result.type(of: index), affinity: affinity(index), to: &buffer) { return }
        buffer.appendValue(value(at: index))
    }
}
