import FerryKit
import FerrySQLite
import CLibPQ
import Foundation

/// Owns one `PGconn*`, finished exactly once. Every query goes through here, with its
/// parameters bound (never spliced) and PostgreSQL's refusals turned into `FerryError`s
/// with a store-neutral `StoreFailure`.
public final class PostgresConnection {
    let handle: OpaquePointer
    /// Host and database for messages: never the password or other URI parameters.
    public let displayName: String
    private var preparedCount = 0

    /// Connects with any libpq connection URI (`postgresql://user@host:port/db?sslmode=…`,
    /// a socket folder as `?host=/path`); what the URI leaves out comes from the `PG*`
    /// environment variables, as for psql.
    public init(uri: String) throws {
        guard let connection = PQconnectdb(uri) else {
            throw FerryError(.io, "cannot reach PostgreSQL at \(Self.redacted(uri)): libpq could not allocate a connection.")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            // libpq repeats parts of the URI in some of its messages (a host it could not
            // parse, a bad percent-escape): the password is cut out wherever it appears.
            let text = Self.withoutSecrets(Self.oneLine(String(cString: PQerrorMessage(connection))), of: uri)
            PQfinish(connection)
            throw FerryError(.io, "cannot connect to PostgreSQL at \(Self.redacted(uri)): \(text). Check the --db URI (host, port, database, user) and that the server runs.")
        }
        handle = connection
        // libpq prints the server's notices (a WARNING as the server shuts down) on stderr
        // itself: Ferry says what matters in its own one line instead.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        let database = String(cString: PQdb(connection))
        let host = String(cString: PQhost(connection))
        displayName = host.hasPrefix("/") ? database : "\(database) on \(host)"
        // Values cross as text; these settings make that text exact and the same every run:
        // UTF-8, ISO dates in UTC, floats with every digit, no statement timeout. String
        // literals Ferry writes (a CHECK's, a comment's, a default's) double their quotes
        // and nothing else: a database that reads a backslash in them as an escape
        // (`standard_conforming_strings` off) would let one end the literal early. A lock
        // another session holds is waited for as long as --busy-timeout says, as on SQLite
        // (PostgreSQL's own default waits for ever; 0 would mean that too).
        try execute("""
            SET client_encoding = 'UTF8'; SET standard_conforming_strings = on; SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET IntervalStyle = 'iso_8601';
            SET extra_float_digits = 3; SET bytea_output = 'hex'; SET client_min_messages = 'warning';
            SET lock_timeout = \(max(1, LockHolder.busyTimeoutMilliseconds))
            """)
    }

    deinit { PQfinish(handle) }

