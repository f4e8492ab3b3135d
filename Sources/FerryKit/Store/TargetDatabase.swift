import Foundation

/// Opens the SQLite file an import writes to. A file that did not exist is created, and
/// removed again when the import fails or is a dry run, so "nothing applied" holds.
public final class TargetDatabase {
    public let store: SQLiteStore
    public let path: String
    public let created: Bool
    private var keep = false

    public init(path: String) throws {
        self.path = path
        try SQLiteDatabase.checkIsFile(path)
        created = !FileManager.default.fileExists(atPath: path)
        if !created { try SQLiteDatabase.checkWritable(path) }
        store = try SQLiteStore(path: path, mode: .readWriteCreate)
    }

    /// Keep the file: the import succeeded.
    public func commit() { keep = true }

    deinit {
        guard created && !keep else { return }
        for suffix in ["", "-journal", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }
}
