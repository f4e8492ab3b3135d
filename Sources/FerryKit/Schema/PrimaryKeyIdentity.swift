/// Tables whose rows Ferry can recognise by nothing but their primary key.
///
/// When that key is an id each database makes for itself (an INTEGER autoincrement), the same
/// logical row has different ids on two sides, so a reconcile cannot see that the rows are
/// one, and the same id on both sides may be two different rows: silent duplicates or
/// silent overwrites. A text key (a cuid or UUID) is made to be unique everywhere, and a key
/// of foreign keys is compared by the parents' identities: both are fine.
public enum PrimaryKeyIdentity {
    /// A warning naming the table and the `match` line that would fix it; nil when the table
    /// has another identity or a globally unique text key.
    public static func warning(for table: TableDefinition) -> String? {
        if table.cloudId == nil && !table.matchSets.isEmpty && !table.hasCompleteNaturalKey && table.fallbackMatchSets.isEmpty
            && !table.identifiedByForeignKeys && !hasGlobalTextKey(table) {
            let keys = table.matchSets.map { "(\($0.joined(separator: ", ")))" }.joined(separator: ", ")
            return "table \(table.name) is recognised by \(keys), which may be NULL: a row with a NULL there has no identity, so a reconcile inserts it again. Give the table a cloudId with `ferry prepare --tables \(table.name)` on both sides, or add a \"match\" line for it to a profile file (--profile FILE)."
        }
        guard table.identifiedByPrimaryKey else { return nil }
        if hasGlobalTextKey(table) { return nil }
        // A key made of foreign keys (a join table) compares the parents' resolved ids: fine.
        if table.primaryKey.allSatisfy({ table.reference(for: $0) != nil }) { return nil }
        let candidates = suggestedMatch(for: table)
        let fix = candidates.isEmpty
            ? "give it a cloudId with `ferry prepare --tables \(table.name)` on both sides"
            : "add {\"tables\": {\"\(table.name)\": {\"match\": [[\(candidates.map { "\"\($0)\"" }.joined(separator: ", "))]]}}} to a profile file (--profile FILE), or give it a cloudId with `ferry prepare --tables \(table.name)`"
        return "table \(table.name) is matched by its primary key (\(table.primaryKey.joined(separator: ", "))) alone: ids made independently on two sides differ, so the same row would be duplicated and different rows with equal ids merged. If its rows can be told apart by other columns, \(fix)."
    }

    /// A single text primary key (a cuid, a UUID, a natural text key): the same value on two
    /// sides is the same row.
    static func hasGlobalTextKey(_ table: TableDefinition) -> Bool {
        let keyTypes = table.primaryKey.compactMap { table.column(named: $0)?.type.uppercased() }
        return keyTypes.count == 1 && (keyTypes[0].contains("CHAR") || keyTypes[0].contains("TEXT") || keyTypes[0].contains("CLOB") || keyTypes[0] == "UUID")
    }

    /// Columns that plausibly tell rows apart: the NOT NULL columns that are neither key,
    /// reference nor timestamp, else the first such column that may be NULL.
    static func suggestedMatch(for table: TableDefinition) -> [String] {
        let plain = table.columns.filter { column in
            column.primaryKey == 0 && table.reference(for: column.name) == nil
                && !["createdat", "created_at", "updatedat", "updated_at"].contains(column.name.lowercased())
        }
        let required = plain.filter(\.notNull).map(\.name)
        if !required.isEmpty { return Array(required.prefix(3)) }
        return plain.first.map { [$0.name] } ?? []
    }
}
