/// Writes one table's rows as record lines. Field names are escaped once per table, so a
/// row costs only its values.
struct RecordEncoder: Sendable {
    /// A reference whose parent identity is read by the scan's join. A class: a row's
    /// encoding looks its references up several times, and a copy of a struct of eight
    /// fields retained and released each one.
    final class JoinedReference: Sendable {
        let reference: Reference
        let parentTable: String
        /// `"roleId":{"table":"roles","cloudId":` — everything up to the parent's cloudId.
        let prefix: [UInt8]
        /// Index of the child's first foreign-key column: no ref is written when it is NULL.
        let childIndex: Int
        /// Cursor index of the parent's cloudId, or nil when the parent has no cloudId column.
        let cloudIdIndex: Int?
        let keys: FieldList
        let keyNames: [String]
        /// Cursor indexes of the parent's primary key (empty when it has no cloudId column).
        let parentKeyIndexes: [Int]
        /// The cursor index of each of `keyNames`.
        let keyIndexes: [Int]

        init(reference: Reference, parentTable: String, prefix: [UInt8], childIndex: Int, cloudIdIndex: Int?, keys: FieldList, keyNames: [String], parentKeyIndexes: [Int]) {
            self.reference = reference
            self.parentTable = parentTable
            self.prefix = prefix
            self.childIndex = childIndex
            self.cloudIdIndex = cloudIdIndex
            self.keys = keys
            self.keyNames = keyNames
            self.parentKeyIndexes = parentKeyIndexes
            keyIndexes = keys.indexes
        }
    }

    let joins: [ReferenceJoin]
    private let table: TableDefinition
    private let rowFields: FieldList
    private let keyFields: FieldList
    private let keyIndexes: [Int]
    private let identityNames: [String]
    /// The cursor index of each identity column, by name.
    private let identityIndex: [String: Int]
    /// Cursor index of the row's cloudId column, when the table has one.
    let cloudIdIndex: Int?
    private let references: [JoinedReference]
    /// The columns a scan reads for this encoder: the table's, then the hidden row key.
    let scanColumns: [String]
    /// Cursor index of the hidden row key (SQLite's rowid of a table without a primary key).
    private let rowKeyIndex: Int?

