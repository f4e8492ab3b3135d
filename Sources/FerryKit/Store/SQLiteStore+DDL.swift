import CSQLite
import Foundation

extension SQLiteStore {
    /// Creates a table from a changeset's CREATE statements under an authorizer that allows
    /// nothing but creating tables and indexes: a changeset from a stranger cannot drop,
    /// attach, write rows or create triggers through its `create` text.
    public func createTable(_ definition: TableDefinition) throws {
        let table = definition.name
        try runSchemaStatement(definition.create, table: table, what: "its CREATE statement")
        guard try tableExists(table) else {
            throw FerryError(.unsafe, "the manifest's CREATE statement for table \(table) creates some other table. The changeset is damaged or forged: ask its sender for a new export.")
        }
        let otherIndexes = "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name <> ?"
        let before = try database.scalar(otherIndexes, [.text(table)])
        for (position, sql) in definition.indexes.enumerated() {
            try runSchemaStatement(sql, table: table, what: "index statement \(position + 1)")
        }
        guard try database.scalar(otherIndexes, [.text(table)]) == before else {
            throw FerryError(.unsafe, "the manifest's index statements for table \(table) create indexes on other tables. The changeset is damaged or forged: ask its sender for a new export.")
        }
    }

    private func runSchemaStatement(_ sql: String, table: String, what: String) throws {
        let trimmed = sql.drop { $0.isWhitespace }.uppercased()
        guard trimmed.hasPrefix("CREATE TABLE") || trimmed.hasPrefix("CREATE INDEX") || trimmed.hasPrefix("CREATE UNIQUE INDEX") else {
            throw FerryError(.unsafe, "table \(table): \(what) in the manifest is not a CREATE TABLE or CREATE INDEX statement; Ferry refuses to run it. Create the table in the target yourself, then import again.")
        }
        // The authorizer gets the table's name through its context pointer: a C string that
        // outlives the prepare call below.
        let expected = strdup(table.lowercased())!
        defer { free(expected) }
        sqlite3_set_authorizer(database.handle, schemaOnlyAuthorizer, expected)
        defer { sqlite3_set_authorizer(database.handle, nil, nil) }
        let statement: SQLiteStatement
        do {
            statement = try database.prepare(sql)
        } catch let error as FerryError {
            throw FerryError(.unsafe, "table \(table): \(what) in the manifest was refused: \(error.message). Ferry only creates tables and indexes from a changeset.")
        }
        try statement.step()
    }
}

/// Allows only what CREATE TABLE / CREATE INDEX of the one expected table need; denies
/// everything else (ATTACH, DROP, writes to user tables, triggers, views, temp objects,
/// PRAGMA, reading other tables as `CREATE TABLE … AS SELECT` would).
/// See https://www.sqlite.org/c3ref/set_authorizer.html
private let schemaOnlyAuthorizer: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = { context, action, first, second, _, _ in
    let expected = context.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
    let firstName = first.map { String(cString: $0).lowercased() }
    let isSchemaTable = firstName == "sqlite_master" || firstName == "sqlite_schema"
    switch action {
    case SQLITE_CREATE_TABLE:
        return firstName == expected ? SQLITE_OK : SQLITE_DENY
    case SQLITE_CREATE_INDEX:
        return second.map { String(cString: $0).lowercased() } == expected ? SQLITE_OK : SQLITE_DENY
    case SQLITE_READ:
        return firstName == expected || isSchemaTable ? SQLITE_OK : SQLITE_DENY
    case SQLITE_FUNCTION, SQLITE_REINDEX: // a new index is filled by an internal REINDEX
        return SQLITE_OK
    case SQLITE_INSERT, SQLITE_UPDATE:
        // Creating a table writes its row into the schema table, nothing else.
        return isSchemaTable ? SQLITE_OK : SQLITE_DENY
    default:
        return SQLITE_DENY
    }
}
