/// A changeset's table and column names as the target spells them. PostgreSQL folds an
/// unquoted name to lower case, so `CREATE TABLE Users (Id …)` there is `users (id …)`,
/// while SQLite keeps `Users` and `Id` and finds them in any case. A changeset from the
/// SQLite side names `Users` and `Id`: without this, PostgreSQL got a second, quoted
/// `"Users"` table, or every row refused for columns it lacks. A name the target holds
/// exactly is kept; otherwise the one name that differs from it only in case is taken,
/// and two such (`Users` and `USERS`) leave it as it was, to fail as before.
struct TargetSpellings {
    /// The changeset's table name → the target's, where they differ.
    private var tables: [String: String] = [:]
    /// The changeset's table name → its column names → the target's, where they differ.
    private var columns: [String: [String: String]] = [:]

    /// Whether records must be renamed: any record, once one name differs (a record's
    /// references carry its parents' names and keys).
    var renamesRecords: Bool { !tables.isEmpty || !columns.isEmpty }

    /// `tableNames`: the changeset's table names that the target spells otherwise.
    init(tables: [ManifestTable], tableNames: [String: String], targets: [String: TableDefinition]) {
        self.tables = tableNames
        for table in tables {
            guard let target = targets[(tableNames[table.name] ?? table.name).lowercased()] else { continue }
            let names = target.columnNames
            var renamed: [String: String] = [:]
            for column in table.columns.map(\.name) where !names.contains(column) {
                let candidates = names.filter { $0.lowercased() == column.lowercased() }
                if candidates.count == 1 { renamed[column] = candidates[0] }
            }
            if !renamed.isEmpty { columns[table.name] = renamed }
        }
    }

    private func table(_ name: String) -> String {
        tables[name] ?? tables.first { $0.key.lowercased() == name.lowercased() }?.value ?? name
    }

    private func column(_ name: String, of table: String) -> String {
        columns[table]?[name] ?? columns.first { $0.key.lowercased() == table.lowercased() }?.value[name] ?? name
    }

    /// The manifest's table under the target's names: its own, its columns', and those of
    /// the tables and columns its references point at.
    func renamed(_ manifestTable: ManifestTable) -> ManifestTable {
        guard renamesRecords else { return manifestTable }
        var result = manifestTable
        let own = manifestTable.name
        var definition = manifestTable.definition
        definition.name = table(own)
        definition.columns = definition.columns.map { var column = $0; column.name = self.column(column.name, of: own); return column }
        definition.primaryKey = definition.primaryKey.map { column($0, of: own) }
        definition.cloudId = definition.cloudId.map { column($0, of: own) }
        definition.matchSets = definition.matchSets.map { $0.map { column($0, of: own) } }
        definition.fallbackMatchSets = definition.fallbackMatchSets.map { $0.map { column($0, of: own) } }
        definition.references = definition.references.map { reference in
            var renamed = reference
            renamed.columns = reference.columns.map { column($0, of: own) }
            renamed.table = table(reference.table)
            renamed.to = reference.to.map { column($0, of: reference.table) }
            return renamed
        }
        result.definition = definition
        return result
    }

    /// A record of `table` (the changeset's name) under the target's names.
    func rename(_ record: inout Record, table own: String) {
        func rename(_ pairs: [(String, Value)], of table: String) -> [(String, Value)] {
            pairs.map { (column($0.0, of: table), $0.1) }
        }
        func rename(_ identities: [(String, Record.ReferenceIdentity)]) -> [(String, Record.ReferenceIdentity)] {
            identities.map { name, identity in
                var renamed = identity
                renamed.table = table(identity.table)
                renamed.keys = rename(identity.keys, of: identity.table)
                return (column(name, of: own), renamed)
            }
        }
        record.row = rename(record.row, of: own)
        record.keys = rename(record.keys, of: own)
        record.was = rename(record.was, of: own)
        record.refs = rename(record.refs)
        record.keyRefs = rename(record.keyRefs)
        record.wasRefs = rename(record.wasRefs)
    }
}
