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

    /// The unit of a column of integer moments whose largest count (absolute) is
    /// `largest`: milliseconds in a Prisma database; else milliseconds from 10^10 (as
    /// seconds that would be past 2286), seconds below.
    static func unit(largest: Int64, database: SQLiteDatabase) throws -> Int64 {
        try isMigratedByPrisma(database) || largest >= 10_000_000_000 ? 1 : 1000
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
            guard try database.scalar("SELECT typeof(\(name)) FROM \(quotedTable) WHERE \(name) IS NOT NULL LIMIT 1") == .text("integer") else { continue }
            let row = try database.rows("""
                SELECT count(*) FILTER (WHERE typeof(\(name)) NOT IN ('integer', 'null')), max(abs(\(name))) FILTER (WHERE typeof(\(name)) = 'integer') FROM \(quotedTable)
                """).first ?? []
            guard row.count == 2, row[0] == .integer(0), case .integer(let largest) = row[1] else { continue }
            units[column.name] = try SQLiteMoments.unit(largest: largest, database: database)
        }
        return units
    }
}
