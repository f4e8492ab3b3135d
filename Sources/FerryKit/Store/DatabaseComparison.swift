/// Compares two stores cell by cell: same tables, same rows (in primary-key order), same
/// storage class and exact value of every cell. Used by `ferry demo` and the tests.
public enum DatabaseComparison {
    /// nil when identical, else the first difference in words.
    public static func firstDifference(_ a: Store, _ b: Store, tables names: [String]? = nil) throws -> String? {
        let left = try a.tables(profile: .empty)
        let right = try b.tables(profile: .empty)
        let wanted = names ?? left.map(\.name)
        for name in wanted {
            guard let l = left.first(where: { $0.name == name }) else { return "table \(name) is missing from \(a.displayName)" }
            guard let r = right.first(where: { $0.name == name }) else { return "table \(name) is missing from \(b.displayName)" }
            guard l.columnNames == r.columnNames else { return "table \(name) has different columns" }
            let lrows = try rows(of: l, in: a)
            let rrows = try rows(of: r, in: b)
            guard lrows.count == rrows.count else { return "table \(name) has \(lrows.count) rows in \(a.displayName) and \(rrows.count) in \(b.displayName)" }
            for (index, (x, y)) in zip(lrows, rrows).enumerated() where x != y {
                let column = zip(l.columnNames, zip(x, y)).first { $0.1.0 != $0.1.1 }?.0 ?? "?"
                return "table \(name), row \(index + 1), column \(column) differs"
            }
        }
        return nil
    }

    /// All rows of a table sorted by primary key (or by every column when there is none).
    static func rows(of table: TableDefinition, in store: Store) throws -> [[Value]] {
        var result: [[Value]] = []
        try store.scan(table, columns: table.columnNames, joining: []) { cursor in
            result.append((0..<table.columns.count).map { cursor.value(at: $0) })
        }
        let keyIndexes = table.primaryKey.compactMap { table.columnNames.firstIndex(of: $0) }
        let order = keyIndexes.isEmpty ? Array(table.columns.indices) : keyIndexes
        return result.sorted { x, y in
            for index in order where x[index] != y[index] {
                return x[index].description < y[index].description
            }
            return false
        }
    }
}
