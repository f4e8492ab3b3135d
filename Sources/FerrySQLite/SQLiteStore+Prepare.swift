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

    /// SQLite triggers cannot change the row being written; a stamp is a trigger whose every
    /// statement sets columns of its own table to the current time (`UPDATE t SET
    /// updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id`, `TriggerBody`). Those are dropped
    /// here and made again by `restoreTriggers` from their own SQL. Checks (`SELECT
    /// RAISE(…)`), writes to other tables (an audit log, a search index) and values derived
    /// from the row still run; a trigger that stamps and does more keeps firing, said in
    /// `kept`. The triggers after the first one set aside are made again with it, so every
    /// trigger of the table keeps its place in the order SQLite fires them.
    public func suspendRowStampingTriggers(on tables: [String]) throws -> TriggerSuspension {
        precondition(database.isInTransaction, "triggers may only be suspended inside a transaction")
        var suspension = TriggerSuspension()
        for table in tables {
            let triggers = try database.rows("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL ORDER BY rowid", [.text(table)])
                .compactMap { row -> (name: String, sql: String)? in
                    guard let name = row[0].string, let sql = row[1].string else { return nil }
                    return (name, sql)
                }
            let kinds = triggers.map { TriggerBody.kind(of: $0.sql, table: table) }
            var firstSetAside: Int?
            for (index, trigger) in triggers.enumerated() {
                switch kinds[index] {
                case .stamp:
                    try database.execute("DROP TRIGGER \(Identifier.quote(trigger.name))")
                    firstSetAside = firstSetAside ?? index
                    suspension.suspended.append("\(table).\(trigger.name)")
                case .stampAndMore:
                    suspension.kept.append("\(table).\(trigger.name) (it also does more than stamp, so it was left to fire; give the stamp a trigger of its own)")
                case .other:
                    break
                }
            }
            if let first = firstSetAside {
                let stillThere = triggers.indices[first...].filter { kinds[$0] != .stamp }.map { triggers[$0].name }
                suspendedTriggers.append((dropFirst: stillThere, create: triggers[first...].map(\.sql)))
            }
        }
        return suspension
    }

    public func restoreTriggers() throws {
        defer { suspendedTriggers = [] }
        for plan in suspendedTriggers {
            for name in plan.dropFirst { try database.execute("DROP TRIGGER \(Identifier.quote(name))") }
            for sql in plan.create { try database.execute(sql) }
        }
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
        // Rows are found again by their rowid where the table has one: SQLite lets a
        // composite primary key hold NULLs, and `key = NULL` finds no row.
        let rowid = Self.rowidAlias(of: table).flatMap { alias in
            (try? database.prepare("SELECT \(alias) FROM \(name) LIMIT 0")) != nil ? alias : nil
        }
        let select = try database.prepare("SELECT \(keyList)\(rowid.map { ", \($0)" } ?? "") FROM \(name) WHERE \(quoted) IS NULL LIMIT 10000")
        let update = try database.prepare(rowid.map { "UPDATE \(name) SET \(quoted) = ?1 WHERE \($0) = ?2" }
            ?? "UPDATE \(name) SET \(quoted) = ?1 WHERE \(keys.enumerated().map { "\(Identifier.quote($1)) = ?\($0 + 2)" }.joined(separator: " AND "))")
        var filled = 0
        // In batches, so memory stays flat on large tables; each batch's rows leave the NULL set.
        while true {
            var batch: [(key: [Value], locator: [Value])] = []
            try select.bind([])
            while try select.step() {
                let key = (0..<keys.count).map { select.value(at: $0) }
                batch.append((key, rowid == nil ? key : [select.value(at: keys.count)]))
            }
            select.reset()
            if batch.isEmpty { return filled }
            var changed = 0
            for row in batch {
                try update.bind([.text(try value(row.key))] + row.locator)
                try update.step()
                changed += database.changes
            }
            // A row its key cannot find again would be selected forever.
            guard changed > 0 else {
                throw FerryError(.schema, "table \(table.name): \(batch.count) rows with no value in \(column) cannot be found again by their primary key (\(keys.joined(separator: ", "))), so Ferry cannot give them one. Give each of them a key, or fill \(column) yourself, and run prepare again.")
            }
            filled += changed
        }
    }

    public func nullCount(of column: String, in table: String) throws -> Int {
        guard case .integer(let count)? = try database.scalar("SELECT count(*) FROM \(Identifier.quote(table)) WHERE \(Identifier.quote(column)) IS NULL") else { return 0 }
        return Int(count)
    }
}
