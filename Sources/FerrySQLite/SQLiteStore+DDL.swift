import FerryKit
import CSQLite
import Foundation

extension SQLiteStore {
    /// Creates a table from a changeset's CREATE statements under an authorizer that allows
    /// nothing but creating tables and indexes: a changeset from a stranger cannot drop,
    /// attach, write rows or create triggers through its `create` text. Unless
    /// `trustSchema`, its expressions (DEFAULT, CHECK, generated columns, index expressions)
    /// may call only the functions of `SchemaFunctions.allowed`.
    @discardableResult
    public func createTable(_ definition: TableDefinition, trustSchema: Bool) throws -> [String] {
        let table = definition.name
        try runSchemaStatement(definition.create, table: table, what: "its CREATE statement", trustSchema: trustSchema)
        guard try tableExists(table) else {
            throw FerryError(.unsafe, "the manifest's CREATE statement for table \(table) creates some other table. The changeset is damaged or forged: ask its sender for a new export.")
        }
        if !trustSchema { try checkDefaultFunctions(of: table) }
        let otherIndexes = "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name <> ?"
        let before = try database.scalar(otherIndexes, [.text(table)])
        for (position, sql) in definition.indexes.enumerated() {
            try runSchemaStatement(sql, table: table, what: "index statement \(position + 1)", trustSchema: trustSchema)
        }
        guard try database.scalar(otherIndexes, [.text(table)]) == before else {
            throw FerryError(.unsafe, "the manifest's index statements for table \(table) create indexes on other tables. The changeset is damaged or forged: ask its sender for a new export.")
        }
        return []
    }

    /// Caps every string, BLOB and row this connection builds at `bytes` (SQLITE_LIMIT_LENGTH),
    /// so no expression, allowed or trusted, can make a value larger than that.
    /// See https://www.sqlite.org/c3ref/limit.html
    public func limitValueLength(to bytes: Int) {
        sqlite3_limit(database.handle, SQLITE_LIMIT_LENGTH, Int32(clamping: bytes))
    }

    private func runSchemaStatement(_ sql: String, table: String, what: String, trustSchema: Bool) throws {
        let trimmed = sql.drop { $0.isWhitespace }.uppercased()
        guard trimmed.hasPrefix("CREATE TABLE") || trimmed.hasPrefix("CREATE INDEX") || trimmed.hasPrefix("CREATE UNIQUE INDEX") else {
            throw FerryError(.unsafe, "table \(table): \(what) in the manifest is not a CREATE TABLE or CREATE INDEX statement; Ferry refuses to run it. Create the table in the target yourself, then import again.")
        }
        let authorization = SchemaAuthorization(table: table.lowercased(), mode: trustSchema ? .schema : .schemaWithAllowedFunctions)
        // Installed for the step as well: a statement SQLite recompiles is checked again.
        try authorization.during(database) {
            let statement: SQLiteStatement
            do {
                statement = try database.prepare(sql)
            } catch let error as FerryError {
                if let function = authorization.deniedFunction {
                    throw Self.functionRefused(function, table: table, in: what)
                }
                if error.storeFailure?.kind == .notAuthorized {
                    throw error.rephrased("table \(table): \(what) in the manifest does more than create table \(table) and its indexes (it names another table, or reads or writes one), so Ferry refuses to run it. The changeset is damaged or forged: ask its sender for a new export.", kind: .unsafe)
                }
                throw error.rephrased("table \(table): Ferry refuses \(what) in the manifest: \(error.message.hasSuffix(".") ? String(error.message.dropLast()) : error.message). Create the table in the target yourself, then import again.", kind: .unsafe)
            }
            try statement.step()
        }
    }

    /// SQLite resolves a DEFAULT expression only when a row is inserted, so the authorizer
    /// never sees its functions at CREATE time: each column's default (as `pragma_table_xinfo`
    /// gives it) is compiled, never run, as `SELECT (default)` under the same function check.
    private func checkDefaultFunctions(of table: String) throws {
        let defaults = try database.rows("SELECT name, dflt_value FROM pragma_table_xinfo(?) WHERE dflt_value IS NOT NULL ORDER BY cid", [.text(table)])
        for row in defaults {
            guard let column = row[0].string, let expression = row[1].string else { continue }
            let authorization = SchemaAuthorization(table: table.lowercased(), mode: .allowedFunctionsOnly)
            do {
                _ = try authorization.during(database) { try database.prepare("SELECT (\(expression))") }
            } catch {
                if let function = authorization.deniedFunction {
                    throw Self.functionRefused(function, table: table, in: "the DEFAULT of column \(Identifier.quote(column))")
                }
                throw FerryError(.unsafe, "table \(table): Ferry cannot check the DEFAULT of column \(Identifier.quote(column)) in the manifest's CREATE statement, so it refuses to create the table. If you trust the changeset's sender, import again with --trust-schema, or create the table in the target yourself first.")
            }
        }
    }

    private static func functionRefused(_ function: String, table: String, in what: String) -> FerryError {
        FerryError(.unsafe, "table \(table): \(what) in the manifest calls \(function)(), which Ferry does not run from a changeset's schema (only bounded functions such as lower, length or datetime are allowed; others can build huge values). If you trust the changeset's sender, import again with --trust-schema, or create the table in the target yourself first. Nothing was imported.")
    }
}