    /// `tables`: every table of the source, so references can name their parents'
    /// identities. `hiddenRowKey`: the store's row number for a table without a primary key,
    /// written as the record's `rowid` so a replay keeps it.
    init(table: TableDefinition, tables: [TableDefinition], hiddenRowKey: String? = nil) {
        self.table = table
        let names = table.columnNames
        scanColumns = names + (hiddenRowKey.map { [$0] } ?? [])
        rowKeyIndex = hiddenRowKey == nil ? nil : names.count
        rowFields = FieldList(#","row":{"#, names.enumerated().map { ($1, $0) })
        let identityColumns = table.identityColumns.filter { names.contains($0) }
        identityNames = identityColumns
        keyIndexes = identityColumns.map { names.firstIndex(of: $0)! }
        identityIndex = Dictionary(zip(identityColumns, keyIndexes), uniquingKeysWith: { a, _ in a })
        keyFields = FieldList(#","keys":{"#, zip(identityColumns, keyIndexes).map { ($0, $1) })
        cloudIdIndex = table.cloudId.flatMap { names.firstIndex(of: $0) }

        var joins: [ReferenceJoin] = []
        var references: [JoinedReference] = []
        var next = scanColumns.count
        for reference in table.references {
            guard let parent = tables.first(where: { $0.name.lowercased() == reference.table.lowercased() }),
                  let childIndex = names.firstIndex(of: reference.columns[0]) else { continue }
            // Join only on a unique parent key, so a child row can never be repeated.
            let unique = parent.primaryKey == reference.to || parent.matchSets.contains(reference.to) || (reference.to == [parent.cloudId].compactMap { $0 })
            guard unique else { continue }
            let identity = parent.identityColumns
            // A parent with a cloudId column is read with its primary key too: a parent the
            // application inserted after `prepare` has its cloudId in the sync book only,
            // found by that key (ParentCloudId).
            let parentKey = parent.cloudId == nil ? [] : parent.primaryKey
            let parentColumns = (parent.cloudId.map { [$0] } ?? []) + identity + parentKey
            var prefix = JSONBuffer()
            prefix.appendString(reference.columns[0])
            prefix.append(raw: #":{"table":"#)
            prefix.appendString(parent.name)
            prefix.append(raw: #","cloudId":"#)
            let cloudId = parent.cloudId == nil ? nil : next
            let keyStart = next + (cloudId == nil ? 0 : 1)
            references.append(JoinedReference(
                reference: reference, parentTable: parent.name, prefix: prefix.bytes, childIndex: childIndex, cloudIdIndex: cloudId,
                keys: FieldList(#","keys":{"#, identity.enumerated().map { ($1, keyStart + $0) }), keyNames: identity,
                parentKeyIndexes: parentKey.indices.map { keyStart + identity.count + $0 }))
            joins.append(ReferenceJoin(reference: reference, parentColumns: parentColumns))
            next += parentColumns.count
        }
        self.joins = joins
        self.references = references
    }

    /// The cloudId a sync book gave a parent row whose column is NULL (the application
    /// inserted it after `prepare`), by the parent's table and primary key.
    typealias ParentCloudId = (_ table: String, _ key: [Value]) -> Value?

    private func bookCloudId(_ joined: JoinedReference, _ cursor: RowCursor, _ parentCloudId: ParentCloudId?) -> Value? {
        guard let parentCloudId, !joined.parentKeyIndexes.isEmpty else { return nil }
        let key = joined.parentKeyIndexes.map { cursor.value(at: $0) }
        return key.contains(where: \.isNull) ? nil : parentCloudId(joined.parentTable, key)
    }

    /// The cursor indexes this encoder reads as values rather than as JSON: the row's
    /// cloudId and identity keys, and each joined parent's cloudId, keys and primary key.
    var valueIndexes: [Int] {
        var indexes = keyIndexes + (cloudIdIndex.map { [$0] } ?? [])
        for joined in references { indexes += (joined.cloudIdIndex.map { [$0] } ?? []) + joined.keys.indexes + joined.parentKeyIndexes }
        return indexes
    }

    /// For each parent this row points at whose cloudId only the sync book holds, the
    /// cursor index of that parent's cloudId and the book's value: a copy of the row that
    /// shows it there encodes as this row does with `parentCloudId`.
    func bookCloudIds(_ cursor: RowCursor, parentCloudId: ParentCloudId?) -> [(index: Int, value: Value)] {
        references.compactMap { joined in
            guard let index = joined.cloudIdIndex, !cursor.isNull(at: joined.childIndex), cursor.isNull(at: index),
                  let value = bookCloudId(joined, cursor, parentCloudId) else { return nil }
            return (index, value)
        }
    }

    /// How many columns a scan for this encoder reads: the table's, the hidden row key, and
    /// each joined parent's.
    var scanWidth: Int { scanColumns.count + joins.reduce(0) { $0 + $1.parentColumns.count } }

    /// Whether a parent this row points at has no cloudId in its row (the application
    /// inserted it after `prepare`): its identity then comes from the sync book, which the
    /// row's cells alone do not show.
    func pointsAtParentWithoutCloudId(_ cursor: RowCursor) -> Bool {
        references.contains { joined in
            guard let index = joined.cloudIdIndex else { return false }
            return !cursor.isNull(at: joined.childIndex) && cursor.isNull(at: index)
        }
    }

    /// The identity of the row a foreign key points at, from the scan's joined columns (and
    /// `parentCloudId` for a parent whose cloudId only the book holds).
    func parentIdentity(_ reference: Reference, _ cursor: RowCursor, parentCloudId: ParentCloudId? = nil) -> Record.ReferenceIdentity? {
        guard let joined = references.first(where: { $0.reference == reference }) else { return nil }
        var cloudId = joined.cloudIdIndex.map { cursor.value(at: $0) } ?? .null
        if cloudId.isNull, joined.cloudIdIndex != nil, let assigned = bookCloudId(joined, cursor, parentCloudId) { cloudId = assigned }
        return Record.ReferenceIdentity(
            table: joined.parentTable,
            cloudId: cloudId,
            keys: cloudId.isNull ? zip(joined.keyNames, joined.keyIndexes).map { ($0, cursor.value(at: $1)) } : [])
    }

    /// The record's own cloudId (or the one the book gave it) and keys, for the sync book's
    /// identity; a foreign key among the keys is its parent's identity.
    func identity(_ cursor: RowCursor, assignedCloudId: Value? = nil, parentCloudId: ParentCloudId? = nil) -> [UInt8] {
        let cloudId = assignedCloudId ?? cloudIdIndex.map { cursor.value(at: $0) } ?? .null
        guard cloudId.isNull else { return PortableRow.identity(cloudId: cloudId, keys: []) }
        return PortableRow.identity(cloudId: .null, cells: PortableRow.identityCells(
            of: table, columns: identityNames, value: { identityIndex[$0].map { cursor.value(at: $0) } }, parent: { parentIdentity($0, cursor, parentCloudId: parentCloudId) }))
    }

    /// `{"op":"upsert","cloudId":…,"keys":{…},"row":{…},"refs":{…},"hash":…,"base":…}\n`;
    /// `sync` adds the hash and base when the store keeps a sync book.
    /// `assignedCloudId`: the cloudId the sync book gave a row whose column is NULL (a row
    /// the application inserted after `prepare`), written as the record's and the row's.
    func append(_ cursor: RowCursor, to buffer: inout JSONBuffer, sync: (hash: String, base: ColumnDigests?, versions: VersionVector)? = nil,
                was: JSONValue? = nil, assignedCloudId: Value? = nil, parentCloudId: ParentCloudId? = nil) {
        if let cloudIdIndex {
            buffer.append(raw: #"{"op":"upsert","cloudId":"#)
            if let assignedCloudId { buffer.appendValue(assignedCloudId) } else { cursor.appendJSON(at: cloudIdIndex, to: &buffer) }
        } else {
            buffer.append(raw: #"{"op":"upsert""#)
        }
        keyFields.appendObject(cursor, to: &buffer)
        rowFields.appendObject(cursor, to: &buffer, replacing: assignedCloudId.flatMap { value in cloudIdIndex.map { ($0, value) } })
        if let rowKeyIndex {
            buffer.append(raw: #","rowid":"#)
            cursor.appendJSON(at: rowKeyIndex, to: &buffer)
        }
        var wroteRefs = false
        for reference in references where !cursor.isNull(at: reference.childIndex) {
            buffer.append(raw: wroteRefs ? "," : #","refs":{"#)
            wroteRefs = true
            buffer.append(contentsOf: reference.prefix)
            if let index = reference.cloudIdIndex {
                if cursor.isNull(at: index), let assigned = bookCloudId(reference, cursor, parentCloudId) {
                    buffer.appendValue(assigned)
                } else {
                    cursor.appendJSON(at: index, to: &buffer)
                }
            } else {
                buffer.append(raw: "null")
            }
            reference.keys.appendObject(cursor, to: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
        if wroteRefs { buffer.append(UInt8(ascii: "}")) }
        if let was {
            buffer.append(raw: #","was":"#)
            buffer.appendJSON(was)
        }
        if let sync { Self.appendSync(hash: sync.hash, base: sync.base, versions: sync.versions, to: &buffer) }
        buffer.append(raw: "}\n")
    }

    static func appendSync(hash: String, base: ColumnDigests?, versions: VersionVector, to buffer: inout JSONBuffer) {
        buffer.append(raw: #","hash":"#)
        buffer.appendString(hash)
        buffer.append(raw: #","base":"#)
        if let base { buffer.appendString(base.hex) } else { buffer.append(raw: "null") }
        if !versions.isEmpty {
            buffer.append(raw: #","versions":"#)
            versions.append(to: &buffer)
        }
    }
}

/// An object's `"name":` keys in one byte array, each with the cursor index of its value:
/// writing a row walks two flat arrays instead of retaining an array per column (~7% of
/// an export's CPU went to retain and release). The text before the object (`,"row":{`)
/// travels with the first key, one copy fewer per object.
struct FieldList: Sendable {
    private var keys: [UInt8] = []
    /// Where each key ends in `keys`, and the cursor index of its value.
    private var fields: [(keyEnd: Int, index: Int)] = []

    /// `opening`: everything up to the first key, its `{` included.
    init(_ opening: StaticString, _ pairs: [(name: String, index: Int)]) {
        var buffer = JSONBuffer()
        buffer.append(raw: opening)
        for (position, pair) in pairs.enumerated() {
            if position > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.appendString(pair.name)
            buffer.append(UInt8(ascii: ":"))
            fields.append((buffer.count, pair.index))
        }
        keys = buffer.bytes
    }

    var indexes: [Int] { fields.map(\.index) }

    /// The opening, then `"a":…,"b":…}`, values from `cursor` (one of them `replacing`).
    func appendObject(_ cursor: RowCursor, to buffer: inout JSONBuffer, replacing: (index: Int, value: Value)? = nil) {
        keys.withUnsafeBufferPointer { keys in
            guard !fields.isEmpty else { buffer.append(contentsOf: keys); return }
            var start = 0
            for field in fields {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: keys[start..<field.keyEnd]))
                if let replacing, replacing.index == field.index { buffer.appendValue(replacing.value) } else { cursor.appendJSON(at: field.index, to: &buffer) }
                start = field.keyEnd
            }
        }
        buffer.append(UInt8(ascii: "}"))
    }
}
