import FerryKit
import FerrySQLite
import FerryPostgres
import Foundation

/// Opens what `--db` names, the one way every command does: a SQLite file path, or a
/// PostgreSQL connection URI (`postgresql://…` or `postgres://…`, with `schema`).
public enum StoreOpener {
    public enum Use {
        /// Read only; the database must exist.
        case read
        /// Read and write; the database must exist.
        case write
        /// Read only, unless the store keeps a sync book, which export updates.
        case export
    }

    public static func open(_ db: String, for use: Use, schema: String? = nil) throws -> Store {
        if PostgresConnection.isURI(db) { return try PostgresStore(uri: db, schema: schema ?? "public") }
        try checkNotConnectionString(db)
        try checkNoSchema(schema)
        switch use {
        case .read: return try SQLiteStore.existing(path: db, mode: .readOnly)
        case .write: return try SQLiteStore.existing(path: db, mode: .readWrite)
        case .export: return try SQLiteStore.openForExport(path: db)
        }
    }

    /// `--db` as messages may show it: a URI without its password.
    public static func describe(_ db: String) -> String {
        PostgresConnection.isURI(db) ? PostgresConnection.redacted(db) : db
    }

    /// A libpq `key=value` string (`host=db password=…`) is refused without repeating it:
    /// it would be taken for a file name, and echoed, password and all.
    static func checkNotConnectionString(_ db: String) throws {
        let keys = ["host=", "dbname=", "user=", "password=", "port=", "sslmode="]
        if keys.contains(where: { db.contains($0) }) && (db.contains(" ") || db.hasPrefix("host=") || db.hasPrefix("dbname=")) {
            throw FerryError(.usage, "--db looks like a PostgreSQL key=value connection string; Ferry takes a postgresql:// URI (postgresql://user:password@host:5432/dbname) or a SQLite file path.")
        }
    }

    static func checkNoSchema(_ schema: String?) throws {
        if schema != nil { throw FerryError(.usage, "--schema names a PostgreSQL schema; a SQLite --db has none. Drop --schema, or give a postgresql:// URI.") }
    }
}

/// Opens the database an import writes to. A SQLite file that did not exist is created,
/// and removed again when the import fails or is a dry run, so "nothing applied" holds.
public final class TargetDatabase {
    public let store: Store
    /// The SQLite file, nil for a server.
    public let path: String?
    public let created: Bool
    private var keep = false

    public init(db: String, schema: String? = nil) throws {
        if PostgresConnection.isURI(db) {
            store = try PostgresStore(uri: db, schema: schema ?? "public")
            path = nil
            created = false
            return
        }
        try StoreOpener.checkNotConnectionString(db)
        try StoreOpener.checkNoSchema(schema)
        path = db
        try SQLiteDatabase.checkIsFile(db)
        created = !FileManager.default.fileExists(atPath: db)
        if !created { try SQLiteDatabase.checkWritable(db) }
        store = try SQLiteStore(path: db, mode: .readWriteCreate)
    }

    public convenience init(path: String) throws {
        try self.init(db: path)
    }

    /// Keep the file: the import succeeded.
    public func commit() { keep = true }

    deinit {
        guard created && !keep, let path else { return }
        for suffix in ["", "-journal", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }
}
