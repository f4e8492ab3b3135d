/// The key map as a TEMP table on the server, like SQLite's: memory stays flat however
/// many rows an import maps. Keys are stored as their record-line JSON (bytea, so any
/// value's bytes survive).
final class PostgresKeyMap: KeyMap {
    private let connection: PostgresConnection
    private let insert: PostgresStatement
    private let select: PostgresStatement
    private let selectTarget: PostgresStatement

    init(connection: PostgresConnection) throws {
        self.connection = connection
        try connection.execute("""
            CREATE TEMP TABLE IF NOT EXISTS _ferry_keymap (tableName text NOT NULL, source bytea NOT NULL, target bytea NOT NULL,
                inserted boolean NOT NULL, PRIMARY KEY (tableName, source));
            CREATE INDEX IF NOT EXISTS _ferry_keymap_target ON pg_temp._ferry_keymap (tableName, target) WHERE inserted;
            TRUNCATE pg_temp._ferry_keymap
            """)
        insert = try connection.prepare("""
            INSERT INTO pg_temp._ferry_keymap VALUES ($1, $2, $3, $4)
            ON CONFLICT (tableName, source) DO UPDATE SET target = excluded.target, inserted = excluded.inserted
            """)
        select = try connection.prepare("SELECT target FROM pg_temp._ferry_keymap WHERE tableName = $1 AND source = $2")
        selectTarget = try connection.prepare("SELECT 1 FROM pg_temp._ferry_keymap WHERE tableName = $1 AND target = $2 AND inserted LIMIT 1")
    }

    private static func stored(_ key: [Value]) -> Value { .blob(PortableRow.rowKey(key)) }

    func record(table: String, source: [Value], target: [Value], inserted: Bool) throws {
        try connection.run(insert, [.text(table), Self.stored(source), Self.stored(target), .integer(inserted ? 1 : 0)])
    }

    func lookup(table: String, source: [Value]) throws -> [Value]? {
        let result = try connection.run(select, [.text(table), Self.stored(source)])
        guard result.rowCount > 0, case .blob(let bytes) = result.value(row: 0, column: 0),
              case .array(let items) = try JSONParser.parse(bytes) else { return nil }
        return try items.map { try RecordDecoder.decodeValue($0, column: "key") }
    }

    func isReassigned(table: String, key: [Value]) throws -> Bool {
        try connection.run(selectTarget, [.text(table), Self.stored(key)]).rowCount > 0
    }
}

/// A scratch key set as a TEMP table on the server.
final class PostgresKeySet: KeySet {
    private let connection: PostgresConnection
    private let insertStatement: PostgresStatement
    private let select: PostgresStatement

    init(connection: PostgresConnection, purpose: KeySetPurpose) throws {
        self.connection = connection
        let table = "pg_temp._ferry_\(purpose.rawValue)"
        try connection.execute("""
            CREATE TEMP TABLE IF NOT EXISTS _ferry_\(purpose.rawValue) (tableName text NOT NULL, rowKey bytea NOT NULL, PRIMARY KEY (tableName, rowKey));
            TRUNCATE \(table)
            """)
        insertStatement = try connection.prepare("INSERT INTO \(table) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        select = try connection.prepare("SELECT 1 FROM \(table) WHERE tableName = $1 AND rowKey = $2")
    }

    func insert(table: String, key: [Value]) throws {
        try connection.run(insertStatement, [.text(table), .blob(PortableRow.rowKey(key))])
    }

    func contains(table: String, key: [Value]) throws -> Bool {
        try connection.run(select, [.text(table), .blob(PortableRow.rowKey(key))]).rowCount > 0
    }
}
