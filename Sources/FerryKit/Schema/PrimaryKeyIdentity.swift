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
        // Only a number a database hands out is made independently on two sides. A text key
        // (a cuid, a code, a composite of codes such as (auth_name, code)) is the row's
        // name everywhere, and a key of foreign keys compares the parents' identities.
        let madeHere = table.primaryKey.contains { column in
            table.reference(for: column) == nil && (table.column(named: column)?.hasIntegerAffinity ?? false)
        }
        guard madeHere else { return nil }
        let candidates = suggestedMatch(for: table)
        let fix = candidates.isEmpty
            ? "give it a cloudId with `ferry prepare --tables \(table.name)` on both sides"
            : "add \(profileLine(table: table.name, match: candidates)) to a profile file (--profile FILE), or give it a cloudId with `ferry prepare --tables \(table.name)`"
        return "table \(table.name) is matched by its primary key (\(table.primaryKey.joined(separator: ", "))) alone: ids made independently on two sides differ, so the same row would be duplicated and different rows with equal ids merged. If its rows can be told apart by other columns, \(fix)."
    }

    /// `{"tables": {"T": {"match": [["a", "b"]]}}}`, every name a proper JSON string, so the
    /// line can be pasted into a profile whatever the names hold.
    public static func profileLine(table: String, match: [String]) -> String {
        func json(_ text: String) -> String {
            var buffer = JSONBuffer()
            buffer.appendString(text)
            return buffer.string
        }
        return "{\"tables\": {\(json(table)): {\"match\": [[\(match.map(json).joined(separator: ", "))]]}}}"
    }

    /// A single text primary key (a cuid, a UUID, a natural text key): the same value on two
    /// sides is the same row.
    static func hasGlobalTextKey(_ table: TableDefinition) -> Bool {
        guard table.primaryKey.count == 1, let column = table.column(named: table.primaryKey[0]) else { return false }
        return column.hasTextAffinity || column.type.uppercased() == "UUID"
    }

    /// Columns that plausibly tell rows apart, for the suggested `match` line: references
    /// (an album is its title and its artist) and text columns, NOT NULL first; numbers and
    /// timestamps (a price, a quantity, a creation time) are poor names for a row. Empty when
    /// nothing fits, so the advice is a cloudId instead.
    static func suggestedMatch(for table: TableDefinition) -> [String] {
        let candidates = table.columns.filter { column in
            guard column.primaryKey == 0, !["createdat", "created_at", "updatedat", "updated_at"].contains(column.name.lowercased()) else { return false }
            if table.reference(for: column.name) != nil { return true }
            return column.type.isEmpty || column.hasTextAffinity
        }
        let required = candidates.filter(\.notNull)
        let chosen = (required.isEmpty ? Array(candidates.prefix(1)) : required)
        // Text first, then references, as a person would name the row (title, artist).
        let ordered = chosen.filter { table.reference(for: $0.name) == nil } + chosen.filter { table.reference(for: $0.name) != nil }
        return Array(ordered.prefix(3)).map(\.name)
    }
}
