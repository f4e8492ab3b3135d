/// Finds the target row that is the same logical row as an incoming identity: by cloudId,
/// then natural keys, then fallback composites (only when exactly one row matches), then
/// the primary key for tables that have no other identity.
struct IdentityMatcher {
    enum Match {
        case none
        /// The target row's key.
        case found(key: [Value])
        case ambiguous(columns: [String], count: Int)
        case drift(cloudIdRow: [Value], keyRow: [Value], columns: [String])
    }

    let table: TableDefinition
    let access: TableAccess
    /// Fallback composites whose columns include no foreign key, for identities carried in `refs`
    /// (a foreign key inside a composite would hold the source's raw id there).
    private let plainFallbacks: [[String]]

    init(table: TableDefinition, access: TableAccess) {
        self.table = table
        self.access = access
        plainFallbacks = table.fallbackMatchSets.filter { set in !set.contains { table.reference(for: $0) != nil } }
    }

    /// Matches an identity. `value(column)` gives the incoming value of a key column (nil when
    /// the identity does not carry it). `checkDrift` also compares natural keys after a
    /// cloudId match; `fromReference` restricts fallbacks to those without foreign keys.
    func match(cloudId: Value, checkDrift: Bool, fromReference: Bool, _ value: (String) -> Value?) throws -> Match {
        var cloudIdRow: [Value]?
        if let column = table.cloudId, !cloudId.isNull {
            cloudIdRow = try access.keys(where: [column], equal: [cloudId], limit: 1).first
            if let cloudIdRow, !checkDrift { return .found(key: cloudIdRow) }
        }
        for set in table.matchSets {
            guard let values = values(of: set, value) else { continue }
            guard let row = try access.keys(where: set, equal: values, limit: 1).first else { continue }
            if let cloudIdRow {
                if row != cloudIdRow { return .drift(cloudIdRow: cloudIdRow, keyRow: row, columns: set) }
                continue
            }
            return .found(key: row)
        }
        for key in table.expressionKeys {
            // coalesce(a, '') is a value even where a is NULL: the expression decides.
            guard let values = values(of: key.columns, nullsAllowed: true, value) else { continue }
            guard let row = try access.keys(where: key, equal: values, limit: 1).first else { continue }
            if let cloudIdRow {
                if row != cloudIdRow { return .drift(cloudIdRow: cloudIdRow, keyRow: row, columns: key.columns) }
                continue
            }
            return .found(key: row)
        }
        if let cloudIdRow { return .found(key: cloudIdRow) }
        // In a fallback composite NULL equals NULL: (title, type, createdBy) with no type is
        // still that row. Only a UNIQUE key follows SQL, where NULL identifies nothing.
        for set in fromReference ? plainFallbacks : table.fallbackMatchSets {
            guard let values = values(of: set, nullsAllowed: true, value) else { continue }
            let rows = try access.keys(where: set, equal: values, limit: 2, nullsEqual: true)
            if rows.count == 1 { return .found(key: rows[0]) }
            if rows.count > 1 { return .ambiguous(columns: set, count: rows.count) }
        }
        if table.identifiedByPrimaryKey, let values = values(of: table.primaryKey, value),
           let row = try access.keys(where: table.primaryKey, equal: values, limit: 1).first {
            return .found(key: row)
        }
        return .none
    }

    /// The incoming values of `columns`, or nil when one is absent or (unless `nullsAllowed`)
    /// NULL: in a UNIQUE key NULL matches nothing.
    private func values(of columns: [String], nullsAllowed: Bool = false, _ value: (String) -> Value?) -> [Value]? {
        var result: [Value] = []
        result.reserveCapacity(columns.count)
        for column in columns {
            guard let v = value(column), nullsAllowed || !v.isNull else { return nil }
            result.append(v)
        }
        return result
    }
}
