extension SQLiteStore {
    /// Sets every NULL `column` of `table` to a fresh value; returns how many rows changed.
    public func fillNullValues(of column: String, in table: TableDefinition, _ value: () -> String) throws -> Int {
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
                try update.bind([.text(value())] + key)
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
