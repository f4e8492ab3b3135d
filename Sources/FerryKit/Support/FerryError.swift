/// The one error type Ferry throws: what failed, where, and how to fix it.
///
/// Messages never include row values (changesets carry personal data); they name
/// the file, line, table and column instead.
public struct FerryError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Flags or arguments that cannot work together.
        case usage
        /// A file or folder that cannot be read or written.
        case io
        /// The database (SQLite, PostgreSQL) refused a call; `storeFailure` says how.
        case store
        /// zlib refused the stream: a corrupt or truncated gzip file.
        case compression
        /// The changeset is not a well-formed Ferry changeset.
        case format
        /// A file's bytes do not match the manifest's sha256.
        case checksum
        /// The target's schema cannot hold the changeset.
        case schema
        /// A record's value does not fit.
        case data
        /// A changeset tries something Ferry never does on a stranger's behalf.
        case unsafe
    }

    public let kind: Kind
    public let message: String
    /// How the store refused the call, in words every store shares, when one did.
    public let storeFailure: StoreFailure?
    /// What a developer needs and a user does not: the statement SQLite refused, its own
    /// words. The CLI prints it only with `--verbose`, so `message` stays one plain line.
    public let detail: String?

    public init(_ kind: Kind, _ message: String, storeFailure: StoreFailure? = nil, detail: String? = nil) {
        self.kind = kind
        self.message = message
        self.storeFailure = storeFailure
        self.detail = detail
    }

    public var description: String { message }

    /// Prefixes a location ("users.ndjson.gz line 12: ") to the message.
    func located(file: String, line: Int? = nil) -> FerryError {
        let place = line.map { "\(file) line \($0)" } ?? file
        return FerryError(kind, "\(place): \(message)", storeFailure: storeFailure, detail: detail)
    }

    /// The same error with another message (the detail and code kept).
    public func rephrased(_ message: String, kind: Kind? = nil) -> FerryError {
        FerryError(kind ?? self.kind, message, storeFailure: storeFailure, detail: detail)
    }

    /// The message without its final full stop, to quote inside a sentence of another.
    public var clause: String { message.hasSuffix(".") ? String(message.dropLast()) : message }
}

/// A store's refusal in store-neutral terms, so the importer can tell "this record's
/// values do not fit" from "the import cannot go on" without knowing SQLite's result codes
/// or PostgreSQL's SQLSTATEs. The store's own code stays in `code` for messages.
public struct StoreFailure: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A UNIQUE or PRIMARY KEY collision.
        case unique
        /// Another constraint: NOT NULL, CHECK, FOREIGN KEY.
        case constraint
        /// A value of the wrong type for a column that checks types (STRICT, bytea, integer).
        case datatype
        /// A value or row larger than the store allows.
        case tooBig
        /// Another connection holds a lock.
        case busy
        /// The store's authorizer refused the statement.
        case notAuthorized
        case other
    }

    public var kind: Kind
    /// The store's own code: SQLite's extended result code, or PostgreSQL's SQLSTATE.
    public var code: String
    /// For `unique`: the columns of the colliding key, when the store names them; nil for
    /// a key over expressions.
    public var columns: [String]?
    /// For `unique`: the table the key belongs to, when the store names it.
    public var table: String?
    /// The constraint or index the store names, when it does.
    public var constraint: String?
    /// The statement's parameter (1-based) the store could not take, when it says which:
    /// the writer names that parameter's column.
    public var parameter: Int?

    public init(_ kind: Kind, code: String, columns: [String]? = nil, table: String? = nil) {
        self.kind = kind
        self.code = code
        self.columns = columns
        self.table = table
    }

    /// A failure of one record's values, which rejects that record instead of the import.
    public var rejectsRecord: Bool { kind == .unique || kind == .constraint || kind == .datatype }
}
