import Foundation

/// One `--where TABLE:CONDITION`: the rows of a table a support ticket is about.
public struct RowFilter: Codable, Sendable, Equatable {
    public var table: String
    public var condition: String

    public init(table: String, condition: String) {
        self.table = table
        self.condition = condition
    }

    /// Parses `TABLE:CONDITION` (the first colon splits).
    public static func parse(_ argument: String) throws -> RowFilter {
        guard let colon = argument.firstIndex(of: ":") else {
            throw FerryError(.usage, "--where \(argument.prefix(80)): expected TABLE:CONDITION, e.g. --where 'customers:email = ''ann@example.com'''.")
        }
        let table = String(argument[..<colon]).trimmingCharacters(in: .whitespaces)
        let condition = String(argument[argument.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        guard !table.isEmpty, !condition.isEmpty else {
            throw FerryError(.usage, "--where \(argument.prefix(80)): both the table and the condition are needed, as TABLE:CONDITION.")
        }
        return RowFilter(table: table, condition: condition)
    }
}

/// What a filtered export selected, as the manifest records it.
public struct ManifestSelection: Codable, Sendable, Equatable {
    public struct Filter: Codable, Sendable, Equatable {
        public var table: String
        /// The condition; nil in a redacted export, where it may spell a value the
        /// redaction hides (`email = 'ann@example.com'`).
        public var condition: String?
    }
    public var filters: [Filter]
    /// Whether rows pointing at the selection (and theirs, transitively) were added.
    public var withChildren: Bool
}

/// The rows a filtered export ships: the rows `--where` selects, with `--with-children`
/// the rows that point at them (transitively), and then every row any of those points
/// at (transitively: owners, roles, parents, self references), so the changeset imports
/// into an empty database with every foreign key intact.
///
/// Keys are held in memory, in the order found: a ticket's rows are few, and a selection of
/// millions of rows is a full export's job.
struct RowSelection {
    private(set) var keys: [String: [[Value]]] = [:]
    /// The columns each table's keys are values of (`TableAccess.keyColumns`).
    private(set) var keyColumns: [String: [String]] = [:]
    /// What the person should know: a condition that selected nothing, a parent table the
    /// profile leaves out (the closure is then incomplete).
    var warnings: [String] = []
    private var seen: [String: Set<[Value]>] = [:]

    /// Adds a row; false when it was there already.
    mutating func insert(_ table: String, _ key: [Value]) -> Bool {
        guard seen[table, default: []].insert(key).inserted else { return false }
        keys[table, default: []].append(key)
        return true
    }

    static func build(store: Store, tables: [TableDefinition], filters: [RowFilter], withChildren: Bool) throws -> RowSelection {
        var byName: [String: TableDefinition] = [:]
        for table in tables { byName[table.name.lowercased()] = table }
        var accesses: [String: TableAccess] = [:]
        func access(_ table: TableDefinition) throws -> TableAccess {
            if let known = accesses[table.name] { return known }
            let made = try store.makeTableAccess(table)
            accesses[table.name] = made
            return made
        }
        var selection = RowSelection()
        for table in tables { selection.keyColumns[table.name] = try access(table).keyColumns }
        var found: [(table: TableDefinition, key: [Value])] = []
        for filter in filters {
            guard let table = byName[filter.table.lowercased()] else {
                throw FerryError(.usage, "--where \(filter.table): no such table in \(store.displayName) (or it is excluded). Tables: \(tables.map(\.name).joined(separator: ", ")).")
            }
            var matched = 0
            try store.selectKeys(of: table, keyColumns: try access(table).keyColumns, where: filter.condition) { key in
                matched += 1
                if selection.insert(table.name, key) { found.append((table, key)) }
            }
            // A mistyped condition must not look like a ticket that was made.
            if matched == 0 {
                selection.warnings.append("--where \(table.name):\(filter.condition.prefix(200)) selected no row of \(table.name). Check the condition.")
            }
        }
        if withChildren {
            // Rows pointing at a selected row, and rows pointing at those, level by level: a
            // customer's proposals, then their lines. Parents reached later are not expanded
            // this way, or a customer's owner would bring every customer of that owner.
            var frontier = found
            while !frontier.isEmpty {
                var next: [(table: TableDefinition, key: [Value])] = []
                let byParent = Dictionary(grouping: frontier, by: { $0.table.name.lowercased() })
                for child in tables {
                    for reference in child.references {
                        guard let parents = byParent[reference.table.lowercased()], let parentTable = parents.first?.table else { continue }
                        var wanted = Set<[Value]>()
                        for parent in parents {
                            if let values = try access(parentTable).values(reference.to, at: parent.key), !values.contains(where: \.isNull) { wanted.insert(values) }
                        }
                        if wanted.isEmpty { continue }
                        let add = { (key: [Value]) in if selection.insert(child.name, key) { next.append((child, key)) } }
                        // Without an index on the reference, each lookup would scan the table:
                        // one scan serves every parent of this level instead.
                        let scanKey = child.primaryKey.isEmpty ? store.hiddenRowKey(of: child).map { [$0] } : child.primaryKey
                        if let scanKey, try !store.hasIndex(on: child.name, startingWith: reference.columns) {
                            try store.scan(child, columns: scanKey + reference.columns, joining: []) { cursor in
                                guard wanted.contains(reference.columns.indices.map { cursor.value(at: scanKey.count + $0) }) else { return }
                                add(scanKey.indices.map { cursor.value(at: $0) })
                            }
                        } else {
                            for values in wanted {
                                for childKey in try access(child).keys(where: reference.columns, equal: values, limit: Int(Int32.max)) { add(childKey) }
                            }
                        }
                    }
                }
                found += next
                frontier = next
            }
        }
        // Every row a shipped row points at, transitively.
        var next = 0
        while next < found.count {
            let (table, key) = found[next]
            next += 1
            for reference in table.references {
                guard let parent = byName[reference.table.lowercased()],
                      let values = try access(table).values(reference.columns, at: key), !values.contains(where: \.isNull) else { continue }
                for parentKey in try access(parent).keys(where: reference.to, equal: values, limit: 2) where selection.insert(parent.name, parentKey) {
                    found.append((parent, parentKey))
                }
            }
        }
        // A parent table the profile leaves out: its rows cannot come along.
        for table in tables {
            for reference in table.references where byName[reference.table.lowercased()] == nil && selection.keys[table.name]?.isEmpty == false {
                selection.warnings.append("\(table.name).\(reference.columns.joined(separator: ", ")) points at \(reference.table), which the profile excludes: those rows are not in the changeset, so it will not import into an empty database with every reference intact.")
            }
        }
        return selection
    }
}
