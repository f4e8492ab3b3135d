/// The key map as a TEMP table: indexed, spilled to disk by SQLite, so memory stays flat
/// however many rows an import maps. Keys are stored as their record-line JSON, which
/// keeps type and value exact.
final class SQLiteKeyMap: KeyMap {
    private let insert: SQLiteStatement
    private let select: SQLiteStatement
    private let selectTarget: SQLiteStatement

    init(database: SQLiteDatabase) throws {
        try database.execute("""
            CREATE TEMP TABLE IF NOT EXISTS _ferry_keymap (tableName TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, inserted INTEGER NOT NULL,
                PRIMARY KEY (tableName, source)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS temp._ferry_keymap_target ON _ferry_keymap (tableName, target) WHERE inserted;
            DELETE FROM temp._ferry_keymap;
            """)
        insert = try database.prepare("INSERT OR REPLACE INTO temp._ferry_keymap VALUES (?, ?, ?, ?)")
        select = try database.prepare("SELECT target FROM temp._ferry_keymap WHERE tableName = ? AND source = ?")
        selectTarget = try database.prepare("SELECT 1 FROM temp._ferry_keymap WHERE tableName = ? AND target = ? AND inserted LIMIT 1")
    }

    func isReassigned(table: String, key: [Value]) throws -> Bool {
        try selectTarget.bind([.text(table), .text(PortableRow.rowKey(key))])
        defer { selectTarget.reset() }
        return try selectTarget.step()
    }

    func record(table: String, source: [Value], target: [Value], inserted: Bool) throws {
        try insert.bind([.text(table), .text(PortableRow.rowKey(source)), .text(PortableRow.rowKey(target)), .integer(inserted ? 1 : 0)])
        defer { insert.reset() }
        try insert.step()
    }

    func lookup(table: String, source: [Value]) throws -> [Value]? {
        try select.bind([.text(table), .text(PortableRow.rowKey(source))])
        defer { select.reset() }
        guard try select.step(), case .text(let bytes) = select.value(at: 0) else { return nil }
        guard case .array(let items) = try JSONParser.parse(bytes) else { return nil }
        return try items.map { try RecordDecoder.decodeValue($0, column: "key") }
    }
}

/// The `--prune` set as a TEMP table, like the key map: flat memory, gone with the transaction.
final class SQLiteKeySet: KeySet {
    private let insertStatement: SQLiteStatement
    private let select: SQLiteStatement

    /// `purpose` names the TEMP table (`_ferry_seen`, `_ferry_claimed`): one set per purpose.
    init(database: SQLiteDatabase, purpose: KeySetPurpose = .seen) throws {
        let table = "temp._ferry_\(purpose.rawValue)"
        try database.execute("""
            CREATE TEMP TABLE IF NOT EXISTS _ferry_\(purpose.rawValue) (tableName TEXT NOT NULL, rowKey TEXT NOT NULL, PRIMARY KEY (tableName, rowKey)) WITHOUT ROWID;
            DELETE FROM \(table);
            """)
        insertStatement = try database.prepare("INSERT OR IGNORE INTO \(table) VALUES (?, ?)")
        select = try database.prepare("SELECT 1 FROM \(table) WHERE tableName = ? AND rowKey = ?")
    }

    func insert(table: String, key: [Value]) throws {
        try insertStatement.bind([.text(table), .text(PortableRow.rowKey(key))])
        defer { insertStatement.reset() }
        try insertStatement.step()
    }

    func contains(table: String, key: [Value]) throws -> Bool {
        try select.bind([.text(table), .text(PortableRow.rowKey(key))])
        defer { select.reset() }
        return try select.step()
    }
}
