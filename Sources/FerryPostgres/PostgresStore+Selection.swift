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
            var cursor = PostgresRowCursor(result: result, row: 0, affinities: affinities)
            for row in 0..<result.rowCount {
                cursor.row = row
                try body(cursor)
            }
        }
    }
}
