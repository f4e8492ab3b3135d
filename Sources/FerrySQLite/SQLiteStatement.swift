import FerryKit
import CSQLite

/// Owns one prepared `sqlite3_stmt*`, finalized exactly once; keeps its connection alive.
public final class SQLiteStatement {
    let handle: OpaquePointer
    let database: SQLiteDatabase
    /// Holds the bytes of the text and blob parameters bound by `bind(_:)`; outlives the handle.
    private let arena = BindArena()
    private let parameterCount: Int32

    init(database: SQLiteDatabase, sql: String) throws {
        var statement: OpaquePointer?
        // `tail` points into the C string, so it is read inside withCString, while that lives.
        let (rc, hasMoreSQL) = sql.withCString { text -> (Int32, Bool) in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(database.handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
            let rest = tail.map { String(cString: $0) } ?? ""
            return (rc, !rest.allSatisfy(\.isWhitespace))
        }
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw database.error(rc, while: "preparing \(sql.prefix(200))")
        }
        if hasMoreSQL {
            sqlite3_finalize(statement)
            throw FerryError(.unsafe, "expected exactly one SQL statement, found more after: \(sql.prefix(200))")
        }
        self.handle = statement
        self.database = database
        parameterCount = sqlite3_bind_parameter_count(statement)
    }

    deinit {
        sqlite3_finalize(handle)
    }

