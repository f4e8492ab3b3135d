/// One line of a table file, decoded.
public struct Record: Sendable {
    public enum Operation: String, Sendable {
        case upsert
        case delete
    }

    /// The identity of the row a foreign key points at.
    public struct ReferenceIdentity: Sendable, Equatable {
        public var table: String
        public var cloudId: Value
        public var keys: [(String, Value)]

        public static func == (lhs: ReferenceIdentity, rhs: ReferenceIdentity) -> Bool {
            lhs.table == rhs.table && lhs.cloudId == rhs.cloudId && lhs.keys.elementsEqual(rhs.keys, by: { $0.0 == $1.0 && $0.1 == $1.1 })
        }
    }

    /// The fields live in one object shared by copies until one is changed (copy on
    /// write): a record crosses threads and queues, and a struct of a dozen arrays and
    /// strings cost a retain and a release a field at every copy (a tenth of an import's
    /// applying thread). Accesses are unchecked: a storage is changed only through
    /// `ownStorage`, by the one record that owns it (the runtime's check was a sixth of the
    /// reading thread).
    private final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var operation: Operation
        @exclusivity(unchecked) var cloudId: Value
        @exclusivity(unchecked) var keys: [(String, Value)]
        @exclusivity(unchecked) var keyRefs: [(String, ReferenceIdentity)]
        @exclusivity(unchecked) var row: [(String, Value)]
        @exclusivity(unchecked) var refs: [(String, ReferenceIdentity)]
        @exclusivity(unchecked) var hash: String?
        @exclusivity(unchecked) var base: ColumnDigests?
        @exclusivity(unchecked) var legacyBase: JSONValue?
        @exclusivity(unchecked) var versions: VersionVector?
        @exclusivity(unchecked) var was: [(String, Value)]
        @exclusivity(unchecked) var wasRefs: [(String, ReferenceIdentity)]
        @exclusivity(unchecked) var rowid: Int64?
        @exclusivity(unchecked) var portable: PortableRow.Form?
        @exclusivity(unchecked) var values: [Value]?

        init(operation: Operation, cloudId: Value, keys: [(String, Value)], keyRefs: [(String, ReferenceIdentity)], row: [(String, Value)], refs: [(String, ReferenceIdentity)], hash: String?, base: ColumnDigests?, legacyBase: JSONValue?, versions: VersionVector?, was: [(String, Value)], wasRefs: [(String, ReferenceIdentity)], rowid: Int64?, portable: PortableRow.Form?) {
            self.operation = operation
            self.cloudId = cloudId
            self.keys = keys
            self.keyRefs = keyRefs
            self.row = row
            self.refs = refs
            self.hash = hash
            self.base = base
            self.legacyBase = legacyBase
            self.versions = versions
            self.was = was
            self.wasRefs = wasRefs
            self.rowid = rowid
            self.portable = portable
        }

