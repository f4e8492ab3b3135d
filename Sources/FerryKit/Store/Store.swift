/// A database Ferry reads from or writes to. SQLite today; PostgreSQL implements the same.
///
/// Everything SQL-specific stays behind this protocol: exporters and importers speak
/// in tables, rows and values.
public protocol Store: AnyObject {
    /// "sqlite" or "postgres", as the manifest's `source.kind` says.
    var kind: String { get }
    /// A short name for messages and the manifest (a file name, never credentials).
    var displayName: String { get }

    /// User tables (no `sqlite_*`, no `_ferry_*`) with their keys and references, resolved with `profile`.
    func tables(profile: Profile) throws -> [TableDefinition]
    func tableExists(_ name: String) throws -> Bool
    func rowCount(_ table: String) throws -> Int

    /// Runs `body` inside one read snapshot, so every table comes from the same moment.
    func withReadSnapshot<T>(_ body: () throws -> T) throws -> T
    /// Runs `body` in one write transaction: committed when it returns, rolled back when it throws.
    func withTransaction<T>(_ body: () throws -> T) throws -> T

    /// Calls `body` once per row of `columns`, in primary-key (or storage) order.
    func scan(_ table: TableDefinition, columns: [String], _ body: (RowCursor) throws -> Void) throws

    /// Creates a table and its indexes from a changeset's definition. Only CREATE TABLE and
    /// CREATE INDEX statements for that one table run; anything else is refused.
    func createTable(_ definition: TableDefinition) throws
    /// A writer that finds, inserts and updates rows of `table` by primary key.
    func makeRowWriter(table: TableDefinition, columns: [String]) throws -> RowWriter
    /// Foreign-key violations in `table`, as readable lines (empty when none).
    func foreignKeyViolations(in table: String) throws -> [String]
}

/// The current row of a scan. Accessors are valid until the next row.
public protocol RowCursor {
    func value(at index: Int) -> Value
    /// Appends the cell as a record value, without building a `Value` (the export hot path).
    func appendJSON(at index: Int, to buffer: inout JSONBuffer)
}

/// Writes rows of one table, keyed by its primary key.
public protocol RowWriter {
    /// The row whose primary key equals `key`, in the writer's column order, or nil.
    func find(primaryKey key: [Value]) throws -> [Value]?
    func insert(_ row: [Value]) throws
    func update(primaryKey key: [Value], to row: [Value]) throws
}
