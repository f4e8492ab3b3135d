/// Orders tables parents first, so an importer can resolve references as it goes.
///
/// Kahn's algorithm, ties broken by name for a stable order. Self references are ignored
/// (they are resolved in a second pass); a cycle is broken at its alphabetically first table.
enum ForeignKeyOrder {
    static func sorted(_ tables: [TableDefinition]) -> [TableDefinition] {
        let names = Set(tables.map(\.name))
        var parents: [String: Set<String>] = [:]
        for table in tables {
            parents[table.name] = Set(table.references.map(\.table).filter { $0 != table.name && names.contains($0) })
        }
        var remaining = tables.sorted { $0.name < $1.name }
        var placed = Set<String>()
        var result: [TableDefinition] = []
        while !remaining.isEmpty {
            let index = remaining.firstIndex { parents[$0.name]!.isSubset(of: placed) } ?? 0
            let table = remaining.remove(at: index)
            placed.insert(table.name)
            result.append(table)
        }
        return result
    }
}
