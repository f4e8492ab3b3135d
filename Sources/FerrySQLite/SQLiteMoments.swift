import FerryKit

/// How a SQLite database keeps moments in its date-time columns when it keeps them as
/// integer counts since 1970: the count's unit. Prisma's native connector writes a
/// DateTime as milliseconds; other applications write Unix seconds.
enum SQLiteMoments {
    /// A database `prisma migrate` manages: its native connector's DateTime columns hold
    /// milliseconds, whatever a column's largest count (a column of dates within 115 days
    /// of 1970 looks like seconds by size alone).
    static func isMigratedByPrisma(_ database: SQLiteDatabase) throws -> Bool {
        try database.scalar("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_prisma_migrations'") != nil
    }

    /// A database Django migrates: it writes a moment's six digits of fraction only when
    /// they are not all zero.
    static func isMigratedByDjango(_ database: SQLiteDatabase) throws -> Bool {
        try database.scalar("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'django_migrations'") != nil
    }

    /// The unit of a column of integer moments, `large` of whose counts are 10^10 or more
    /// (as seconds, past 2286; as milliseconds, after April 1970) and `small` below:
    /// milliseconds in a Prisma database; else milliseconds when at least half the counts
    /// are large, seconds otherwise. Half, not the largest: one far-off placeholder
    /// (9999-12-31 in seconds) in a column of seconds turned the whole column into 1970
    /// (a tester).
    static func unit(large: Int64, small: Int64, database: SQLiteDatabase) throws -> Int64 {
        try isMigratedByPrisma(database) || large >= small ? 1 : 1000
    }

    enum Form {
        /// Integer counts alone, in this unit.
        case units(Int64)
        /// Something besides integers.
        case mixed
    }

    /// How a date-time column's values (the first `limit`, or all) are kept; nil when it
    /// holds none. `table` is quoted. The counts are told large (10^10 or more either way)
    /// or small without `abs`: SQLite's overflows on the smallest 64-bit integer and fails
    /// the statement.
    static func form(of column: String, in table: String, database: SQLiteDatabase, limit: Int? = nil) throws -> Form? {
        let name = Identifier.quote(column)
        let rows = limit.map { "(SELECT \(name) FROM \(table) WHERE \(name) IS NOT NULL LIMIT \($0))" } ?? table
        let row = try database.rows("""
            SELECT count(*) FILTER (WHERE typeof(\(name)) NOT IN ('integer', 'null')),
                   count(*) FILTER (WHERE typeof(\(name)) = 'integer' AND (\(name) >= 10000000000 OR \(name) <= -10000000000)),
                   count(*) FILTER (WHERE typeof(\(name)) = 'integer' AND \(name) > -10000000000 AND \(name) < 10000000000) FROM \(rows)
            """).first ?? []
        guard row.count == 3, case .integer(let others) = row[0], case .integer(let large) = row[1], case .integer(let small) = row[2] else { return nil }
        if others > 0 { return .mixed }
        guard large + small > 0 else { return nil }
        return .units(try unit(large: large, small: small, database: database))
    }

    /// The date-time columns of the database's tables, as (quoted table, column): tables
    /// whose names begin with `_` are bookkeeping (`_prisma_migrations` keeps text, Ferry's
    /// own) and are left out; so are columns of PostgreSQL's types, which keep its text.
    static func columns(of database: SQLiteDatabase) throws -> [(table: String, column: String)] {
        try database.rows(#"""
            SELECT m.name, p.name, p.type FROM sqlite_schema AS m JOIN pragma_table_xinfo(m.name) AS p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' AND m.name NOT LIKE '\_%' ESCAPE '\'
            """#).compactMap { row in
            guard let table = row[0].string, let column = row[1].string, let type = row[2].string, isMomentType(type) else { return nil }
            return (Identifier.quote(table), column)
        }
    }

    /// Whether a declared type names a date or time, as SQLite applications declare them
    /// (`DATETIME`, `DATE`, `TIMESTAMP`), and not one of PostgreSQL's kept as its text.
    static func isMomentType(_ declared: String) -> Bool {
        let type = declared.uppercased()
        return (type.contains("DATE") || type.contains("TIME")) && !type.hasPrefix("PG:") && !type.hasPrefix("PGBLOB:")
    }
}

extension SQLiteStore {
    /// For each date-time column of `table` holding integer counts alone (at least one):
    /// their unit (`SQLiteMoments.unit`). A column whose first value is not an integer is
    /// passed over without reading the rest; one that holds integers is read whole, once.
    public func epochUnits(of table: TableDefinition) throws -> [String: Int64] {
        var units: [String: Int64] = [:]
        let quotedTable = Identifier.quote(table.name)
        for column in table.columns where SQLiteMoments.isMomentType(column.type) {
            let name = Identifier.quote(column.name)
            guard try database.scalar("SELECT typeof(\(name)) FROM \(quotedTable) WHERE \(name) IS NOT NULL LIMIT 1") == .text("integer"),
                  case .units(let unit)? = try SQLiteMoments.form(of: column.name, in: quotedTable, database: database) else { continue }
            units[column.name] = unit
        }
        return units
    }
}
