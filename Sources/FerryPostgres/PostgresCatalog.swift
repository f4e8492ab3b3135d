import FerryKit
import FerrySQLite
/// Reads one schema's tables from PostgreSQL's catalogs, and writes the DDL that creates
/// a changeset's table in PostgreSQL.
struct PostgresCatalog {
    let connection: PostgresConnection
    let schema: String

    func tables() throws -> [CatalogTable] {
        // Ordinary and partitioned tables; a partition is read through its parent.
        let listed = try connection.query("""
            SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT LIKE '\\_ferry\\_%'
            ORDER BY c.relname
            """, [.text(schema)])
        return try (0..<listed.rowCount).map { row in
            try table(oid: listed.value(row: row, column: 0), name: listed.string(row: row, column: 1) ?? "")
        }
    }

    private func table(oid: Value, name: String) throws -> CatalogTable {
        // Generated columns are computed by the server, never written: left out, as in SQLite.
        // A domain is read as its base type, an enum as text (its type may not exist elsewhere).
        let columnRows = try connection.query("""
            SELECT a.attname, a.attnum,
                   CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
                        WHEN t.typtype = 'e' THEN 'text'
                        WHEN t.typcategory = 'A' AND e.typtype = 'e' THEN 'text[]'
                        ELSE format_type(a.atttypid, a.atttypmod) END,
                   a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '' OR pg_get_serial_sequence(c.oid::regclass::text, a.attname) IS NOT NULL,
                   col_description(a.attrelid, a.attnum)
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_type e ON e.oid = t.typelem
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            ORDER BY a.attnum
            """, [oid])
        var columns: [ColumnDefinition] = []
        var nameOf: [Int64: String] = [:]
        var handedOut: [String] = [] // identity and serial columns
        for row in 0..<columnRows.rowCount {
            let column = columnRows.string(row: row, column: 0) ?? ""
            if case .integer(let number) = columnRows.value(row: row, column: 1) { nameOf[number] = column }
            let generated = columnRows.value(row: row, column: 5) == .integer(1)
            if generated { handedOut.append(column) }
            // A sequence's default (nextval) means nothing in another store: an id is handed
            // out there by its own rules. Only a constant default travels.
            let defaultText = generated ? nil : columnRows.string(row: row, column: 4).flatMap(Self.portableDefault)
            // A column Ferry created from another store's type keeps that type's name in its
            // comment (createStatement), so it crosses back as it was declared there.
            // PostgreSQL's own types say so (`pg:`): they cross back to PostgreSQL as they are,
            // where a SQLite name becomes the type that holds all its values.
            var type = PostgresTypes.sqliteDeclaredType(columnRows.string(row: row, column: 2) ?? "text")
            if let comment = columnRows.string(row: row, column: 6), comment.hasPrefix(Self.declaredPrefix) { type = String(comment.dropFirst(Self.declaredPrefix.count)) }
            columns.append(ColumnDefinition(name: column, type: type,
                                            notNull: columnRows.value(row: row, column: 3) == .integer(1), primaryKey: 0, default: defaultText))
        }
        func names(_ numbers: String?) -> [String] {
            // int2vector / int2[] text: "1 2" or "{1,2}".
            (numbers ?? "").split(whereSeparator: { " {},".contains($0) }).compactMap { Int64($0).flatMap { nameOf[$0] } }
        }
        let constraints = try connection.query("""
            SELECT con.contype, con.conkey::text, con.confkey::text, pc.relname, pn.nspname, con.confdeltype, con.confupdtype
            FROM pg_constraint con LEFT JOIN pg_class pc ON pc.oid = con.confrelid LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
            WHERE con.conrelid = $1::oid AND con.contype IN ('p', 'f') ORDER BY con.contype DESC, con.conname
            """, [oid])
        var references: [Reference] = []
        for row in 0..<constraints.rowCount {
            let own = names(constraints.string(row: row, column: 1))
            if constraints.string(row: row, column: 0) == "p" {
                for (position, key) in own.enumerated() {
                    if let index = columns.firstIndex(where: { $0.name == key }) { columns[index].primaryKey = position + 1 }
                }
                continue
            }
            guard let parent = constraints.string(row: row, column: 3), constraints.string(row: row, column: 4) == schema else { continue }
            let parentNames = try columnNames(of: parent)
            let to = (constraints.string(row: row, column: 2) ?? "").split(whereSeparator: { " {},".contains($0) }).compactMap { Int64($0).flatMap { parentNames[$0] } }
            references.append(Reference(columns: own, table: parent, to: to,
                                        onDelete: Self.action(constraints.string(row: row, column: 5)), onUpdate: Self.action(constraints.string(row: row, column: 6))))
        }
        // UNIQUE indexes (constraints are indexes too), whole and over plain columns, oldest first.
        let indexes = try connection.query("""
            SELECT i.indkey::text, i.indisprimary FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
            WHERE i.indrelid = $1::oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL ORDER BY i.indexrelid
            """, [oid])
        var uniqueKeys: [[String]] = []
        for row in 0..<indexes.rowCount where indexes.value(row: row, column: 1) != .integer(1) {
            let key = names(indexes.string(row: row, column: 0))
            if !key.isEmpty && !uniqueKeys.contains(key) { uniqueKeys.append(key) }
        }
        // UNIQUE indexes over expressions of one column each (`lower(email)`), read from the
        // index's own definition as PostgreSQL prints it.
        let expressionIndexes = try connection.query("""
            SELECT pg_get_indexdef(i.indexrelid), ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
            WHERE i.indrelid = $1::oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NOT NULL ORDER BY i.indexrelid
            """, [oid])
        let expressionKeys = (0..<expressionIndexes.rowCount).compactMap { row -> ExpressionKey? in
            guard var key = expressionIndexes.string(row: row, column: 0).flatMap({ IndexExpressions.key(fromCreateIndex: $0, columns: columns.map(\.name)) }) else { return nil }
            key.index = expressionIndexes.string(row: row, column: 1)
            return key
        }
        // A table's single integer key is made an identity wherever Ferry creates the table;
        // any other column whose values a sequence hands out (a serial inside a composite
        // key: pagila's payment_id) says so in its type, so it gets one there too.
        let keyColumns = columns.filter { $0.primaryKey > 0 }
        for column in handedOut where !(keyColumns.count == 1 && keyColumns[0].name == column) {
            if let index = columns.firstIndex(where: { $0.name == column }), ["pg:smallint", "pg:integer", "pg:bigint"].contains(columns[index].type) {
                columns[index].type += Self.identityMark
            }
        }
        let definition = TableDefinition(name: name, columns: columns, primaryKey: columns.filter { $0.primaryKey > 0 }.sorted { $0.primaryKey < $1.primaryKey }.map(\.name),
                                         cloudId: nil, matchSets: uniqueKeys, references: references, create: "", indexes: [])
        // The unique expressions both stores write alike travel as index statements, so a
        // store that creates the table from the changeset has the same natural keys.
        let portableIndexes = expressionKeys.enumerated().compactMap { position, key -> String? in
            guard let portable = PortableIndexes.portable(key) else { return nil }
            return "CREATE UNIQUE INDEX \(Identifier.quote("\(name)_ferry_key\(position + 1)")) ON \(Identifier.quote(name)) (\(Self.indexParts(portable)))"
        }
        return CatalogTable(name: name, columns: columns, uniqueKeys: uniqueKeys, expressionKeys: expressionKeys, references: references,
                            create: Self.portableCreate(definition, checks: try checks(oid: oid, columns: columns).portable), indexes: portableIndexes)
    }