    /// Whether `text` names a PostgreSQL server rather than a file.
    public static func isURI(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// libpq's multi-line messages as one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isNewline || $0 == "\t" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// `text` with the URI's password (as written, percent-decoded, and each part of one
    /// that holds an unescaped `@`) replaced by `***`.
    static func withoutSecrets(_ text: String, of uri: String) -> String {
        guard let scheme = uri.range(of: "://") else { return text }
        var authority = uri[scheme.upperBound...]
        if let query = authority.firstIndex(of: "?") { authority = authority[..<query] }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
        let password = String(authority[authority.index(after: colon)..<at])
        guard !password.isEmpty else { return text }
        var secrets = [password] + password.split(separator: "@").map(String.init).filter { $0.count > 2 }
        if let decoded = password.removingPercentEncoding { secrets.append(decoded) }
        var out = text
        for secret in secrets.sorted(by: { $0.count > $1.count }) { out = out.replacingOccurrences(of: secret, with: "***") }
        return out
    }

    /// The URI without its password, for messages.
    package static func redacted(_ uri: String) -> String {
        guard var parts = URLComponents(string: uri) else { return withoutSecrets("the --db URI", of: uri) }
        if parts.password != nil { parts.password = "***" }
        parts.query = nil
        return parts.string ?? "the --db URI"
    }

    /// Work that must reach the server before anything else does: updates the store holds
    /// to send together (`PostgresStore.hold`). Run, and cleared, before the next
    /// statement of any kind, so every read sees them and COMMIT writes them.
    var beforeNextStatement: (() throws -> Void)?

    func sendHeldWork() throws {
        try collectInFlight()
        try runHeldWork()
    }

    private func runHeldWork() throws {
        guard let work = beforeNextStatement else { return }
        beforeNextStatement = nil
        try work()
    }

    /// Statements sent without waiting (`sendWithoutWaiting`), oldest first, in libpq's
    /// pipeline mode: their results are read before the next statement that waits, or when
    /// a caller needs one (`collect(through:)`).
    private struct InFlight {
        let id: Int
        let sql: String
        let result: (PostgresResult) -> Void
        let failure: (Error) -> Error
    }
    private var inFlight: [InFlight] = []
    private var sentWithoutWaiting = 0

    /// Sends `statement` and returns at once: the server runs it while this side goes on,
    /// after any statement sent before it. `result` gets its result once read; a refusal is
    /// thrown, as `failure` makes it, from the call that reads it. Returns its number, for
    /// `collect(through:)`.
    @discardableResult
    func sendWithoutWaiting(_ statement: PostgresStatement, _ parameters: [Value], result: @escaping (PostgresResult) -> Void = { _ in },
                            failure: @escaping (Error) -> Error) throws -> Int {
        try runHeldWork()
        if PQpipelineStatus(handle) == PQ_PIPELINE_OFF {
            guard PQenterPipelineMode(handle) == 1 else { throw connectionError() }
        }
        _ = try withParameters(parameters) { count, values, lengths, formats, _ in
            guard PQsendQueryPrepared(handle, statement.name, count, values, lengths, formats, 0) == 1, PQpipelineSync(handle) == 1 else { throw connectionError() }
            return PostgresResult(handle: PQmakeEmptyPGresult(handle, PGRES_COMMAND_OK))
        }
        sentWithoutWaiting += 1
        inFlight.append(InFlight(id: sentWithoutWaiting, sql: statement.sql, result: result, failure: failure))
        return sentWithoutWaiting
    }

    /// Reads the results of statements in flight, oldest first, through number `id` (every
    /// one: nil). The first refusal among them is thrown once they are read.
    func collect(through id: Int? = nil) throws {
        var refusal: Error?
        while let first = inFlight.first, id.map({ first.id <= $0 }) ?? true {
            inFlight.removeFirst()
            var outcome: PostgresResult?
            var failed: Error?
            while let result = PQgetResult(handle) {
                let owned = PostgresResult(handle: result)
                let status = PQresultStatus(result)
                if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                    if outcome == nil { outcome = owned }
                } else if failed == nil {
                    failed = error(of: owned, first.sql)
                }
            }
            guard let sync = PQgetResult(handle) else { throw connectionError() }
            PQclear(sync)
            if let failed {
                if refusal == nil { refusal = first.failure(failed) }
            } else if let outcome {
                first.result(outcome)
            } else if refusal == nil {
                refusal = first.failure(connectionError())
            }
        }
        if inFlight.isEmpty, PQpipelineStatus(handle) != PQ_PIPELINE_OFF { PQexitPipelineMode(handle) }
        if let refusal { throw refusal }
    }

    private func collectInFlight() throws {
        guard !inFlight.isEmpty else { return }
        try collect()
    }

    /// Runs one or more statements that take no parameters.
    public func execute(_ sql: String) throws {
        try sendHeldWork()
        _ = try check(PQexec(handle, sql), sql)
    }

    /// Ends the transaction without sending held work (it belonged to the transaction).
    func rollBack() throws {
        beforeNextStatement = nil
        if !inFlight.isEmpty {
            // Their results, refusals included, belong to the transaction being ended.
            let count = inFlight.count
            inFlight = []
            for _ in 0..<count {
                while let result = PQgetResult(handle) { PQclear(result) }
                if let sync = PQgetResult(handle) { PQclear(sync) }
            }
            PQexitPipelineMode(handle)
        }
        _ = try check(PQexec(handle, "ROLLBACK"), "ROLLBACK")
    }

    /// Runs one statement with `parameters` bound as $1, $2, …
    @discardableResult
    public func query(_ sql: String, _ parameters: [Value] = []) throws -> PostgresResult {
        try sendHeldWork()
        return try withParameters(parameters) { count, values, lengths, formats, types in
            try check(PQexecParams(handle, sql, count, types, values, lengths, formats, 0), sql)
        }
    }

    /// Prepares `sql` once on this connection; run it with `run(_:_:)`. `types`: the type
    /// of each parameter (0 or absent: inferred from where it stands).
    public func prepare(_ sql: String, types: [UInt32] = []) throws -> PostgresStatement {
        try sendHeldWork()
        preparedCount += 1
        let name = "ferry_\(preparedCount)"
        _ = try check(PQprepare(handle, name, sql, Int32(types.count), types.isEmpty ? nil : types), sql)
        return PostgresStatement(name: name, sql: sql)
    }

