import FerryKit
import CSQLite
import Foundation

/// Owns one `sqlite3*` connection and closes it exactly once.
public final class SQLiteDatabase {
    public enum Mode: Sendable {
        case readOnly
        case readWrite
        case readWriteCreate
    }

    let handle: OpaquePointer
    public let path: String

    /// A statement's journal (what rolls back one failed statement inside the import's
    /// transaction) spills to a temporary file past 64 KiB by default, and once spilled every
    /// later statement of the transaction journals through the file: an import made ~9
    /// pwrite calls per row. Single-row statements stay far under 4 MiB, so they journal in
    /// memory; only bulk statements (prepare's batches) still spill. The setting is global
    /// and only takes before SQLite's first use in the process: a host app that opened
    /// SQLite already keeps its own (SQLITE_MISUSE, ignored), and Ferry is merely slower.
    /// The same holds for the memory statistics below.
    private static let configured: Void = {
        _ = ferry_sqlite_config_statement_journal_spill(4 << 20)
        // SQLite counts every allocation under a global mutex by default (for
        // sqlite3_memory_used and the soft heap limit, which Ferry does not use): an import
        // took that mutex twice per malloc, about 50 times a row (docs/decisions.md).
        _ = ferry_sqlite_config_memory_statistics(0)
    }()

    /// The page cache, in `PRAGMA cache_size` terms (negative: KiB).
    static let mainCacheSize = -16384

    public init(path: String, mode: Mode) throws {
        Self.configured
        var flags: Int32
        switch mode {
        case .readOnly: flags = SQLITE_OPEN_READONLY
        case .readWrite: flags = SQLITE_OPEN_READWRITE
        case .readWriteCreate: flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        // Each connection is used by one thread at a time; skipping SQLite's per-call
        // mutex is measured at ~30% faster scans (../shared/MEASURED.md).
        flags |= SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            // sqlite3_open_v2 allocates a handle even when it fails; it must still be closed.
            sqlite3_close_v2(db)
            throw FerryError(.io, Self.openFailure(path: path, mode: mode, sqliteMessage: message))
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, LockHolder.busyTimeoutMilliseconds)
        // SQLite's default page cache is 2 MB: a large import then rereads index pages from
        // the OS for every row. 16 MB (plus 4 MB for the TEMP key map) keeps the indexes' hot
        // pages in memory; peak RSS stays under 64 MB (docs/decisions.md, "Page cache").
        sqlite3_exec(db, "PRAGMA main.cache_size = \(Self.mainCacheSize); PRAGMA temp.cache_size = -4096", nil, nil, nil)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Why a database could not be opened, in terms of what the user can fix.
    static func openFailure(path: String, mode: Mode, sqliteMessage: String) -> String {
        let folder = folder(of: path)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            return "cannot open \(path): the folder \(folder) does not exist. Check the --db path."
        }
        if mode == .readWriteCreate && !FileManager.default.fileExists(atPath: path) && access(folder, W_OK) != 0 {
            return "cannot create \(path): the folder \(folder) is not writable. Choose a --db in a writable folder."
        }
        if FileManager.default.fileExists(atPath: path) && access(path, R_OK) != 0 {
            return "cannot open \(path): the file is not readable. Check its permissions."
        }
        return "cannot open SQLite database \(path) (\(sqliteMessage)). Check that the path is right and readable."
    }

