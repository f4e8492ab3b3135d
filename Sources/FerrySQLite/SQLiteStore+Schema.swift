import FerryKit
import Foundation

extension SQLiteStore {
    /// Every user table as SQLite's catalog describes it. Names are bound as parameters of
    /// the `pragma_*` table-valued functions, never spliced into SQL.
    public func catalog() throws -> [CatalogTable] {
        // pragma_table_list says "shadow" for the tables behind FTS5/R-tree virtual tables:
        // they belong to their module, so they are neither exported nor prepared.
        let rows = try database.rows("""
            SELECT s.name, s.sql FROM sqlite_schema AS s JOIN pragma_table_list AS l ON l.name = s.name AND l.schema = 'main'
            WHERE s.type = 'table' AND l.type = 'table'
              AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND s.name NOT LIKE '\\_ferry\\_%' ESCAPE '\\'
            ORDER BY s.name
            """)
        var tables: [CatalogTable] = []
        for row in rows {
            guard let name = row[0].string else { continue }
            let create = row[1].string ?? ""
            // Virtual tables (FTS, R-tree) are backed by module code Ferry cannot recreate safely.
            if create.uppercased().hasPrefix("CREATE VIRTUAL") { continue }
            tables.append(try catalogTable(name, create: create))
        }
        return tables
    }

    private func catalogTable(_ name: String, create: String) throws -> CatalogTable {
        var columns: [ColumnDefinition] = []
        // hidden: 0 normal, 2/3 generated columns (computed, never inserted), 1 virtual-table hidden.
        for row in try database.rows("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid", [.text(name)]) {
            guard let columnName = row[0].string, case .integer(let notNull) = row[2], case .integer(let pk) = row[4] else { continue }
            columns.append(ColumnDefinition(name: columnName, type: row[1].string ?? "", notNull: notNull != 0, primaryKey: Int(pk), default: row[3].string))
        }
        var references: [Reference] = []
        var current: (id: Int64, reference: Reference)?
        for row in try database.rows("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(name)]) {
            guard case .integer(let id) = row[0], let parent = row[1].string, let from = row[2].string else { continue }
            if let existing = current, existing.id == id {
                current!.reference.columns.append(from)
                current!.reference.to.append(row[3].string ?? "")
            } else {
                if let existing = current { references.append(existing.reference) }
                current = (id, Reference(columns: [from], table: parent, to: [row[3].string ?? ""], onDelete: row[5].string, onUpdate: row[4].string))
            }
        }
        if let existing = current { references.append(existing.reference) }
        let indexes = try database.rows(
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid", [.text(name)]
        ).compactMap { $0[0].string }
        return CatalogTable(name: name, columns: columns, uniqueKeys: try uniqueIndexes(of: name),
                            expressionKeys: try expressionKeys(of: name, columns: columns.map(\.name)), references: references,
                            create: create, indexes: indexes,
                            // A schema's own ON CONFLICT REPLACE / IGNORE lets a colliding insert succeed.
                            resolvesConflictsItself: Self.declaresConflictClause(create))
    }

    /// Whether `create` holds `ON` and `CONFLICT` as two words, whatever whitespace or
    /// comments part them (SQLite reads `ON  CONFLICT`, `ON<tab>CONFLICT` and
    /// `ON/**/CONFLICT` alike; a tester's schema with two spaces was taken for one without).
    /// Text in quotes may match too: that only costs the table its insert-first path.
    static func declaresConflictClause(_ create: String) -> Bool {
        create.range(of: #"\bON(\s|/\*[\s\S]*?\*/|--[^\n]*(\n|$))+CONFLICT\b"#, options: [.regularExpression, .caseInsensitive]) != nil
    }

    /// Unique, non-partial indexes over plain columns, in declaration order.
    private func uniqueIndexes(of table: String) throws -> [[String]] {
        let listed = try database.rows("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", [.text(table)])
        let declared = try database.rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? ORDER BY rowid", [.text(table)]).compactMap { $0[0].string }
        var result: [(position: Int, columns: [String])] = []
        for row in listed {
            guard let name = row[0].string, row[1] == .integer(1), row[3] == .integer(0), row[2].string != "pk" else { continue }
            let columns = try database.rows("SELECT name FROM pragma_index_info(?) ORDER BY seqno", [.text(name)]).map { $0[0].string }
            // An expression index has a NULL column name: it cannot be matched by values.
            guard !columns.isEmpty, columns.allSatisfy({ $0 != nil }) else { continue }
            // An index that compares under another collation than its columns' own
            // (`ON x(k COLLATE NOCASE)` over a BINARY column) is an expression key.
            guard try collatedParts(ofIndex: name, table: table) == nil else { continue }
            result.append((declared.firstIndex(of: name) ?? Int.max, columns.map { $0! }))
        }
        return result.sorted { $0.position < $1.position }.map(\.columns)
    }

    /// For an index over plain columns, the templates (`• COLLATE NOCASE`) of the parts whose
    /// collation differs from their column's own; nil when every part compares as its column.
    private func collatedParts(ofIndex index: String, table: String) throws -> [String?]? {
        let parts = try database.rows("SELECT name, coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", [.text(index)])
        var templates: [String?] = []
        var differs = false
        for part in parts {
            guard let column = part[0].string, let collation = part[1].string else { return nil }
            if collation.uppercased() != (database.columnCollation(table: table, column: column) ?? "BINARY").uppercased() {
                templates.append(ExpressionKey.placeholder + " COLLATE " + collation)
                differs = true
            } else {
                templates.append(nil)
            }
        }
        return differs ? templates : nil
    }

    /// UNIQUE, non-partial indexes whose parts are expressions of one column each
    /// (`lower(email)`), in declaration order. The expression text comes from the index's
    /// own CREATE statement; an index Ferry cannot read that way is no identity.
    private func expressionKeys(of table: String, columns: [String]) throws -> [ExpressionKey] {
        let listed = try database.rows("SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1 AND partial = 0 AND origin = 'c'", [.text(table)])
        var keys: [ExpressionKey] = []
        for row in listed {
            guard let name = row[0].string else { continue }
            let parts = try database.rows("SELECT name FROM pragma_index_info(?) ORDER BY seqno", [.text(name)]).map { $0[0].string }
            if !parts.isEmpty, parts.allSatisfy({ $0 != nil }), let templates = try collatedParts(ofIndex: name, table: table) {
                keys.append(ExpressionKey(columns: parts.map { $0! }, templates: templates, index: name))
                continue
            }
            guard parts.contains(where: { $0 == nil }),
                  let sql = try database.scalar("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?", [.text(name)])?.string,
                  var key = IndexExpressions.key(fromCreateIndex: sql, columns: columns), key.columns.count == parts.count else { continue }
            key.index = name
            keys.append(key)
        }
        return keys
    }
}