    @discardableResult
    public func run(_ statement: PostgresStatement, _ parameters: [Value] = []) throws -> PostgresResult {
        try sendHeldWork()
        return try withParameters(parameters) { count, values, lengths, formats, _ in
            try check(PQexecPrepared(handle, statement.name, count, values, lengths, formats, 0), statement.sql)
        }
    }

    /// Runs `statement` between SAVEPOINT and RELEASE in one round trip (libpq's pipeline
    /// mode): a write that PostgreSQL refuses is rolled back alone, and the transaction
    /// goes on, as SQLite does with a failed statement. Three round trips per written row
    /// were most of an import's time.
    @discardableResult
    public func runInSavepoint(_ statement: PostgresStatement, _ parameters: [Value]) throws -> PostgresResult {
        try sendHeldWork()
        let savepoint = "SAVEPOINT ferry_write", release = "RELEASE SAVEPOINT ferry_write"
        var outcome: Result<PostgresResult, Error>?
        _ = try withParameters(parameters) { count, values, lengths, formats, _ in
            guard PQenterPipelineMode(handle) == 1 else { throw connectionError() }
            defer { PQexitPipelineMode(handle) }
            guard PQsendQueryParams(handle, savepoint, 0, nil, nil, nil, nil, 0) == 1,
                  PQsendQueryPrepared(handle, statement.name, count, values, lengths, formats, 0) == 1,
                  PQsendQueryParams(handle, release, 0, nil, nil, nil, nil, 0) == 1,
                  PQpipelineSync(handle) == 1 else { throw connectionError() }
            // Each query's results end with a NULL; the sync point comes last.
            for step in 0..<3 {
                while let result = PQgetResult(handle) {
                    let owned = PostgresResult(handle: result)
                    let status = PQresultStatus(result)
                    if step == 1, outcome == nil {
                        outcome = (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) ? .success(owned) : .failure(error(of: owned, statement.sql))
                    } else if step == 0, status != PGRES_COMMAND_OK, outcome == nil {
                        outcome = .failure(error(of: owned, savepoint))
                    }
                }
            }
            guard let sync = PQgetResult(handle) else { throw connectionError() }
            PQclear(sync)
            return PostgresResult(handle: PQmakeEmptyPGresult(handle, PGRES_COMMAND_OK))
        }
        switch outcome {
        case .success(let result)?: return result
        case .failure(let error)?:
            // The transaction is aborted until it returns to the savepoint.
            try execute("ROLLBACK TO SAVEPOINT ferry_write; RELEASE SAVEPOINT ferry_write")
            throw error
        case nil: throw connectionError()
        }
    }

