import CSQLite
import FerryKit

/// `--where`: a person's condition, compiled under an authorizer that lets it read one
/// table and call bounded functions, nothing else.
extension SQLiteStore {
    public func selectKeys(of table: TableDefinition, keyColumns: [String], where condition: String, _ body: ([Value]) throws -> Void) throws {
        let keys = keyColumns.map { keyExpression($0, of: table) }.joined(separator: ", ")
        // On lines of its own, so a trailing `-- comment` ends at its line, not at the `)`.
        let sql = "SELECT \(keys) FROM \(Identifier.quote(table.name)) AS t WHERE (\n\(condition)\n)"
        let authorization = SelectionAuthorization(table: table.name)
        let statement: SQLiteStatement
        do {
            statement = try authorization.during(database) { try database.prepare(sql) }
        } catch let error as FerryError {
            let sqlite = database.errorMessage
            let why = authorization.denied.map { " It \($0), and a condition may only read \(table.name)'s own columns and call bounded functions (lower, like, date, …)." }
                ?? (error.message.contains("exactly one SQL statement") || (condition.contains(";") && sqlite.contains("\";\""))
                    ? " It must be one SQL expression, with no ; or a second statement."
                    : " SQLite cannot read it as a condition (\(sqlite)). Quote text with straight single quotes ('…') and names with double quotes.")
            throw FerryError(.usage, "--where \(table.name):\(condition.prefix(200)) was refused.\(why) Write it as a condition on \(table.name) alone, e.g. --where '\(table.name):id = 42'.")
        }
        guard statement.isReadOnly else {
            throw FerryError(.usage, "--where \(table.name):\(condition.prefix(200)) was refused: it would write. A condition only selects rows.")
        }
        while try statement.step() {
            try body(keyColumns.indices.map { statement.value(at: $0) })
        }
    }

    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], keyColumns: [String], keys: [[Value]],
                     _ body: (RowCursor) throws -> Void) throws {
        let (select, joins) = ReferenceJoin.scanSQL(columns: columns, joining: references, table: Identifier.quote)
        let filter = keyColumns.enumerated().map { "\(keyExpression($1, of: table)) = ?\($0 + 1)" }.joined(separator: " AND ")
        let statement = try database.prepare("SELECT \(select.joined(separator: ", ")) FROM \(Identifier.quote(table.name)) AS t\(joins) WHERE \(filter)")
        let cursor = SQLiteRowCursor(statement: statement)
        for key in keys {
            try statement.bind(key)
            defer { statement.reset() }
            while try statement.step() { try body(cursor) }
        }
    }

    /// A key column as the table access names it: `rowid` is the table's free rowid alias.
    private func keyExpression(_ column: String, of table: TableDefinition) -> String {
        if column == "rowid" && table.primaryKey.isEmpty, let alias = hiddenRowKey(of: table) { return "t.\(alias)" }
        return "t.\(Identifier.quote(column))"
    }
}

/// What a `--where` condition may do while it is compiled: read its own table, call the
/// bounded functions a schema may call (`SchemaFunctions`). Reached from C through the
/// authorizer's context pointer, kept alive by `during`.
private final class SelectionAuthorization {
    let table: String
    /// What was refused first, in words: "reads table users", "calls load_extension".
    var denied: String?

    init(table: String) {
        self.table = table.lowercased()
    }

    func during<T>(_ database: SQLiteDatabase, _ body: () throws -> T) rethrows -> T {
        try withExtendedLifetime(self) {
            sqlite3_set_authorizer(database.handle, selectionAuthorizer, Unmanaged.passUnretained(self).toOpaque())
            defer { sqlite3_set_authorizer(database.handle, nil, nil) }
            return try body()
        }
    }

    func deny(_ reason: String) -> Int32 {
        if denied == nil { denied = reason }
        return SQLITE_DENY
    }
}

/// A subquery on the table itself may count or sum its rows.
private let aggregates: Set<String> = ["count", "sum", "total", "avg", "group_concat", "string_agg"]

/// See https://www.sqlite.org/c3ref/set_authorizer.html: for SQLITE_READ the table is the
/// third argument (`first` here), for SQLITE_FUNCTION the function's name the fourth.
private let selectionAuthorizer: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = { context, action, first, second, _, _ in
    guard let context else { return SQLITE_DENY }
    let authorization = Unmanaged<SelectionAuthorization>.fromOpaque(context).takeUnretainedValue()
    let firstName = first.map { String(cString: $0) } ?? ""
    switch action {
    case SQLITE_SELECT:
        return SQLITE_OK
    case SQLITE_READ:
        return firstName.lowercased() == authorization.table ? SQLITE_OK : authorization.deny("reads table \(firstName)")
    case SQLITE_FUNCTION:
        let name = second.map { String(cString: $0) } ?? ""
        return SchemaFunctions.allowed.contains(name.lowercased()) || aggregates.contains(name.lowercased()) ? SQLITE_OK : authorization.deny("calls \(name)")
    case SQLITE_ATTACH:
        return authorization.deny("attaches a database")
    case SQLITE_PRAGMA:
        return authorization.deny("runs a PRAGMA")
    default:
        return authorization.deny("does more than read (action \(action))")
    }
}