        func copy() -> Storage {
            let copy = Storage(operation: operation, cloudId: cloudId, keys: keys, keyRefs: keyRefs, row: row, refs: refs, hash: hash, base: base, legacyBase: legacyBase, versions: versions, was: was, wasRefs: wasRefs, rowid: rowid, portable: portable)
            copy.values = values
            return copy
        }
    }

    private var storage: Storage

    public init(operation: Operation, cloudId: Value, keys: [(String, Value)], keyRefs: [(String, ReferenceIdentity)] = [], row: [(String, Value)], refs: [(String, ReferenceIdentity)], hash: String? = nil, base: ColumnDigests? = nil, legacyBase: JSONValue? = nil, versions: VersionVector? = nil, was: [(String, Value)] = [], wasRefs: [(String, ReferenceIdentity)] = [], rowid: Int64? = nil) {
        storage = Storage(operation: operation, cloudId: cloudId, keys: keys, keyRefs: keyRefs, row: row, refs: refs, hash: hash, base: base, legacyBase: legacyBase, versions: versions, was: was, wasRefs: wasRefs, rowid: rowid, portable: nil)
    }

    /// Makes the storage this record's own before a change.
    private mutating func ownStorage() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var operation: Operation {
        _read { yield storage.operation }
        _modify { ownStorage(); yield &storage.operation }
    }
    public var cloudId: Value {
        _read { yield storage.cloudId }
        _modify { ownStorage(); yield &storage.cloudId }
    }
    public var keys: [(String, Value)] {
        _read { yield storage.keys }
        _modify { ownStorage(); yield &storage.keys }
    }
    /// Key columns given as the identity of the row they point at (`{"$ref":…}`), as a
    /// delete carries a join table's keys; `table` is empty until the target names it.
    public var keyRefs: [(String, ReferenceIdentity)] {
        _read { yield storage.keyRefs }
        _modify { ownStorage(); yield &storage.keyRefs }
    }
    /// Column → value, in file order; empty for a delete.
    public var row: [(String, Value)] {
        _read { yield storage.row }
        _modify { ownStorage(); storage.values = nil; yield &storage.row }
    }
    /// The row's values alone, when the reading thread found its columns to be `columns`
    /// (`takeValues(inOrder:)`); nil once the row changes. The applying thread then takes
    /// one array that the reading thread made and frees, where it built its own (an
    /// allocation, and a retain and a release a cell, on objects the other core wrote).
    var values: [Value]? { storage.values }

    /// Keeps the row's values apart when its columns are `columns`, in that order. Set on
    /// the storage even when another copy shares it (the reader's own, on this thread): the
    /// values follow from the row they share, where a storage of its own cost a copy of
    /// every field.
    func takeValues(inOrder columns: [String]) {
        let row = storage.row
        guard storage.values == nil, row.count == columns.count, row.indices.allSatisfy({ row[$0].0 == columns[$0] }) else { return }
        storage.values = row.map(\.1)
    }
    public var refs: [(String, ReferenceIdentity)] {
        _read { yield storage.refs }
        _modify { ownStorage(); yield &storage.refs }
    }
    /// The hash of the row's portable form, as the source saw it.
    public var hash: String? {
        _read { yield storage.hash }
        _modify { ownStorage(); yield &storage.hash }
    }
    /// The row's version when it last crossed, one digest per column (nil: never crossed,
    /// or unknown): a string of 8 hex digits per column, or, from a version 1 changeset,
    /// the portable form itself (digested when read).
    public var base: ColumnDigests? {
        _read { yield storage.base }
        _modify { ownStorage(); yield &storage.base }
    }
    /// A version 1 changeset's `base` as it was: a delete's foreign-key keys name their
    /// parents through it.
    public var legacyBase: JSONValue? {
        _read { yield storage.legacyBase }
        _modify { ownStorage(); yield &storage.legacyBase }
    }
    /// The versions of the row this record carries (a delete's include the delete); nil
    /// from a source without a sync book or from before versions were kept.
    public var versions: VersionVector? {
        _read { yield storage.versions }
        _modify { ownStorage(); yield &storage.versions }
    }
    /// The natural key the source knew this row by when it last shipped it, when the row
    /// has another one now (its key edited, or its id handed to a new row): where ids differ
    /// between stores, the only way to find the row it was. Values and `$ref`s as in `keys`.
    public var was: [(String, Value)] {
        _read { yield storage.was }
        _modify { ownStorage(); yield &storage.was }
    }
    public var wasRefs: [(String, ReferenceIdentity)] {
        _read { yield storage.wasRefs }
        _modify { ownStorage(); yield &storage.wasRefs }
    }
    /// The source's hidden row number (SQLite's rowid) of a row of a table without a
    /// primary key; a replay into an empty table keeps it.
    public var rowid: Int64? {
        _read { yield storage.rowid }
        _modify { ownStorage(); yield &storage.rowid }
    }
    /// The row's portable form and its hash, when computed ahead on the reading thread.
    var portable: PortableRow.Form? {
        _read { yield storage.portable }
        _modify { ownStorage(); yield &storage.portable }
    }

    public func value(of column: String) -> Value? {
        row.first { $0.0 == column }?.1
    }
}

