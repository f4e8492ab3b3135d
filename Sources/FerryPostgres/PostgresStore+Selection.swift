import FerryKit
import Foundation

/// `--where` on PostgreSQL: the condition runs in the export's READ ONLY transaction, as
/// one statement (the extended protocol takes no second one), and its plan may scan no
/// relation but the table itself.
extension PostgresStore {
    public func selectKeys(of table: TableDefinition, keyColumns: [String], where condition: String, _ body: ([Value]) throws -> Void) throws {
        let keys = keyColumns.map { $0 == "rowid" && table.primaryKey.isEmpty ? "t.ctid::text" : "t.\(Identifier.quote($0))" }.joined(separator: ", ")
        let sql = "SELECT \(keys) FROM \(qualified(table.name)) AS t WHERE (\n\(condition)\n)"
        let refuse = { (why: String) in
            FerryError(.usage, "--where \(table.name):\(condition.prefix(200)) was refused: \(why) Write it as a condition on \(table.name) alone, e.g. --where '\(table.name):id = 42'.")
        }
        guard try connection.scalar("SHOW transaction_read_only")?.string == "on" else {
            throw FerryError(.usage, "internal: --where ran outside a read-only transaction; nothing was selected.")
        }
        let plan: Value?
        do {
            plan = try isolated { try connection.scalar("EXPLAIN (VERBOSE, FORMAT JSON) " + sql) }
        } catch let error as FerryError {
            throw refuse("PostgreSQL cannot run it (\(error.message.prefix(300))).")
        }
        guard let text = plan?.string, let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
            throw refuse("its plan could not be read.")
        }
        var reads: [String] = []
        func walk(_ node: Any) {
            if let object = node as? [String: Any] {
                if let relation = object["Relation Name"] as? String {
                    let schema = object["Schema"] as? String ?? self.schema
                    if relation != table.name || schema != self.schema { reads.append("table \(schema).\(relation)") }
                }
                if let function = object["Function Name"] as? String { reads.append("function \(function)") }
                if object["Node Type"] as? String == "CTE Scan" || object["Node Type"] as? String == "Values Scan" { reads.append("a \(object["Node Type"]!)") }
                object.values.forEach(walk)
            } else if let array = node as? [Any] {
                array.forEach(walk)
            }
        }
        walk(json)
        if let first = reads.first { throw refuse("it reads \(first), and a condition may only read \(table.name)'s own columns.") }
        // PostgreSQL has no authorizer, and a function can read anything inside its body
        // (query_to_xml runs a query of its own): every function the plan calls must be one
        // of the bounded built-ins a condition needs.
        if let function = Self.functionsCalled(inPlan: json).first(where: { !Self.selectionFunctions.contains($0.lowercased()) }) {
            throw refuse("it calls \(function), and a condition may only call bounded built-in functions (lower, length, coalesce, date_trunc, …).")
        }
        let result = try connection.query(sql)
        let affinities = try convertingAffinities(of: table.name)
        for row in 0..<result.rowCount {
            try body(keyColumns.indices.map { index in
                let value = result.value(row: row, column: index)
                return affinities[keyColumns[index]].map { PostgresTypes.applyingAffinity(value, $0) } ?? value
            })
        }
    }

    public func scan(_ table: TableDefinition, columns: [String], joining references: [ReferenceJoin], keyColumns: [String], keys: [[Value]],
                     _ body: (RowCursor) throws -> Void) throws {
        let (select, joins) = ReferenceJoin.scanSQL(columns: columns, joining: references, table: qualified)
        let filter = keyColumns.enumerated().map { index, column in
            column == "rowid" && table.primaryKey.isEmpty ? "t.ctid = $\(index + 1)::tid" : "t.\(Identifier.quote(column)) = $\(index + 1)"
        }.joined(separator: " AND ")
        var affinities = try { let own = try convertingAffinities(of: table.name); return columns.map { own[$0] } }()
        for join in references {
            let parent = try convertingAffinities(of: join.reference.table)
            affinities += join.parentColumns.map { parent[$0] }
        }
        let statement = try connection.prepare("SELECT \(select.joined(separator: ", ")) FROM \(qualified(table.name)) AS t\(joins) WHERE \(filter)")
        for key in keys {
            let result = try connection.run(statement, key)
            let cursor = PostgresRowCursor(result: result, row: 0, affinities: affinities)
            for row in 0..<result.rowCount {
                cursor.row = row
                try body(cursor)
            }
        }
    }

    /// The functions a `--where` condition may call on PostgreSQL: scalar built-ins whose
    /// result depends on their arguments (and the clock), as SQLite's list for a schema.
    static let selectionFunctions: Set<String> = [
        // Words of SQL itself that the plan prints before a parenthesis.
        "and", "or", "not", "in", "is", "exists", "case", "when", "then", "else", "end", "from", "like", "ilike", "between",
        "similar", "escape", "distinct",
        "any", "all", "array", "coalesce", "nullif", "greatest", "least", "extract", "row",
        "lower", "upper", "length", "char_length", "character_length", "octet_length", "bit_length", "initcap",
        "substr", "substring", "trim", "btrim", "ltrim", "rtrim", "strpos", "position", "left", "right", "lpad", "rpad",
        "concat", "concat_ws", "split_part", "starts_with", "replace", "translate", "reverse", "md5", "regexp_replace",
        "regexp_match", "regexp_like", "like_escape", "unaccent",
        "abs", "round", "trunc", "floor", "ceil", "ceiling", "sign", "mod", "div", "power", "sqrt",
        "date_trunc", "date_part", "now", "age", "to_char", "to_date", "to_timestamp", "to_number", "make_date",
        "make_timestamp", "make_interval", "timezone", "statement_timestamp", "transaction_timestamp", "clock_timestamp",
        "jsonb_extract_path", "jsonb_extract_path_text", "json_extract_path", "json_extract_path_text", "jsonb_typeof",
        "json_typeof", "jsonb_array_length", "json_array_length", "array_length", "cardinality", "array_position",
    ]

    /// Names called as functions anywhere in an EXPLAIN (VERBOSE, FORMAT JSON) plan: each
    /// `name(` outside a string literal, casts (`::numeric(10,2)`) left out.
    static func functionsCalled(inPlan plan: Any) -> [String] {
        var texts: [String] = []
        func collect(_ node: Any) {
            if let text = node as? String { texts.append(text) }
            else if let object = node as? [String: Any] { object.values.forEach(collect) }
            else if let array = node as? [Any] { array.forEach(collect) }
        }
        collect(plan)
        var names: [String] = []
        for text in texts {
            // Literals out first ('it''s' included), then casts with their type modifiers.
            var bare = text.replacingOccurrences(of: #"'(?:[^']|'')*'"#, with: "''", options: .regularExpression)
            bare = bare.replacingOccurrences(of: #"::\s*"?[A-Za-z_][A-Za-z0-9_ ."]*(\([0-9, ]*\))?(\[\])*"#, with: "", options: .regularExpression)
            guard let pattern = try? NSRegularExpression(pattern: #"([A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)*)\s*\("#) else { continue }
            for match in pattern.matches(in: bare, range: NSRange(bare.startIndex..., in: bare)) {
                guard let range = Range(match.range(at: 1), in: bare) else { continue }
                let name = String(bare[range])
                // Only pg_catalog's own functions count as built-ins; any other schema is the application's.
                if name.contains(".") && !name.lowercased().hasPrefix("pg_catalog.") { names.append(name); continue }
                names.append(String(name.split(separator: ".").last ?? Substring(name)))
            }
        }
        return names
    }
}
