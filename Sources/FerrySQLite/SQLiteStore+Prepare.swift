import FerryKit
extension SQLiteStore {
    /// Sets every NULL `column` of `table` to a fresh value; returns how many rows changed.
    /// The application's triggers on the table do not fire: stamping a cloudId is Ferry's
    /// bookkeeping, and an `AFTER UPDATE` trigger would move every `updated_at` with it.
    /// Must run inside a transaction, so no other connection ever sees the table without them.
    /// `value(key)`: the value for the row with that primary key (rowid for a table without one).
    public func fillNullValues(of column: String, in table: TableDefinition, _ value: ([Value]) throws -> String) throws -> Int {
        guard try nullCount(of: column, in: table.name) > 0 else { return 0 }
        return try withTriggersSuspended(on: table.name) { try fill(column, in: table, value) }
    }

    /// SQLite triggers cannot change the row being written; a stamp is a statement that
    /// writes the trigger's own table (`UPDATE t SET updated_at = … WHERE id = NEW.id`).
    /// Those are dropped and created again by `restoreTriggers` from their own SQL, in their
    /// order. Checks (`SELECT RAISE(…)`) and writes to other tables (an audit log, a search
    /// index kept by triggers) still run.
    public func suspendRowStampingTriggers(on tables: [String]) throws -> TriggerSuspension {
        precondition(database.isInTransaction, "triggers may only be suspended inside a transaction")
        var suspended: [String] = []
        for table in tables {
            let triggers = try database.rows("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL ORDER BY rowid", [.text(table)])
            for row in triggers {
                guard let name = row[0].string, let sql = row[1].string, TriggerBody.writesOwnTable(sql, table: table) else { continue }
                try database.execute("DROP TRIGGER \(Identifier.quote(name))")
                suspendedTriggers.append(sql)
                suspended.append("\(table).\(name)")
            }
        }
        return TriggerSuspension(suspended: suspended)
    }

    public func restoreTriggers() throws {
        defer { suspendedTriggers = [] }
        for sql in suspendedTriggers { try database.execute(sql) }
    }

    /// Drops the table's triggers, runs `body`, and creates them again from their own SQL, in
    /// their original order. SQLite has no switch to silence triggers for one connection.
    private func withTriggersSuspended<T>(on table: String, _ body: () throws -> T) throws -> T {
        precondition(database.isInTransaction, "triggers may only be suspended inside a transaction")
        let triggers = try database.rows("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid", [.text(table)])
            .compactMap { row -> (name: String, sql: String)? in
                guard let name = row[0].string, let sql = row[1].string else { return nil }
                return (name, sql)
            }
        for trigger in triggers { try database.execute("DROP TRIGGER \(Identifier.quote(trigger.name))") }
        let result = try body()
        for trigger in triggers { try database.execute(trigger.sql) }
        return result
    }

    private func fill(_ column: String, in table: TableDefinition, _ value: ([Value]) throws -> String) throws -> Int {
        let keys = table.primaryKey.isEmpty ? ["rowid"] : table.primaryKey
        let keyList = keys.map { $0 == "rowid" ? "rowid" : Identifier.quote($0) }.joined(separator: ", ")
        let name = Identifier.quote(table.name)
        let quoted = Identifier.quote(column)
        let select = try database.prepare("SELECT \(keyList) FROM \(name) WHERE \(quoted) IS NULL LIMIT 10000")
        let update = try database.prepare("UPDATE \(name) SET \(quoted) = ?1 WHERE \(keys.enumerated().map { "\($1 == "rowid" ? "rowid" : Identifier.quote($1)) = ?\($0 + 2)" }.joined(separator: " AND "))")
        var filled = 0
        // In batches, so memory stays flat on large tables; each batch's rows leave the NULL set.
        while true {
            var batch: [[Value]] = []
            try select.bind([])
            while try select.step() { batch.append((0..<keys.count).map { select.value(at: $0) }) }
            select.reset()
            if batch.isEmpty { return filled }
            for key in batch {
                try update.bind([.text(try value(key))] + key)
                try update.step()
            }
            filled += batch.count
        }
    }

    public func nullCount(of column: String, in table: String) throws -> Int {
        guard case .integer(let count)? = try database.scalar("SELECT count(*) FROM \(Identifier.quote(table)) WHERE \(Identifier.quote(column)) IS NULL") else { return 0 }
        return Int(count)
    }
}
