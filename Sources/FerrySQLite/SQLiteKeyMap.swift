import FerryKit
/// The key map as a TEMP table: indexed, spilled to disk by SQLite, so memory stays flat
/// however many rows an import maps. A key of one column (nearly every table's) is stored
/// as that value itself, in columns without a type, so SQLite keeps its type and value
/// exactly and a lookup reads it back without decoding; a composite key is stored as its
/// record-line JSON. (Decoding JSON on every lookup was a sixth of a reconcile's
/// applying thread.)
package final class SQLiteKeyMap: KeyMap {
    private let insert: SQLiteStatement
    private let select: SQLiteStatement
    private let selectTarget: SQLiteStatement
    /// The most recent mappings, in memory: a few parents (owners, products, roles) are
    /// looked up for most children. Bounded, so memory stays flat; emptied when full.
    private var recent: [RecentKey: [Value]] = [:]
    private struct RecentKey: Hashable {
        let table: String
        let source: [Value]
    }
    private static let recentLimit = 4096

    package init(database: SQLiteDatabase) throws {
        try database.execute("""
            CREATE TEMP TABLE IF NOT EXISTS _ferry_keymap (tableName TEXT NOT NULL, source NOT NULL, target NOT NULL, composite INTEGER NOT NULL,
                inserted INTEGER NOT NULL, PRIMARY KEY (tableName, source)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS temp._ferry_keymap_target ON _ferry_keymap (tableName, target) WHERE inserted;
            DELETE FROM temp._ferry_keymap;
            """)
        insert = try database.prepare("INSERT OR REPLACE INTO temp._ferry_keymap VALUES (?, ?, ?, ?, ?)")
        select = try database.prepare("SELECT target, composite FROM temp._ferry_keymap WHERE tableName = ? AND source = ?")
        selectTarget = try database.prepare("SELECT 1 FROM temp._ferry_keymap WHERE tableName = ? AND target = ? AND inserted LIMIT 1")
    }

    /// A key as the map stores it: the value of a one-column key (NULL never is one), else JSON.
    private static func stored(_ key: [Value]) -> Value {
        key.count == 1 && !key[0].isNull ? key[0] : .text(PortableRow.rowKey(key))
    }

    package func isReassigned(table: String, key: [Value]) throws -> Bool {
        try selectTarget.bind([.text(table), Self.stored(key)])
        defer { selectTarget.reset() }
        return try selectTarget.step()
    }

    package func record(table: String, source: [Value], target: [Value], inserted: Bool) throws {
        let composite = target.count != 1 || target[0].isNull
        try insert.bind([.text(table), Self.stored(source), Self.stored(target), .integer(composite ? 1 : 0), .integer(inserted ? 1 : 0)])
        defer { insert.reset() }
        try insert.step()
        remember(RecentKey(table: table, source: source), target)
    }

    private func remember(_ key: RecentKey, _ target: [Value]) {
        if recent.count >= Self.recentLimit { recent.removeAll(keepingCapacity: true) }
        recent[key] = target
    }

    package func lookup(table: String, source: [Value]) throws -> [Value]? {
        let key = RecentKey(table: table, source: source)
        if let target = recent[key] { return target }
        try select.bind([.text(table), Self.stored(source)])
        defer { select.reset() }
        guard try select.step() else { return nil }
        let stored = select.value(at: 0)
        var target = [stored]
        if select.value(at: 1) == .integer(1) {
            guard case .text(let bytes) = stored, case .array(let items) = try JSONParser.parse(bytes) else { return nil }
            target = try items.map { try RecordDecoder.decodeValue($0, column: "key") }
        }
        remember(key, target)
        return target
    }
}

/// The `--prune` set as a TEMP table, like the key map: flat memory, gone with the transaction.
package final class SQLiteKeySet: KeySet {
    private let insertStatement: SQLiteStatement
    private let select: SQLiteStatement

    /// `purpose` names the TEMP table (`_ferry_seen`, `_ferry_claimed`): one set per purpose.
    package init(database: SQLiteDatabase, purpose: KeySetPurpose = .seen) throws {
        let table = "temp._ferry_\(purpose.rawValue)"
        try database.execute("""
            CREATE TEMP TABLE IF NOT EXISTS _ferry_\(purpose.rawValue) (tableName TEXT NOT NULL, rowKey TEXT NOT NULL, PRIMARY KEY (tableName, rowKey)) WITHOUT ROWID;
            DELETE FROM \(table);
            """)
        insertStatement = try database.prepare("INSERT OR IGNORE INTO \(table) VALUES (?, ?)")
        select = try database.prepare("SELECT 1 FROM \(table) WHERE tableName = ? AND rowKey = ?")
    }

    package func insert(table: String, key: [Value]) throws {
        try insertStatement.bind([.text(table), .text(PortableRow.rowKey(key))])
        defer { insertStatement.reset() }
        try insertStatement.step()
    }

    package func contains(table: String, key: [Value]) throws -> Bool {
        try select.bind([.text(table), .text(PortableRow.rowKey(key))])
        defer { select.reset() }
        return try select.step()
    }
}