/// What the authorizer allows while a changeset's DDL is compiled, and what it refused.
/// Reached from C through the authorizer's context pointer, kept alive by `during`.
private final class SchemaAuthorization {
    enum Mode {
        /// CREATE TABLE / CREATE INDEX of the one expected table, any function (`--trust-schema`).
        case schema
        /// The same, with functions limited to `SchemaFunctions.allowed`.
        case schemaWithAllowedFunctions
        /// A lone expression (a column default): nothing but allowed functions.
        case allowedFunctionsOnly
    }

    let table: String
    let mode: Mode
    /// The first function the check refused, for the error message.
    var deniedFunction: String?

    init(table: String, mode: Mode) {
        self.table = table
        self.mode = mode
    }

    /// Runs `body` with this authorization installed on `database`, removed afterwards.
    func during<T>(_ database: SQLiteDatabase, _ body: () throws -> T) rethrows -> T {
        try withExtendedLifetime(self) {
            sqlite3_set_authorizer(database.handle, schemaAuthorizer, Unmanaged.passUnretained(self).toOpaque())
            defer { sqlite3_set_authorizer(database.handle, nil, nil) }
            return try body()
        }
    }

    func allowsFunction(_ name: String?) -> Bool {
        let name = name?.lowercased() ?? ""
        if mode == .schema || SchemaFunctions.allowed.contains(name) { return true }
        if deniedFunction == nil { deniedFunction = name }
        return false
    }
}

/// The functions a changeset's DDL may call without `--trust-schema`: deterministic (or
/// clock-reading) scalar functions whose result is about the size of their arguments, the
/// kind real schemas use in DEFAULT, CHECK, generated columns and index expressions.
/// Left out on purpose: randomblob and zeroblob (a value of any size from a number),
/// printf/format (`%.*c` pads to any width), replace (multiplies its input), and anything
/// not listed (load_extension, sqlite_*, application functions).
enum SchemaFunctions {
    static let allowed: Set<String> = [
        // Core scalar functions (https://www.sqlite.org/lang_corefunc.html)
        "abs", "char", "coalesce", "concat", "concat_ws", "glob", "hex", "ifnull", "iif", "instr", "length", "like",
        "likelihood", "likely", "lower", "ltrim", "max", "min", "nullif", "octet_length", "quote", "random", "round",
        "rtrim", "sign", "soundex", "substr", "substring", "trim", "typeof", "unhex", "unicode", "unlikely", "upper",
        // Date and time (CURRENT_TIMESTAMP and friends reach the authorizer as functions)
        "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
        "current_date", "current_time", "current_timestamp",
        // JSON (-> and ->> are reported under their operator names)
        "json", "json_valid", "json_extract", "json_type", "json_array_length", "json_array", "json_object", "json_quote",
        "->", "->>",
        // Math (https://www.sqlite.org/lang_mathfunc.html): numbers in, a number out
        "acos", "asin", "atan", "atan2", "ceil", "ceiling", "cos", "degrees", "exp", "floor", "ln", "log", "log10", "log2",
        "mod", "pi", "pow", "power", "radians", "sin", "sqrt", "tan", "trunc",
    ]
}

/// Allows only what CREATE TABLE / CREATE INDEX of the one expected table need; denies
/// everything else (ATTACH, DROP, writes to user tables, triggers, views, temp objects,
/// PRAGMA, reading other tables as `CREATE TABLE … AS SELECT` would). For SQLITE_FUNCTION
/// the function's name is the fourth argument (`second` here).
/// See https://www.sqlite.org/c3ref/set_authorizer.html
private let schemaAuthorizer: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = { context, action, first, second, _, _ in
    guard let context else { return SQLITE_DENY }
    let authorization = Unmanaged<SchemaAuthorization>.fromOpaque(context).takeUnretainedValue()
    let expected = authorization.table
    let firstName = first.map { String(cString: $0).lowercased() }
    let isSchemaTable = firstName == "sqlite_master" || firstName == "sqlite_schema"
    if authorization.mode == .allowedFunctionsOnly {
        switch action {
        case SQLITE_SELECT: return SQLITE_OK
        case SQLITE_FUNCTION: return authorization.allowsFunction(second.map { String(cString: $0) }) ? SQLITE_OK : SQLITE_DENY
        default: return SQLITE_DENY
        }
    }
    switch action {
    case SQLITE_CREATE_TABLE:
        // AUTOINCREMENT makes SQLite create its own sqlite_sequence table on first use.
        return firstName == expected || firstName == "sqlite_sequence" ? SQLITE_OK : SQLITE_DENY
    case SQLITE_CREATE_INDEX:
        return second.map { String(cString: $0).lowercased() } == expected ? SQLITE_OK : SQLITE_DENY
    case SQLITE_READ:
        return firstName == expected || isSchemaTable || firstName == "sqlite_sequence" ? SQLITE_OK : SQLITE_DENY
    case SQLITE_FUNCTION:
        return authorization.allowsFunction(second.map { String(cString: $0) }) ? SQLITE_OK : SQLITE_DENY
    case SQLITE_REINDEX: // a new index is filled by an internal REINDEX
        return SQLITE_OK
    case SQLITE_INSERT, SQLITE_UPDATE:
        // Creating a table writes its row into the schema table, nothing else.
        return isSchemaTable || firstName == "sqlite_sequence" ? SQLITE_OK : SQLITE_DENY
    default:
        return SQLITE_DENY
    }
}
