import CSQLite
import Foundation

/// The SQLite store: a file on disk, through the C API.
public final class SQLiteStore: Store {
    public let database: SQLiteDatabase
    public var kind: String { "sqlite" }
    public var displayName: String { (database.path as NSString).lastPathComponent }

    public init(path: String, mode: SQLiteDatabase.Mode) throws {
        database = try SQLiteDatabase(path: path, mode: mode)
    }

    public func tableExists(_ name: String) throws -> Bool {
        try database.scalar("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", [.text(name)]) != nil
    }

    public func rowCount(_ table: String) throws -> Int {
        guard case .integer(let count)? = try database.scalar("SELECT count(*) FROM \(Identifier.quote(table))") else { return 0 }
        return Int(count)
    }

    public func withReadSnapshot<T>(_ body: () throws -> T) throws -> T {
        try database.execute("BEGIN DEFERRED")
        defer { try? database.execute("COMMIT") }
        // A deferred transaction takes its snapshot at the first read; read now so it is taken here.
        _ = try database.scalar("SELECT count(*) FROM sqlite_schema")
        return try body()
    }

    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        try database.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try database.execute("COMMIT")
            return result
        } catch {
            if database.isInTransaction { try? database.execute("ROLLBACK") }
            throw error
        }
    }

    public func scan(_ table: TableDefinition, columns: [String], _ body: (RowCursor) throws -> Void) throws {
        let statement = try database.prepare("SELECT \(Identifier.quoteList(columns)) FROM \(Identifier.quote(table.name))")
        let cursor = SQLiteRowCursor(statement: statement)
        while try statement.step() {
            try body(cursor)
        }
    }

    public func foreignKeyViolations(in table: String) throws -> [String] {
        let statement = try database.prepare("SELECT \"table\", rowid, parent, fkid FROM pragma_foreign_key_check(?)")
        try statement.bind([.text(table)])
        var lines: [String] = []
        while try statement.step(), lines.count < 20 {
            let parent = statement.value(at: 2).string ?? "?"
            let rowid = statement.value(at: 1)
            lines.append("row \(rowid) of \(table) points at a missing row of \(parent)")
        }
        return lines
    }

    public func makeRowWriter(table: TableDefinition, columns: [String]) throws -> RowWriter {
        try SQLiteRowWriter(database: database, table: table, columns: columns)
    }
}

/// A row of a SQLite scan: reads straight from the statement's column buffers.
struct SQLiteRowCursor: RowCursor {
    let statement: SQLiteStatement

    func value(at index: Int) -> Value { statement.value(at: index) }

    func appendJSON(at index: Int, to buffer: inout JSONBuffer) {
        switch statement.columnType(at: index) {
        case SQLITE_INTEGER: buffer.appendInteger(statement.int64(at: index))
        case SQLITE_FLOAT: buffer.appendReal(statement.double(at: index))
        case SQLITE_TEXT: buffer.appendText(statement.bytes(at: index, text: true))
        case SQLITE_BLOB: buffer.appendBase64Object(statement.bytes(at: index, text: false))
        default: buffer.append(raw: "null")
        }
    }
}

/// Finds, inserts and updates rows of one table through three prepared statements, reused for every row.
final class SQLiteRowWriter: RowWriter {
    private let findStatement: SQLiteStatement?
    private let insertStatement: SQLiteStatement
    private let updateStatement: SQLiteStatement?
    private let columnCount: Int

    init(database: SQLiteDatabase, table: TableDefinition, columns: [String]) throws {
        let name = Identifier.quote(table.name)
        let key = table.primaryKey
        let keyMatch = key.map { "\(Identifier.quote($0)) = ?" }.joined(separator: " AND ")
        columnCount = columns.count
        insertStatement = try database.prepare(
            "INSERT INTO \(name) (\(Identifier.quoteList(columns))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))")
        if key.isEmpty {
            findStatement = nil
            updateStatement = nil
        } else {
            findStatement = try database.prepare("SELECT \(Identifier.quoteList(columns)) FROM \(name) WHERE \(keyMatch)")
            let assignments = columns.map { "\(Identifier.quote($0)) = ?" }.joined(separator: ", ")
            updateStatement = try database.prepare("UPDATE \(name) SET \(assignments) WHERE \(keyMatch)")
        }
    }

    func find(primaryKey key: [Value]) throws -> [Value]? {
        guard let findStatement else { return nil }
        try findStatement.bind(key)
        defer { findStatement.reset() }
        guard try findStatement.step() else { return nil }
        return (0..<columnCount).map { findStatement.value(at: $0) }
    }

    func insert(_ row: [Value]) throws {
        try insertStatement.bind(row)
        defer { insertStatement.reset() }
        try insertStatement.step()
    }

    func update(primaryKey key: [Value], to row: [Value]) throws {
        guard let updateStatement else { return }
        try updateStatement.bind(row + key)
        defer { updateStatement.reset() }
        try updateStatement.step()
    }
}
