/// `ferry prepare`: gives rows a stable cloudId so later syncs match them exactly.
public enum Preparer {
    public struct TableResult: Sendable, Equatable {
        public var table: String
        public var column: String
        public var addedColumn: Bool
        public var filled: Int
    }

    /// Adds the cloudId column (and a unique index) where missing and fills NULL cloudIds.
    /// Without `tables`, the column is added only to tables that have no natural key that
    /// means the same everywhere (the ones that need it: no UNIQUE key, or only keys that
    /// allow NULL, since a row with a NULL there has no identity, or only keys that hold a
    /// foreign key, such as an order's (customer_id, ref), whose ids differ between stores):
    /// not to a join table, whose foreign keys are its identity;
    /// tables named in `tables` always get it. Idempotent; an existing
    /// cloudId is never changed.
    public static func prepare(store: Store, tables wanted: [String]?, profile: Profile) throws -> [TableResult] {
        try store.withTransaction {
            let all = try store.tables(profile: profile)
            let selected = try wanted.map { names in
                try names.map { name in
                    guard let table = all.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                        throw FerryError(.usage, "table \(name) is not in \(store.displayName). Tables: \(all.map(\.name).joined(separator: ", ")).")
                    }
                    return table
                }
            } ?? all
            try UnicodeNames.refuseLookalikeColumns(in: selected, place: store.displayName)
            // From now on export and import keep this store's sync book.
            let book = try store.syncBook(create: true)
            var generator = CloudIdGenerator()
            var results: [TableResult] = []
            for table in selected {
                var column = table.cloudId
                var added = false
                if column == nil {
                    // A table without a primary key (a log) is not tracked by the book, and its
                    // rows are recognised whole: a cloudId would only tell equal lines apart.
                    guard wanted != nil || (!table.hasPortableNaturalKey && !table.identifiedByForeignKeys && !table.primaryKey.isEmpty) else { continue }
                    let name = profile.tables[table.name]?.cloudId ?? profile.cloudId ?? "cloudId"
                    try store.addCloudIdColumn(name, to: table.name)
                    column = name
                    added = true
                }
                // A row the application inserted after an earlier `prepare` may have crossed
                // under a cloudId its export gave it, kept in the book: the row keeps that one.
                // A new one would ship as a delete of the old identity, taking the row (and
                // by cascade its children) from every peer.
                let filled = try store.fillNullValues(of: column!, in: table) { key in
                    if !table.primaryKey.isEmpty, let entry = try book?.entry(table: table.name, rowKey: PortableRow.rowKey(key)), !entry.deleted,
                       case .text(let bytes)? = PortableRow.cloudId(inIdentity: entry.identity) {
                        return String(decoding: bytes, as: UTF8.self)
                    }
                    return generator.next()
                }
                results.append(TableResult(table: table.name, column: column!, addedColumn: added, filled: filled))
            }
            return results
        }
    }
}
