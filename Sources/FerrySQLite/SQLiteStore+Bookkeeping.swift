import FerryKit
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

    /// What the sync book holds, for `inspect --db`; nil when the store keeps none. Read
    /// only: a book from an older Ferry is described as it is.
    public func syncBookSummary() throws -> SyncBookSummary? {
        guard try database.scalar("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_ferry_rows'") != nil else { return nil }
        func state(_ key: String) throws -> String? {
            try database.scalar("SELECT value FROM _ferry_state WHERE key = ?", [.text(Array(key.utf8))])?.string
        }
        func count(_ sql: String) throws -> Int {
            if case .integer(let value)? = try database.scalar(sql) { return Int(value) }
            return 0
        }
        let hasTombstones = try database.scalar("SELECT 1 FROM pragma_table_info('_ferry_rows') WHERE name = 'deleted'") != nil
        let hasTimes = try database.scalar("SELECT 1 FROM pragma_table_info('_ferry_rows') WHERE name = 'changedAt'") != nil
        var summary = SyncBookSummary(storeId: try state("storeId"), lastExport: try state(SyncState.lastExport))
        summary.tracked = try count("SELECT count(*) FROM _ferry_rows\(hasTombstones ? " WHERE deleted = 0" : "")")
        summary.tombstones = hasTombstones ? try count("SELECT count(*) FROM _ferry_rows WHERE deleted = 1") : 0
        if hasTimes, case .integer(let oldest)? = try database.scalar("SELECT min(changedAt) FROM _ferry_rows WHERE deleted = 1 AND changedAt > 0") {
            summary.oldestTombstone = Date(timeIntervalSince1970: TimeInterval(oldest))
        }
        summary.exports = try count("SELECT count(*) FROM _ferry_state WHERE key LIKE 'export:%'")
        return summary
    }
}