    /// The table's CHECK constraints, as PostgreSQL prints them, read into the form both
    /// stores judge alike (`PortableCheck`), and the text of each that has none.
    func checks(oid: Value, columns: [ColumnDefinition]) throws -> (portable: [PortableCheck], notPortable: [String]) {
        let result = try connection.query("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::oid AND contype = 'c' ORDER BY conname", [oid])
        guard result.rowCount > 0 else { return ([], []) }
        // A column equal without case (a nondeterministic collation) compares apart from
        // SQLite's copy of it.
        let collation = try connection.query("""
            SELECT a.attname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
            WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT c.collisdeterministic
            """, [oid])
        let collated = Set((0..<collation.rowCount).compactMap { collation.string(row: $0, column: 0) })
        var portable: [PortableCheck] = [], notPortable: [String] = []
        for row in 0..<result.rowCount {
            let definition = result.string(row: row, column: 0) ?? ""
            if let check = PortableCheck.fromPostgres(definition, columns: columns, collated: collated) {
                if !portable.contains(check) { portable.append(check) }
            } else {
                notPortable.append(definition)
            }
        }
        return (portable, notPortable)
    }

    /// The CHECKs of `table` no changeset carries (`checks`).
    func checksNotCarried(of table: String) throws -> [String] {
        guard let oid = try connection.scalar("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                                              [.text(schema), .text(table)]) else { return [] }
        return try checks(oid: oid, columns: self.table(oid: oid, name: table).columns).notPortable
    }

    private func columnNames(of table: String) throws -> [Int64: String] {
        let result = try connection.query("""
            SELECT a.attnum, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
            """, [.text(schema), .text(table)])
        var names: [Int64: String] = [:]
        for row in 0..<result.rowCount {
            if case .integer(let number) = result.value(row: row, column: 0) { names[number] = result.string(row: row, column: 1) }
        }
        return names
    }

    /// pg_constraint's one-letter actions, in SQL's words (nil for the default, NO ACTION).
    private static func action(_ code: String?) -> String? {
        switch code {
        case "r": return "RESTRICT"
        case "c": return "CASCADE"
        case "n": return "SET NULL"
        case "d": return "SET DEFAULT"
        default: return nil
        }
    }

    /// A default that means the same in any store: a number, a string literal, NULL, true
    /// or false (PostgreSQL writes `'x'::text`, which the cast is dropped from). nil otherwise.
    static func portableDefault(_ expression: String) -> String? {
        var text = expression
        if let cast = text.range(of: "::", options: .backwards), text.hasPrefix("'") { text = String(text[..<cast.lowerBound]) }
        if text == "true" { return "1" }
        if text == "false" { return "0" }
        if text.uppercased() == "NULL" { return "NULL" }
        // The moment a row is written means the same in both stores, and both spell it so
        // (pagila's `last_update … DEFAULT now() NOT NULL` would otherwise refuse every
        // insert that leaves it out, in the new database).
        if ["now()", "current_timestamp", "transaction_timestamp()"].contains(text.lowercased()) { return "CURRENT_TIMESTAMP" }
        if ["current_date", "current_time"].contains(text.lowercased()) { return text.uppercased() }
        if Double(text) != nil, text.allSatisfy({ "0123456789.-+eE".contains($0) }) { return text }
        if text.hasPrefix("'"), text.hasSuffix("'"), text.count >= 2, !text.dropFirst().dropLast().replacingOccurrences(of: "''", with: "").contains("'") { return text }
        return nil
    }

    /// CREATE TABLE text both SQLite and PostgreSQL read: every name and type quoted, keys
    /// and references as table constraints, only constant defaults. It goes into a
    /// changeset made from PostgreSQL, so a SQLite target can create the table.
    static func portableCreate(_ table: TableDefinition, checks: [PortableCheck] = []) -> String {
        var parts = table.columns.map { column -> String in
            var text = "\(Identifier.quote(column.name)) \(Identifier.quote(column.type))"
            if column.notNull { text += " NOT NULL" }
            if let value = column.default { text += " DEFAULT \(value)" }
            return text
        }
        if !table.primaryKey.isEmpty { parts.append("PRIMARY KEY (\(Identifier.quoteList(table.primaryKey)))") }
        for key in table.matchSets { parts.append("UNIQUE (\(Identifier.quoteList(key)))") }
        for reference in table.references {
            var text = "FOREIGN KEY (\(Identifier.quoteList(reference.columns))) REFERENCES \(Identifier.quote(reference.table)) (\(Identifier.quoteList(reference.to)))"
            if let action = reference.onDelete { text += " ON DELETE \(action)" }
            if let action = reference.onUpdate { text += " ON UPDATE \(action)" }
            parts.append(text)
        }
        for check in checks { parts.append("CHECK (\(check.expression))") }
        return "CREATE TABLE \(Identifier.quote(table.name)) (\n  \(parts.joined(separator: ",\n  "))\n)"
    }

    /// CREATE TABLE for PostgreSQL from a changeset's definition (made by any store): types
    /// mapped by `PostgresTypes.columnType`, a single integer key as an identity column, the
    /// natural keys and the cloudId UNIQUE, every foreign key DEFERRABLE (checked at commit,
    /// as the importer writes a cycle's rows in two steps).
    /// `CREATE TABLE` with the foreign keys whose parent `exists` (itself included); the
    /// others are left to `foreignKeyStatement` once their parent is made (two tables that
    /// point at each other, pagila's store and staff, cannot both be made first).
    static func createStatement(for table: TableDefinition, in schema: String, known: (String) throws -> Bool,
                                parentExists: (String) throws -> Bool = { _ in true }) throws -> (sql: String, postponed: [Reference], checks: [(check: PortableCheck, statement: String)], notCarried: [String]) {
        try checkNames(table)
        let integerKey = table.primaryKey.count == 1 && (table.column(named: table.primaryKey[0]).map { $0.type.uppercased().contains("INT") } ?? false)
        var parts: [String] = []
        var comments: [String] = []
        for column in table.columns {
            let handedOut = column.type.hasSuffix(identityMark)
            let type = try PostgresTypes.columnType(declared: handedOut ? String(column.type.dropLast(identityMark.count)) : column.type, known: known)
            // Every column: SQLite's NUMERIC, say, is PostgreSQL's `numeric` by name, yet holds
            // what SQLite's affinity keeps, and must cross back as NUMERIC.
            let literal = "'" + (declaredPrefix + column.type).replacingOccurrences(of: "'", with: "''") + "'"
            comments.append("COMMENT ON COLUMN \(Identifier.quote(schema)).\(Identifier.quote(table.name)).\(Identifier.quote(column.name)) IS \(literal)")
            var text = "\(Identifier.quote(column.name)) \(type)"
            if (handedOut || integerKey && column.name == table.primaryKey[0]) && ["bigint", "integer", "smallint"].contains(type) { text += " GENERATED BY DEFAULT AS IDENTITY" }
            if column.notNull { text += " NOT NULL" }
            if let value = column.default.flatMap(portableDefault) { text += " DEFAULT \(type == "boolean" && (value == "1" || value == "0") ? (value == "1" ? "true" : "false") : value)" }
            parts.append(text)
        }
        if !table.primaryKey.isEmpty { parts.append("PRIMARY KEY (\(Identifier.quoteList(table.primaryKey)))") }
        let portable = PortableIndexes(table)
        // A key compared without case keeps its plain UNIQUE too: implied by the index on
        // lower(…), and what a foreign key into those columns needs.
        var unique = table.matchSets
        if let cloudId = table.cloudId, !unique.contains([cloudId]) { unique.append([cloudId]) }
        // A key over a column the table is made without (a generated one) stays behind with it.
        let written = Set(table.columnNames)
        var notCarried = portable.notCarried
        for key in unique where !key.allSatisfy(written.contains) {
            notCarried.append("the unique key (\(key.joined(separator: ", "))) over a column the table is made without")
        }
        unique = unique.filter { $0.allSatisfy(written.contains) }
        for key in unique { parts.append("UNIQUE (\(Identifier.quoteList(key)))") }
        var postponed: [Reference] = []
        for reference in table.references where !reference.to.contains("") {
            guard try reference.table == table.name || parentExists(reference.table) else {
                postponed.append(reference)
                continue
            }
            parts.append(foreignKeyClause(reference, in: schema))
        }
        // Unique keys over lower/upper/trim of a column (and a column SQLite compared
        // without case): PostgreSQL names each index itself.
        let indexes = portable.unique.filter { $0.columns.allSatisfy(written.contains) }.map { key in
            "CREATE UNIQUE INDEX ON \(Identifier.quote(schema)).\(Identifier.quote(table.name)) (\(Self.indexParts(key)))"
        }
        let sql = (["CREATE TABLE \(Identifier.quote(schema)).\(Identifier.quote(table.name)) (\n  \(parts.joined(separator: ",\n  "))\n)"] + indexes + comments)
            .joined(separator: ";\n")
        let checks = portable.checks.map { ($0, "ALTER TABLE \(Identifier.quote(schema)).\(Identifier.quote(table.name)) ADD CHECK (\($0.expression))") }
        return (sql, postponed, checks, notCarried)
    }

    /// `lower("email"), "code"`: an expression key's parts, each column quoted.
    static func indexParts(_ key: ExpressionKey) -> String {
        zip(key.columns, key.templates).map { column, template in
            template.map { ExpressionKey.fill($0, with: Identifier.quote(column)) } ?? Identifier.quote(column)
        }.joined(separator: ", ")
    }

    /// `ALTER TABLE … ADD FOREIGN KEY`, for a reference `createStatement` postponed.
    static func foreignKeyStatement(_ reference: Reference, of table: String, in schema: String) -> String {
        "ALTER TABLE \(Identifier.quote(schema)).\(Identifier.quote(table)) ADD \(foreignKeyClause(reference, in: schema))"
    }

    private static func foreignKeyClause(_ reference: Reference, in schema: String) -> String {
        var text = "FOREIGN KEY (\(Identifier.quoteList(reference.columns))) REFERENCES \(Identifier.quote(schema)).\(Identifier.quote(reference.table)) (\(Identifier.quoteList(reference.to)))"
        if let action = reference.onDelete.flatMap(allowedAction) { text += " ON DELETE \(action)" }
        if let action = reference.onUpdate.flatMap(allowedAction) { text += " ON UPDATE \(action)" }
        return text + " DEFERRABLE INITIALLY DEFERRED"
    }

    /// PostgreSQL cuts a name past 63 bytes (the rows would then name a column the table
    /// lacks) and keeps a few column names for itself: both are refused before anything runs.
    private static func checkNames(_ table: TableDefinition) throws {
        for name in [table.name] + table.columnNames where name.utf8.count > 63 {
            throw FerryError(.schema, "table \(table.name): the name \(name.prefix(40))… is \(name.utf8.count) bytes, and PostgreSQL names hold at most 63. Create the table in PostgreSQL yourself under shorter names, with a profile that skips or renames nothing Ferry needs, then import again.")
        }
        let system: Set<String> = ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"]
        for column in table.columnNames where system.contains(column.lowercased()) {
            throw FerryError(.schema, "table \(table.name): PostgreSQL keeps the column name \(column) for itself, so the table cannot be created with it. Rename the column at the source, or create the table in PostgreSQL yourself, then import again.")
        }
    }

    /// Marks a PostgreSQL integer type whose values a sequence hands out (`pg:integer
    /// identity`): SQLite reads it as INTEGER, PostgreSQL makes the column an identity.
    static let identityMark = " identity"

    /// A column comment that names the type a column was declared with in the store it
    /// came from (`INTEGER`, which PostgreSQL holds as `bigint`).
    static let declaredPrefix = "ferry: declared type "

    /// A referential action from a changeset, only if it is one of SQL's five.
    private static func allowedAction(_ text: String) -> String? {
        let upper = text.uppercased()
        return ["CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"].contains(upper) ? upper : nil
    }
}
