import Foundation

/// Ferry's own tables in a SQLite store. Named `_ferry_*`, so export never ships them.
extension SQLiteStore {
    static let importLogTable = "_ferry_imports"

    public func appendImportLog(_ entry: ImportLogEntry) throws {
        try database.execute("""
            CREATE TABLE IF NOT EXISTS \(Self.importLogTable) (
                changesetId TEXT NOT NULL, appliedAt TEXT NOT NULL, sourceName TEXT, sourceFingerprint TEXT, mode TEXT,
                inserted INTEGER NOT NULL, updated INTEGER NOT NULL, merged INTEGER NOT NULL, unchanged INTEGER NOT NULL,
                deleted INTEGER NOT NULL, conflicts INTEGER NOT NULL, rejected INTEGER NOT NULL)
            """)
        let t = entry.totals
        let statement = try database.prepare("INSERT INTO \(Self.importLogTable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        try statement.bind([.text(entry.changesetId), .text(entry.appliedAt), .text(entry.sourceName), .text(entry.sourceFingerprint), .text(entry.mode)]
            + [t.inserted, t.updated, t.merged, t.unchanged, t.deleted, t.conflicts, t.rejected].map { .integer(Int64($0)) })
        try statement.step()
    }

    public func importLog() throws -> [ImportLogEntry] {
        guard try database.scalar("SELECT 1 FROM sqlite_schema WHERE name = ?", [.text(Self.importLogTable)]) != nil else { return [] }
        return try database.rows("SELECT * FROM \(Self.importLogTable) ORDER BY rowid").map { row in
            func int(_ index: Int) -> Int { if case .integer(let v) = row[index] { return Int(v) } else { return 0 } }
            var totals = ImportReport.Counts()
            totals.inserted = int(5); totals.updated = int(6); totals.merged = int(7); totals.unchanged = int(8)
            totals.deleted = int(9); totals.conflicts = int(10); totals.rejected = int(11)
            return ImportLogEntry(changesetId: row[0].string ?? "", appliedAt: row[1].string ?? "", sourceName: row[2].string ?? "",
                                  sourceFingerprint: row[3].string ?? "", mode: row[4].string ?? "", totals: totals)
        }
    }
}
