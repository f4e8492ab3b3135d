/// A row in the form both stores agree on, for hashes and bases: every column but the
/// primary key and the cloudId (ids differ by design; stamping a cloudId is no edit), in
/// column order; a foreign key is the identity of the row it points at,
/// `{"$ref":{"cloudId":…}}` or `{"$ref":{"keys":{…}}}`, never a raw id.
package struct PortableRow {
    package let table: TableDefinition
    /// Columns in the portable form, and for each whether it starts a foreign key.
    package let columns: [(name: String, reference: Reference?)]
    /// `"name":` of each column, escaped once and laid end to end (`keyEnds`): a row then
    /// costs only its values.
    private let keys: [UInt8]
    private let keyEnds: [Int]
    /// Whether each column starts a foreign key: tested per cell without copying the column.
    private let startsReference: [Bool]

    package init(table: TableDefinition) {
        self.table = table
        // A key column that is a foreign key (a join table's) stays: as its parent's
        // identity it means the same in every store, where a raw id does not.
        let excluded = Set(table.primaryKey.filter { table.reference(for: $0) == nil } + [table.cloudId].compactMap { $0 })
        columns = table.columns.compactMap { column in
            if excluded.contains(column.name) { return nil }
            if let reference = table.reference(for: column.name) {
                // A composite foreign key is carried once, by its first column.
                return reference.columns[0] == column.name ? (column.name, reference) : nil
            }
            return (column.name, nil)
        }
        var key = JSONBuffer(capacity: 32 * columns.count)
        var ends: [Int] = []
        for column in columns {
            key.appendString(column.name)
            key.append(UInt8(ascii: ":"))
            ends.append(key.count)
        }
        keys = key.bytes
        keyEnds = ends
        startsReference = columns.map { $0.reference != nil }
    }

    /// A row in portable form: its bytes (the hash covers them) and one digest per column
    /// (what a merge compares with a base).
    package struct Form: Sendable {
        let bytes: [UInt8]
        let hash: String
        let digests: ColumnDigests
    }

    /// The incoming row of a record: what the source has, as the book remembers it.
    package func encode(record: Record) -> Form {
        let row = record.row
        func cell(_ position: Int) -> Value {
            let name = columns[position].name
            return row.first { $0.0 == name }?.1 ?? .null
        }
        return encode(isNull: { cell($0).isNull }, append: { $1.appendValue(cell($0)) },
                      identity: { reference in record.refs.first { $0.0 == reference.columns[0] }?.1 })
    }

    /// Encodes a row with each cell written straight into the buffer (`position` indexes
    /// `columns`) and each foreign key as its parent's identity: a scan allocates no value per cell.
    /// `keepingBytes`: false leaves `Form.bytes` empty (an export needs only the hash and
    /// digests, and a copy of the form per row cost an allocation).
    package func encode(isNull: (_ position: Int) -> Bool, append: (_ position: Int, inout JSONBuffer) -> Void,
                identity: (Reference) -> Record.ReferenceIdentity?, keepingBytes: Bool = true) -> Form {
        var out = JSONBuffer(capacity: 512)
        var bounds = [Int]()
        bounds.reserveCapacity(columns.count + 1)
        out.append(UInt8(ascii: "{"))
        keys.withUnsafeBufferPointer { keys in
            for position in 0..<keyEnds.count {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                bounds.append(out.count)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: keys[(position == 0 ? 0 : keyEnds[position - 1])..<keyEnds[position]]))
                if startsReference[position], !isNull(position), let parent = identity(columns[position].reference!) {
                    Self.appendReference(parent, to: &out)
                } else {
                    let start = out.count
                    append(position, &out)
                    out.canonicalizeNumber(from: start)
                }
            }
        }
        bounds.append(out.count)
        out.append(UInt8(ascii: "}"))
        let digests = out.withBytes { bytes in
            (0..<columns.count).map { position in
                let end = bounds[position + 1] - (position + 1 < columns.count ? 1 : 0) // before the next pair's comma
                return ColumnDigests.digest(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[bounds[position]..<end])))
            }
        }
        let hash = out.withBytes { Self.hex(XXHash64.hash(UnsafeRawBufferPointer($0))) }
        return Form(bytes: keepingBytes ? out.bytes : [], hash: hash, digests: ColumnDigests(digests))
    }

    /// The digest of each column of a row of this table as the target holds it now, by
    /// column name (a composite foreign key under each of its columns): `value` gives a
    /// column's value, `parent` the identity of the row a foreign key points at (nil when
    /// the key is NULL or its parent is unknown).
    package func digests(value: (String) -> Value, parent: (Reference) throws -> Record.ReferenceIdentity?) rethrows -> [String: UInt32] {
        var result: [String: UInt32] = [:]
        for column in columns {
            if let reference = column.reference, !value(column.name).isNull, let identity = try parent(reference) {
                let digest = ColumnDigests.digest(column: column.name, parent: identity)
                for name in reference.columns { result[name] = digest }
            } else {
                result[column.name] = ColumnDigests.digest(column: column.name, value: value(column.name))
            }
        }
        return result
    }

    package static func appendReference(_ identity: Record.ReferenceIdentity, to out: inout JSONBuffer) {
        out.append(raw: #"{"$ref":{"#)
        if !identity.cloudId.isNull {
            out.append(raw: #""cloudId":"#)
            out.appendValue(identity.cloudId)
        } else {
            out.append(raw: #""keys":"#)
            out.appendObject(identity.keys)
        }
        out.append(raw: "}}")
    }

    /// XXH64 of the form, 16 hex digits. A book or record from before version 2 holds
    /// sha256 (64 digits): such a hash never equals a new one, so a version 1 record counts
    /// as a version this store has not seen, and a version 1 book entry is rehashed when
    /// the book is upgraded.
    package static func hash(_ bytes: [UInt8]) -> String {
        hex(XXHash64.hash(bytes))
    }

    /// A portable form written before numbers were canonical (a version 1 book's `base`)
    /// as `encode` writes it now: each top-level number value canonical
    /// (`JSONBuffer.canonicalizeNumber`), every other byte as it was.
    package static func canonicalForm(_ form: [UInt8]) -> [UInt8] {
        var out = JSONBuffer(capacity: form.count)
        var depth = 0, inString = false, escaped = false, index = 0
        while index < form.count {
            let byte = form[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                out.append(byte)
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard depth == 1 else { break }
                let start = out.count
                while index < form.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(form[index]) {
                    out.append(form[index])
                    index += 1
                }
                out.canonicalizeNumber(from: start)
                continue
            default: break
            }
            out.append(byte)
            index += 1
        }
        return out.bytes
    }

    /// 16 lowercase hex digits.
    package static func hex(_ value: UInt64) -> String {
        withUnsafeBytes(of: value.bigEndian) { $0.hexString }
    }

    /// How the other store recognises a row: `{"cloudId":…}` when it has one, else its keys.
    package static func identity(cloudId: Value, keys: [(String, Value)]) -> [UInt8] {
        identity(cloudId: cloudId, cells: keys.map { ($0, .value($1)) })
    }

    /// An identity whose foreign-key columns are the identities of the rows they point at
    /// (`{"$ref":…}`), so two stores whose ids differ compute the same bytes for one row.
    package static func identity(cloudId: Value, cells: [(String, Cell)]) -> [UInt8] {
        var out = JSONBuffer(capacity: 128)
        if !cloudId.isNull {
            out.append(raw: #"{"cloudId":"#)
            out.appendValue(cloudId)
        } else {
            out.append(raw: #"{"keys":{"#)
            for (index, (column, cell)) in cells.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.appendString(column)
                out.append(UInt8(ascii: ":"))
                switch cell {
                case .value(let value): out.appendValue(value)
                case .reference(let parent): appendReference(parent, to: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        return out.bytes
    }

    /// The cells of a table's identity columns: a column that starts a foreign key is the
    /// identity of its parent (from `parent`, when known), the other columns of a
    /// composite foreign key are carried by that one, every other column is its value.
    package static func identityCells(of table: TableDefinition, columns: [String], value: (String) -> Value?,
                              parent: (Reference) -> Record.ReferenceIdentity?) -> [(String, Cell)] {
        var cells: [(String, Cell)] = []
        var carried: [Reference] = []
        for column in columns {
            if let reference = table.reference(for: column) {
                if carried.contains(reference) { continue }
                if reference.columns[0] == column, value(column)?.isNull != true, let identity = parent(reference) {
                    cells.append((column, .reference(identity)))
                    carried.append(reference)
                    continue
                }
            }
            guard let value = value(column) else { continue }
            cells.append((column, .value(value)))
        }
        return cells
    }

    /// The natural key an entry knew its row by (`old`), when the row now has another one
    /// (`new`) and neither identity is a cloudId: the `keys` object of `old`. nil otherwise.
    package static func formerKeys(old: [UInt8], new: [UInt8]) -> JSONValue? {
        guard old != new, case .object(let pairs)? = try? JSONParser.parse(old), pairs.count == 1, pairs[0].key == "keys",
              case .object(let keys) = pairs[0].value, !keys.isEmpty,
              case .object(let newPairs)? = try? JSONParser.parse(new), newPairs.count == 1, newPairs[0].key == "keys" else { return nil }
        return pairs[0].value
    }

    /// The cloudId of an identity written by `identity(cloudId:keys:)`, if it has one.
    package static func cloudId(inIdentity bytes: [UInt8]) -> Value? {
        guard case .object(let pairs)? = try? JSONParser.parse(bytes), let json = pairs.first(where: { $0.key == "cloudId" })?.value,
              let value = try? RecordDecoder.decodeValue(json, column: "cloudId"), !value.isNull else { return nil }
        return value
    }

    /// The key values of a `rowKey`; nil when it is no row's key (an entry moved aside).
    package static func keyValues(ofRowKey bytes: [UInt8]) -> [Value]? {
        guard case .array(let cells)? = try? JSONParser.parse(bytes) else { return nil }
        return try? cells.map { try RecordDecoder.decodeValue($0, column: "rowKey") }
    }

    /// A key of this store as the sync book stores it: a JSON array of values.
    package static func rowKey(_ values: [Value]) -> [UInt8] {
        var out = JSONBuffer(capacity: 64)
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendValue(value)
        }
        out.append(UInt8(ascii: "]"))
        return out.bytes
    }

    /// A decoded base: a value per column, or the identity a foreign key pointed at.
    package enum Cell {
        case value(Value)
        case reference(Record.ReferenceIdentity)
    }

    package static func decode(_ base: JSONValue, table: TableDefinition) throws -> [String: Cell] {
        guard case .object(let pairs) = base else { throw FerryError(.format, "\"base\" must be an object") }
        var cells: [String: Cell] = [:]
        for (column, json) in pairs {
            if case .object = json, let ref = json["$ref"] {
                let cloudId = try ref["cloudId"].map { try RecordDecoder.decodeValue($0, column: column) } ?? .null
                let keys = try ref["keys"].map { try RecordDecoder.decodeColumns($0, field: "base.\(column)") } ?? []
                let parent = table.reference(for: column)?.table ?? ""
                cells[column] = .reference(Record.ReferenceIdentity(table: parent, cloudId: cloudId, keys: keys))
            } else {
                cells[column] = .value(try RecordDecoder.decodeValue(json, column: column))
            }
        }
        return cells
    }
}
