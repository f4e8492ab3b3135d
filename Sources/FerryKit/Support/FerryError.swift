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
        /// SQLite refused a call.
        case sqlite
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
    /// SQLite's extended result code, when SQLite refused the call.
    public let sqliteCode: Int32?
    /// What a developer needs and a user does not: the statement SQLite refused, its own
    /// words. The CLI prints it only with `--verbose`, so `message` stays one plain line.
    public let detail: String?

    public init(_ kind: Kind, _ message: String, sqliteCode: Int32? = nil, detail: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqliteCode = sqliteCode
        self.detail = detail
    }

    public var description: String { message }

    /// Prefixes a location ("users.ndjson.gz line 12: ") to the message.
    func located(file: String, line: Int? = nil) -> FerryError {
        let place = line.map { "\(file) line \($0)" } ?? file
        return FerryError(kind, "\(place): \(message)", sqliteCode: sqliteCode, detail: detail)
    }

    /// The same error with another message (the detail and code kept).
    public func rephrased(_ message: String, kind: Kind? = nil) -> FerryError {
        FerryError(kind ?? self.kind, message, sqliteCode: sqliteCode, detail: detail)
    }
}