    /// Runs `COPY (…) TO STDOUT` (text format) and hands each data row to `row`, without its
    /// newline. The server writes rows while this side reads them: no batch waits for the
    /// other side, as a cursor's FETCH does. Nothing else may run on this connection until
    /// it returns; when `row` throws, the rest of the rows are read and dropped first.
    public func copyOut(_ sql: String, _ row: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try sendHeldWork()
        _ = try check(PQexec(handle, sql), sql)
        var failure: Error?
        while true {
            var data: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &data, 0)
            if length == -1 { break }
            guard length >= 0, let data else { throw connectionError() }
            defer { PQfreemem(data) }
            guard failure == nil else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: Int(length))
            do {
                try row(bytes.last == UInt8(ascii: "\n") ? UnsafeBufferPointer(rebasing: bytes.dropLast()) : bytes)
            } catch {
                failure = error
            }
        }
        // The COPY's own outcome: an error the server met while writing rows ends up here.
        var outcome: Error?
        while let result = PQgetResult(handle) {
            let owned = PostgresResult(handle: result)
            if outcome == nil, PQresultStatus(result) != PGRES_COMMAND_OK { outcome = error(of: owned, sql) }
        }
        if let failure { throw failure }
        if let outcome { throw outcome }
    }

    private func connectionError() -> FerryError {
        FerryError(.io, "the connection to PostgreSQL (\(displayName)) was lost: \(Self.oneLine(String(cString: PQerrorMessage(handle))).trimmingCharacters(in: CharacterSet(charactersIn: "."))). The server stopped or the network failed; nothing of this command was committed. Run again when the server is back.",
                   storeFailure: StoreFailure(.other, code: "connection"))
    }

    /// The first column of the first row, or nil when there is none.
    public func scalar(_ sql: String, _ parameters: [Value] = []) throws -> Value? {
        let result = try query(sql, parameters)
        return result.rowCount > 0 ? result.value(row: 0, column: 0) : nil
    }

    public var isInTransaction: Bool { PQtransactionStatus(handle) != PQTRANS_IDLE }

    /// Binds parameters as libpq wants them: text as C strings (libpq ignores the length of
    /// a text parameter, so a NUL byte would cut it short; such a value is refused), BLOBs
    /// in binary with their length.
    private func withParameters(_ parameters: [Value], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, UnsafePointer<Oid>?) throws -> PostgresResult) throws -> PostgresResult {
        // Every parameter's bytes in one buffer (text NUL-terminated), pointed into once it is
        // complete: one allocation a statement, not two a value.
        var arena: [UInt8] = []
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var types: [Oid] = []
        func add(_ bytes: some Sequence<UInt8>, binary: Bool) {
            offsets.append(arena.count)
            let start = arena.count
            arena.append(contentsOf: bytes)
            lengths.append(binary ? Int32(arena.count - start) : 0)
            if !binary { arena.append(0) }
            formats.append(binary ? 1 : 0)
            types.append(binary ? 17 : 0) // bytea
        }
        for value in parameters {
            switch value {
            case .null:
                offsets.append(nil); lengths.append(0); formats.append(0); types.append(0)
            case .integer(let v):
                add("\(v)".utf8, binary: false)
            case .real(let v):
                add((v.isNaN ? "NaN" : v.isInfinite ? (v < 0 ? "-Infinity" : "Infinity") : "\(v)").utf8, binary: false)
            case .text(let bytes):
                if bytes.contains(0) {
                    throw FerryError(.store, "a text value holds a NUL byte, which PostgreSQL's text types cannot store. Remove the NUL from the value at the source, or make the column bytea.",
                                     storeFailure: StoreFailure(.datatype, code: "22021"))
                }
                add(bytes, binary: false)
            case .blob(let bytes):
                add(bytes, binary: true)
            }
        }
        // Never empty: an empty BLOB's pointer must not be nil, which libpq reads as NULL.
        arena.append(0)
        return try arena.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            let pointers = offsets.map { offset in offset.flatMap { offset in base.map { $0 + offset } } }
            return try pointers.withUnsafeBufferPointer { try body(Int32(parameters.count), $0.baseAddress, lengths, formats, types) }
        }
    }

    private func check(_ result: OpaquePointer?, _ sql: String) throws -> PostgresResult {
        guard let result else { throw connectionError() }
        let owned = PostgresResult(handle: result)
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_OUT, PGRES_COPY_IN: return owned
        default: throw error(of: owned, sql)
        }
    }

    /// PostgreSQL's refusal as a `FerryError`. Messages never carry row values: PostgreSQL
    /// puts a colliding key's values in DETAIL and a bad literal after the primary message's
    /// colon, so DETAIL is dropped and the literal cut off.
    private func error(of result: PostgresResult, _ sql: String) -> FerryError {
        if PQstatus(handle) == CONNECTION_BAD { return connectionError() }
        func field(_ code: Character) -> String? {
            PQresultErrorField(result.handle, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let state = field("C") ?? "XX000"
        var primary = Self.oneLine(field("M") ?? String(cString: PQresultErrorMessage(result.handle)))
        // A value the server could not read as its parameter's type (`invalid input syntax
        // for type interval`) names no column; its context names the parameter
        // (`unnamed portal parameter $2`), whose column the statement's writer knows.
        var parameter: Int?
        if let context = field("W"), let range = context.range(of: "parameter $") {
            parameter = Int(context[range.upperBound...].prefix { $0.isNumber })
        }
        let kind: StoreFailure.Kind
        switch state {
        // A name a reg* value gives that names nothing here (regclass 'gone', regtype,
        // regproc, regnamespace): that value's failure when a parameter's cast raised it.
        // (Each code with its own `where`: a `where` binds only the pattern before it, and
        // a missing table in Ferry's own SQL is no record's fault.)
        case "42P01" where parameter != nil, "42704" where parameter != nil, "42883" where parameter != nil, "3F000" where parameter != nil:
            kind = .datatype
        case "23505": kind = .unique
        case let s where s.hasPrefix("23"): kind = .constraint
        case "P0001": kind = .constraint // RAISE EXCEPTION in a trigger or check function: the target's own rule refused the row
        case "42804": kind = .datatype
        case let s where s.hasPrefix("22"): kind = .datatype
        // A value past one of the server's limits (an array of 7 dimensions, a key too long
        // for its btree index): that record's failure. Not SQLite's "too big", which follows
        // --max-line-size: 54001 and the other 54 codes are statements, and end the import.
        case "54000": kind = .datatype
        case "55P03", "40P01", "40001": kind = .busy
        case "42501": kind = .notAuthorized
        default: kind = .other
        }
        if kind == .datatype {
            if let colon = primary.range(of: ": ") { primary = String(primary[..<colon.lowerBound]) }
            // `value "100000" is out of range for type smallint`: the value is not repeated.
            if let open = primary.range(of: "value \""), let close = primary[open.upperBound...].firstIndex(of: "\"") {
                primary.replaceSubrange(open.lowerBound...close, with: "a value")
            }
        }
        var failure = StoreFailure(kind, code: "SQLSTATE \(state)", table: field("t"))
        // The columns are read once the failed statement is rolled back (PostgresTableAccess).
        failure.constraint = field("n")
        // A key too long for its btree index names the index only in its message.
        if state == "54000", failure.constraint == nil, let range = primary.range(of: "for index \""),
           let end = primary[range.upperBound...].firstIndex(of: "\"") {
            failure.constraint = String(primary[range.upperBound..<end])
        }
        failure.parameter = parameter
        let where_ = [field("t").map { "table \($0)" }, field("c").map { "column \($0)" }].compactMap { $0 }.joined(separator: ", ")
        let message: String
        switch kind {
        case .unique, .constraint, .datatype, .tooBig:
            message = where_.isEmpty ? primary : "\(where_): \(primary)"
        case .busy:
            let waited = Double(max(1, LockHolder.busyTimeoutMilliseconds)) / 1000
            message = state == "55P03"
                ? "PostgreSQL could not take a lock (\(primary)): another session holds it, and Ferry waited \(waited.formatted()) s. Nothing was written. Run again when that session is done, or wait longer with --busy-timeout SECONDS."
                : "PostgreSQL stopped the transaction (\(primary)): another session wrote the same rows at the same time. Nothing was written. Run again."
        case .notAuthorized:
            message = "PostgreSQL refused: \(primary). Connect as a user with the rights Ferry needs on this schema (CREATE, INSERT, UPDATE, DELETE)."
        case .other:
            message = "PostgreSQL refused an operation: \(primary) (SQLSTATE \(state)). Run again with --verbose to see the statement, and report it if the schema looks ordinary."
        }
        return FerryError(.store, message, storeFailure: failure, detail: "SQLSTATE \(state) (\(primary)) while executing \(sql.prefix(200))")
    }
}

/// A statement prepared on one connection, by name.
public struct PostgresStatement {
    let name: String
    let sql: String
}

/// Owns one `PGresult*`, cleared exactly once. Values come back as text (bytea as hex)
/// and are typed by the column's type: see `PostgresTypes`.
public final class PostgresResult {
    let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    public var rowCount: Int { Int(PQntuples(handle)) }
    public var columnCount: Int { Int(PQnfields(handle)) }
    /// Rows an INSERT, UPDATE or DELETE touched.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    public func isNull(row: Int, column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) != 0 }

    public func type(of column: Int) -> UInt32 { PQftype(handle, Int32(column)) }
    public func modifier(of column: Int) -> Int32 { PQfmod(handle, Int32(column)) }

    public func bytes(row: Int, column: Int) -> UnsafeBufferPointer<UInt8> {
        let count = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard let pointer = PQgetvalue(handle, Int32(row), Int32(column)), count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: count)
    }

    public func string(row: Int, column: Int) -> String? {
        isNull(row: row, column: column) ? nil : String(decoding: bytes(row: row, column: column), as: UTF8.self)
    }

    public func value(row: Int, column: Int) -> Value {
        guard !isNull(row: row, column: column) else { return .null }
        return PostgresTypes.value(bytes(row: row, column: column), type: type(of: column), modifier: PQfmod(handle, Int32(column)))
    }
}
