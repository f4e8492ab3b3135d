/// Row access to one PostgreSQL table: statements prepared once per column set on the
/// connection; every write runs in a savepoint (`PostgresStore.isolated`), so a refused
/// record is rejected alone. A table without a primary key is addressed by `ctid`, which
/// holds until the row is next written: enough for one import's find-then-write.
final class PostgresTableAccess: TableAccess {
    let keyColumns: [String]
    private unowned let store: PostgresStore
    private let table: TableDefinition
    private let name: String
    private var cache: [String: PostgresStatement] = [:]

    init(store: PostgresStore, table: TableDefinition) {
        self.store = store
        self.table = table
        name = store.qualified(table.name)
        keyColumns = table.primaryKey.isEmpty ? ["rowid"] : table.primaryKey
    }

    private var connection: PostgresConnection { store.connection }

    private func statement(_ key: String, _ make: () -> String) throws -> PostgresStatement {
        if let cached = cache[key] { return cached }
        let statement = try connection.prepare(make())
        cache[key] = statement
        return statement
    }

    private func quoted(_ column: String) -> String { column == "rowid" ? "ctid" : Identifier.quote(column) }
    private var keySQL: String { keyColumns.map { $0 == "rowid" ? "ctid::text" : Identifier.quote($0) }.joined(separator: ", ") }

    /// `"a" = $1 AND "b" = $2`, numbered from `first` (`IS NOT DISTINCT FROM` when NULL equals NULL).
    private func equality(_ columns: [String], from first: Int, nullsEqual: Bool = false) -> String {
        columns.enumerated().map { index, column in
            column == "rowid" ? "ctid = $\(first + index)::tid" : "\(quoted(column)) \(nullsEqual ? "IS NOT DISTINCT FROM" : "=") $\(first + index)"
        }.joined(separator: " AND ")
    }

    private func keys(_ result: PostgresResult) -> [[Value]] {
        (0..<result.rowCount).map { row in (0..<keyColumns.count).map { result.value(row: row, column: $0) } }
    }

    /// PostgreSQL's text holds no NUL byte, so no row equals a value with one (and libpq
    /// would cut the parameter short there).
    private static func holdsNUL(_ values: [Value]) -> Bool {
        values.contains { if case .text(let bytes) = $0 { return bytes.contains(0) } else { return false } }
    }

    func keys(where columns: [String], equal values: [Value], limit: Int, nullsEqual: Bool) throws -> [[Value]] {
        if Self.holdsNUL(values) { return [] }
        let statement = try statement("keys\(limit)\(nullsEqual)\u{0}\(columns.joined(separator: "\u{0}"))") {
            "SELECT \(keySQL) FROM \(name) WHERE \(equality(columns, from: 1, nullsEqual: nullsEqual)) LIMIT \(limit)"
        }
        return keys(try connection.run(statement, values))
    }

    func keys(where key: ExpressionKey, equal values: [Value], limit: Int) throws -> [[Value]] {
        // The catalog reads no expression keys from PostgreSQL, and a changeset's templates
        // (SQLite SQL) are never run here: plain equality on the key's columns.
        try keys(where: key.columns, equal: values, limit: limit, nullsEqual: false)
    }

    func values(_ columns: [String], at key: [Value]) throws -> [Value]? {
        if Self.holdsNUL(key) { return nil }
        let statement = try statement("values\u{0}\(columns.joined(separator: "\u{0}"))") {
            "SELECT \(columns.isEmpty ? "1" : Identifier.quoteList(columns)) FROM \(name) WHERE \(equality(keyColumns, from: 1))"
        }
        let result = try connection.run(statement, key)
        guard result.rowCount > 0 else { return nil }
        return columns.indices.map { result.value(row: 0, column: $0) }
    }

    func insert(_ columns: [String], _ values: [Value]) throws -> [Value] {
        let statement = try statement("insert\u{0}\(columns.joined(separator: "\u{0}"))") {
            let list = columns.isEmpty ? "DEFAULT VALUES" : "(\(Identifier.quoteList(columns))) VALUES (\(columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")))"
            return "INSERT INTO \(name) \(list) RETURNING \(keySQL)"
        }
        let result = try store.isolated { try connection.run(statement, values) }
        if table.primaryKey.count == 1, columns.contains(table.primaryKey[0]) { store.insertedIds.insert(table.name) }
        return result.rowCount > 0 ? keys(result)[0] : []
    }

    func update(at key: [Value], _ columns: [String], _ values: [Value]) throws -> Bool {
        guard !columns.isEmpty else { return false }
        let statement = try statement("update\u{0}\(columns.joined(separator: "\u{0}"))") {
            let assignments = columns.enumerated().map { "\(Identifier.quote($1)) = $\($0 + 1)" }.joined(separator: ", ")
            let changed = columns.enumerated().map { "\(Identifier.quote($1)) IS DISTINCT FROM $\($0 + 1)" }.joined(separator: " OR ")
            return "UPDATE \(name) SET \(assignments) WHERE \(equality(keyColumns, from: columns.count + 1)) AND (\(changed))"
        }
        return try store.isolated { try connection.run(statement, values + key) }.affectedRows > 0
    }

    func delete(at key: [Value]) throws {
        let statement = try statement("delete") { "DELETE FROM \(name) WHERE \(equality(keyColumns, from: 1))" }
        try store.isolated { _ = try connection.run(statement, key) }
    }
}