    /// The folder a database file lives in (and SQLite keeps its journal in).
    private static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Throws unless `path` is a regular file (or nothing yet): a folder, a device such as
    /// /dev/null or a pipe is no database, and SQLite would write a journal beside it.
    public static func checkIsFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw FerryError(.usage, "\(path) is a folder, not a database file. Give the path of the SQLite file with --db.")
        default: throw FerryError(.usage, "\(path) is not a regular file (a device, pipe or socket), so it is no database. Give the path of a SQLite file with --db.")
        }
    }

    /// Throws unless SQLite can write `path`: the file, and its folder, where SQLite keeps the
    /// journal of every write.
    public static func checkWritable(_ path: String) throws {
        let folder = folder(of: path)
        if FileManager.default.fileExists(atPath: path) && access(path, W_OK) != 0 {
            throw FerryError(.io, "\(path) is read-only. Ferry needs to write it; check its permissions.")
        }
        if FileManager.default.fileExists(atPath: folder) && access(folder, W_OK) != 0 {
            throw FerryError(.io, "the folder \(folder) is not writable, and SQLite keeps the journal of every write to \(path) there. Make the folder writable, or work on a copy of the database in a writable folder.")
        }
    }

    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ rc: Int32, while doing: String) -> FerryError {
        let code = sqlite3_extended_errcode(handle)
        return FerryError(.store, message(code, errorMessage), storeFailure: Self.failure(code, errorMessage), detail: "SQLite error \(code) (\(errorMessage)) while \(doing)")
    }

    /// SQLite's extended result code in store-neutral terms
    /// (https://www.sqlite.org/rescode.html). A UNIQUE failure names its columns as
    /// "UNIQUE constraint failed: t.a, t.b", or "…: index 'name'" for a key over expressions.
    static func failure(_ code: Int32, _ text: String) -> StoreFailure {
        let kind: StoreFailure.Kind
        switch code & 0xFF {
        case SQLITE_CONSTRAINT:
            switch code {
            case 2067, 1555: kind = .unique // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
            case 3091: kind = .datatype // SQLITE_CONSTRAINT_DATATYPE (a STRICT table)
            default: kind = .constraint
            }
        case SQLITE_MISMATCH: kind = .datatype
        case SQLITE_TOOBIG: kind = .tooBig
        case SQLITE_BUSY, SQLITE_LOCKED: kind = .busy
        case SQLITE_AUTH: kind = .notAuthorized
        default: kind = .other
        }
        var failure = StoreFailure(kind, code: "SQLite error \(code)")
        // "UNIQUE constraint failed: t.a, t.b", or "…failed: index 'name'" for a key over expressions.
        guard kind == .unique, let named = text.components(separatedBy: "failed: ").last else { return failure }
        if named.hasPrefix("index '") {
            failure.constraint = String(named.dropFirst("index '".count).prefix { $0 != "'" })
        } else {
            let parts = named.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            failure.columns = parts.map { $0.split(separator: ".", maxSplits: 1).last.map(String.init) ?? $0 }
            failure.table = parts.first?.split(separator: ".", maxSplits: 1).first.map(String.init)
        }
        return failure
    }

    /// One plain line a user can act on. The statement SQLite refused is internal: it goes
    /// to the error's detail, which the CLI prints with --verbose.
    private func message(_ code: Int32, _ text: String) -> String {
        let file = path.isEmpty || path == ":memory:" ? "the database" : path
        switch code & 0xFF {
        case SQLITE_CORRUPT:
            return "the file \(file) is damaged (\(text)): check it with `sqlite3 \(file) 'PRAGMA integrity_check'`, then use a backup or a copy saved by the sqlite3 CLI's `.recover`."
        case SQLITE_NOTADB:
            return "\(file) is not a SQLite database (or it is encrypted). Check the --db path."
        case SQLITE_BUSY, SQLITE_LOCKED:
            return LockHolder.describe(databasePath: path)
        case SQLITE_READONLY:
            return "\(file) cannot be written: the file or its folder is read-only (\(text)). Check the permissions of both, or choose a writable --db."
        case SQLITE_CANTOPEN:
            return "cannot open \(file) (\(text)). Check that the path is right and that its folder exists and is readable and writable."
        case SQLITE_FULL:
            return "SQLite reports \(file) or its temporary files as full (\(text)). Check free space on the database's disk and in the temporary folder (TMPDIR)."
        case SQLITE_IOERR:
            return "reading or writing \(file) failed (\(text)). Check the disk and free space, then run again."
        case SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_TOOBIG, SQLITE_RANGE:
            return text
        default:
            return "SQLite refused an operation on \(file): \(text) (error \(code)). Run again with --verbose to see the statement, and report it if the schema looks ordinary."
        }
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let text = errmsg.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(errmsg)
            let code = sqlite3_extended_errcode(handle)
            throw FerryError(.store, message(code, text), storeFailure: Self.failure(code, text), detail: "SQLite error \(code) (\(text)) while executing \(sql.prefix(200))")
        }
    }

    public func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(database: self, sql: sql)
    }

    /// The first column of the first row, or nil when there is no row.
    public func scalar(_ sql: String, _ arguments: [Value] = []) throws -> Value? {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        guard try statement.step() else { return nil }
        return statement.value(at: 0)
    }

    /// Every row of a query, as values. For small catalog queries only.
    public func rows(_ sql: String, _ arguments: [Value] = []) throws -> [[Value]] {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        var result: [[Value]] = []
        while try statement.step() {
            result.append((0..<statement.columnCount).map { statement.value(at: $0) })
        }
        return result
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    /// Rows every statement of this connection has changed since it opened, triggers' and
    /// foreign-key actions' included: a row read earlier is as it was while this is unchanged.
    public var totalChanges: Int64 { sqlite3_total_changes64(handle) }
    public var lastInsertRowid: Int64 { sqlite3_last_insert_rowid(handle) }

    /// A column's declared collation (BINARY when it declares none); nil when SQLite does
    /// not know the column.
    func columnCollation(table: String, column: String) -> String? {
        var collation: UnsafePointer<CChar>?
        guard sqlite3_table_column_metadata(handle, "main", table, column, nil, &collation, nil, nil, nil) == SQLITE_OK else { return nil }
        return collation.map { String(cString: $0) }
    }
    /// How long a statement waits for another connection's lock before SQLITE_BUSY.
    public func setBusyTimeout(milliseconds: Int32) { sqlite3_busy_timeout(handle, milliseconds) }

    /// How long every connection opened from now on waits for another program's lock.
    public static func setBusyTimeout(seconds: Double) {
        LockHolder.busyTimeoutMilliseconds = Int32((seconds * 1000).rounded())
    }

    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
}