    public var sql: String { String(cString: sqlite3_sql(handle)) }
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }
    /// Whether running it would write nothing (sqlite3_stmt_readonly).
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    /// Steps once: true when a row is ready, false when done. Resets itself on error.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.error(rc, while: "executing \(sql.prefix(200))")
            sqlite3_reset(handle)
            throw error
        }
    }

    public func reset() {
        sqlite3_reset(handle)
    }

    /// Binds every parameter. Text and blobs are copied once into `arena`, which SQLite then
    /// reads in place (SQLITE_STATIC) until the next bind, instead of a malloc and copy of its
    /// own per value (SQLITE_TRANSIENT): MEASURED.md puts that at 10-20% of an insert.
    public func bind(_ values: [Value], startingAt first: Int = 1) throws {
        try bind(all: values, startingAt: first)
    }

    /// `bind(_:startingAt:)` for any collection: the rows of a set, joined without an array
    /// of their own.
    func bind<Values: Collection<Value>>(all values: Values, startingAt first: Int = 1) throws {
        sqlite3_reset(handle)
        var needed = 0
        for value in values {
            switch value {
            case .text(let bytes), .blob(let bytes): needed += bytes.count
            default: break
            }
        }
        // Grown before the first copy: a pointer bound earlier in this loop must not move.
        arena.reserve(needed)
        var offset = 0
        for (index, value) in values.enumerated() {
            let position = Int32(index + first)
            let rc: Int32
            switch value {
            case .text(let bytes):
                let start = arena.copy(bytes, at: offset)
                offset += bytes.count
                rc = sqlite3_bind_text64(handle, position, start.assumingMemoryBound(to: CChar.self), UInt64(bytes.count), nil, UInt8(SQLITE_UTF8))
            case .blob(let bytes) where !bytes.isEmpty:
                let start = arena.copy(bytes, at: offset)
                offset += bytes.count
                rc = sqlite3_bind_blob64(handle, position, start, UInt64(bytes.count), nil)
            default:
                try bind(value, at: position)
                continue
            }
            if rc != SQLITE_OK {
                throw database.error(rc, while: "binding parameter \(position) of \(sql.prefix(200))")
            }
        }
        // A parameter left from an earlier bind could point into the arena's old buffer (those
        // before `first` are the caller's to bind).
        let last = Int32(values.count + first - 1)
        if last < parameterCount {
            for position in (last + 1)...parameterCount { sqlite3_bind_null(handle, position) }
        }
    }

    /// Binds a value; text and blobs are copied (SQLITE_TRANSIENT) since the caller's buffer is reused.
    public func bind(_ value: Value, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v) where v.isNaN:
            // SQLite stores a NaN double as NULL: kept as the text NaN, read back as NaN
            // from a column of REAL affinity (`isNaNText`), so PostgreSQL's NaN crosses.
            rc = sqlite3_bind_text64(handle, index, "NaN", 3, ferry_sqlite_transient(), UInt8(SQLITE_UTF8))
        case .real(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(let bytes):
            rc = bytes.withUnsafeBufferPointer { buffer in
                // A non-nil pointer even for "" so SQLite stores an empty TEXT, not NULL.
                let base = buffer.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)!
                return sqlite3_bind_text64(handle, index, base.assumingMemoryBound(to: CChar.self), UInt64(buffer.count), ferry_sqlite_transient(), UInt8(SQLITE_UTF8))
            }
        case .blob(let bytes):
            rc = bytes.withUnsafeBufferPointer { buffer in
                if buffer.count == 0 { return sqlite3_bind_zeroblob(handle, index, 0) }
                return sqlite3_bind_blob64(handle, index, buffer.baseAddress, UInt64(buffer.count), ferry_sqlite_transient())
            }
        }
        if rc != SQLITE_OK {
            throw database.error(rc, while: "binding parameter \(index) of \(sql.prefix(200))")
        }
    }

    public func columnType(at index: Int) -> Int32 { sqlite3_column_type(handle, Int32(index)) }
    public func int64(at index: Int) -> Int64 { sqlite3_column_int64(handle, Int32(index)) }
    public func double(at index: Int) -> Double { sqlite3_column_double(handle, Int32(index)) }

    /// The bytes of a TEXT or BLOB cell, valid until the next step or reset.
    public func bytes(at index: Int, text: Bool) -> UnsafeBufferPointer<UInt8> {
        let i = Int32(index)
        let pointer: UnsafeRawPointer? = text ? UnsafeRawPointer(sqlite3_column_text(handle, i)) : sqlite3_column_blob(handle, i)
        let count = Int(sqlite3_column_bytes(handle, i))
        guard let pointer, count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: count)
    }

    public func value(at index: Int) -> Value {
        switch columnType(at: index) {
        case SQLITE_INTEGER: return .integer(int64(at: index))
        case SQLITE_FLOAT: return .real(double(at: index))
        case SQLITE_TEXT:
            let text = bytes(at: index, text: true)
            return Self.isNaNText(text, declared: sqlite3_column_decltype(handle, Int32(index))) ? .real(.nan) : .text(Array(text))
        case SQLITE_BLOB: return .blob(Array(bytes(at: index, text: false)))
        default: return .null
        }
    }

    /// The text NaN in a column declared with REAL or NUMERIC affinity: a NaN that `bind` kept as text
    /// (SQLite would store the double as NULL). Checked by its three bytes first: the
    /// declared type is read only for them.
    static func isNaNText(_ text: UnsafeBufferPointer<UInt8>, declared: @autoclosure () -> UnsafePointer<CChar>?) -> Bool {
        guard text.count == 3, text[0] == 0x4E, text[1] == 0x61, text[2] == 0x4E, let declared = declared() else { return false }
        // REAL or NUMERIC affinity: a column that holds numbers (TEXT and untyped columns
        // keep text as text); so is PostgreSQL's long numeric, which SQLite keeps as given
        // (`pgblob:numeric`).
        let type = String(cString: declared)
        if type.uppercased().hasPrefix("PGBLOB:NUMERIC") { return true }
        let affinity = SQLiteAffinity(declared: type)
        return affinity == .real || affinity == .numeric
    }
}

/// One growable buffer of bound parameter bytes, owned by its statement and freed once.
/// `sqlite3_finalize` runs in the statement's deinit, before this is released.
private final class BindArena {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int

    init() {
        capacity = 4096
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    func reserve(_ bytes: Int) {
        guard bytes > capacity else { return }
        base.deallocate()
        capacity = max(bytes, capacity * 2)
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    /// Copies `bytes` to `offset`, returning where they start (a valid pointer even for none,
    /// so an empty TEXT stays TEXT and does not become NULL).
    func copy(_ bytes: [UInt8], at offset: Int) -> UnsafeRawPointer {
        let start = base + offset
        bytes.withUnsafeBytes { source in
            if let from = source.baseAddress { start.copyMemory(from: from, byteCount: source.count) }
        }
        return UnsafeRawPointer(start)
    }
}