/// A record being read field by field: what each top-level field of a line means, shared
/// by the tree decoder and the line reader's fast path (`JSONParser.decodeRecord`).
struct RecordFields {
    var record = Record(operation: .upsert, cloudId: .null, keys: [], row: [], refs: [], hash: nil, base: nil)
    var operation: Record.Operation?
    var sawRow = false

    mutating func take(_ key: String, _ value: JSONValue) throws {
        switch key {
        case "op":
            guard let text = value.stringValue, let op = Record.Operation(rawValue: text) else {
                throw FerryError(.format, "\"op\" must be \"upsert\" or \"delete\"")
            }
            operation = op
        case "cloudId":
            record.cloudId = try RecordDecoder.decodeValue(value, column: "cloudId")
        case "keys":
            (record.keys, record.keyRefs) = try RecordDecoder.decodeKeys(value, field: "keys")
        case "row":
            record.row = try RecordDecoder.decodeColumns(value, field: "row")
            sawRow = true
        case "refs":
            record.refs = try RecordDecoder.decodeRefs(value)
        case "was":
            (record.was, record.wasRefs) = try RecordDecoder.decodeKeys(value, field: "was")
            if record.was.isEmpty && record.wasRefs.isEmpty { throw FerryError(.format, "\"was\" must name at least one key column") }
        case "hash":
            record.hash = value.stringValue
        case "base":
            switch value {
            case .object:
                record.base = ColumnDigests(portableForm: value)
                record.legacyBase = value
            case .string(let hex):
                guard let digests = ColumnDigests(hex: String(decoding: hex, as: UTF8.self)) else {
                    throw FerryError(.format, "\"base\" must be a string of column digests, 8 lowercase hex digits each")
                }
                record.base = digests
            case .null:
                return // the row never crossed
            default:
                throw FerryError(.format, "\"base\" must be null, a string of column digests or (from an earlier Ferry) an object, found \(value.kindName)")
            }
        case "versions":
            record.versions = try VersionVector(json: value)
        case "rowid":
            guard case .integer(let number) = value else { throw FerryError(.format, "\"rowid\" must be a whole number") }
            record.rowid = number
        case "reject":
            return // the annotation of a rejects file; the record itself is what is imported
        default:
            throw FerryError(.format, "unknown field \"\(key)\" in a record")
        }
    }

    /// The record, once every field is taken (the storage stays unshared: no copy).
    mutating func finish() throws -> Record {
        guard let operation else { throw FerryError(.format, "the record has no \"op\"") }
        record.operation = operation
        if operation == .upsert && !sawRow { throw FerryError(.format, "an upsert record has no \"row\"") }
        return record
    }
}

/// Decodes record lines into `Record`s, with errors that name the column and the problem.
public enum RecordDecoder {
    /// A table's column names as the fast path of `decode(_:columns:)` compares them.
    public struct Columns: Sendable {
        let names: [String]
        let spellings: [[UInt8]]
        /// Whether each name is one JSON string spelt without escapes, and no two are equal
        /// (else a line repeating a column would pass): the fast path is off otherwise.
        let readable: Bool

        public init(_ names: [String]) {
            self.names = names
            spellings = names.map { Array($0.utf8) }
            readable = Set(names).count == names.count
                && !spellings.contains { $0.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 } }
        }
    }

    /// `decode(_:)`, faster for a line of the shape Ferry writes (`JSONParser.decodeRecord`).
    public static func decode(_ line: UnsafeBufferPointer<UInt8>, columns: Columns) throws -> Record {
        if let record = JSONParser.decodeRecord(line, columns: columns) { return record }
        return try decode(line)
    }

    public static func decode(_ line: UnsafeBufferPointer<UInt8>) throws -> Record {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line)
        } catch {
            throw FerryError(.format, "not valid JSON at byte \(error.offset + 1): \(error.message)")
        }
        guard case .object(let fields) = json else {
            throw FerryError(.format, "a record must be a JSON object, found \(json.kindName)")
        }
        var record = RecordFields()
        for (key, value) in fields {
            try record.take(key, value)
        }
        return try record.finish()
    }

    /// `keys`: values, and foreign keys written as their parent's identity.
    static func decodeKeys(_ value: JSONValue, field: String) throws -> ([(String, Value)], [(String, Record.ReferenceIdentity)]) {
        guard case .object(let pairs) = value else {
            throw FerryError(.format, "\"\(field)\" must be an object of column values, found \(value.kindName)")
        }
        var values: [(String, Value)] = []
        var refs: [(String, Record.ReferenceIdentity)] = []
        for (column, json) in pairs {
            if case .object = json, let ref = json["$ref"] {
                refs.append((column, try decodeReference(ref, table: "", field: "\(field).\(column)")))
            } else {
                values.append((column, try decodeValue(json, column: column)))
            }
        }
        return (values, refs)
    }

    /// The inside of `{"$ref":{"cloudId":…}}` or `{"$ref":{"keys":{…}}}`.
    static func decodeReference(_ ref: JSONValue, table: String, field: String) throws -> Record.ReferenceIdentity {
        guard case .object = ref else { throw FerryError(.format, "\(field): \"$ref\" must be an object with a cloudId or keys") }
        let cloudId = try ref["cloudId"].map { try decodeValue($0, column: "\(field).cloudId") } ?? .null
        let keys = try ref["keys"].map { try decodeColumns($0, field: "\(field).keys") } ?? []
        guard !cloudId.isNull || keys.contains(where: { !$0.1.isNull }) else {
            throw FerryError(.format, "\(field): \"$ref\" names no row: it needs a cloudId or key values")
        }
        return Record.ReferenceIdentity(table: table, cloudId: cloudId, keys: keys)
    }

    static func decodeColumns(_ value: JSONValue, field: String) throws -> [(String, Value)] {
        guard case .object(let pairs) = value else {
            throw FerryError(.format, "\"\(field)\" must be an object of column values, found \(value.kindName)")
        }
        return try pairs.map { ($0.key, try decodeValue($0.value, column: $0.key)) }
    }

    static func decodeRefs(_ value: JSONValue) throws -> [(String, Record.ReferenceIdentity)] {
        guard case .object(let pairs) = value else { throw FerryError(.format, "\"refs\" must be an object") }
        return try pairs.map { column, ref in
            guard case .string(let table) = ref["table"] ?? .null else {
                throw FerryError(.format, "refs.\(column) must name its \"table\"")
            }
            let cloudId = try ref["cloudId"].map { try decodeValue($0, column: "refs.\(column).cloudId") } ?? .null
            let keys = try ref["keys"].map { try decodeColumns($0, field: "refs.\(column).keys") } ?? []
            return (column, Record.ReferenceIdentity(table: String(decoding: table, as: UTF8.self), cloudId: cloudId, keys: keys))
        }
    }

    /// A cell: null, integer, real, string, `{"$real":"inf"}` or `{"$base64":true,"encoded":…}`.
    public static func decodeValue(_ value: JSONValue, column: String) throws -> Value {
        switch value {
        case .null: return .null
        case .integer(let v): return .integer(v)
        case .real(let v): return .real(v)
        case .string(let bytes): return .text(bytes)
        case .object(let pairs):
            if pairs.count == 1, pairs[0].key == "$real", let text = pairs[0].value.stringValue {
                switch text {
                case "inf": return .real(.infinity)
                case "-inf": return .real(-.infinity)
                case "nan": return .real(.nan)
                default: break
                }
            }
            if value["$base64"] == .bool(true), case .string(let encoded)? = value["encoded"] {
                let type = value["type"]
                let knownKeys = pairs.allSatisfy { ["$base64", "encoded", "type"].contains($0.key) }
                if knownKeys, type == nil || type == .string(Array("text".utf8)), let bytes = Base64.decode(encoded) {
                    return type == nil ? .blob(bytes) : .text(bytes)
                }
                throw FerryError(.data, "column \"\(column)\": the $base64 value is not valid padded base64 (or has unknown keys)")
            }
            fallthrough
        default:
            throw FerryError(.data, "column \"\(column)\": \(value.kindName) is not a value; use null, a number, a string, {\"$real\":\"inf\"} or {\"$base64\":true,\"encoded\":\"…\"}")
        }
    }
}
