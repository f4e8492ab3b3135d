/// Writes one table's rows as record lines. Field names are escaped once per table, so a
/// row costs only its values.
struct RecordEncoder: Sendable {
    /// A reference whose parent identity is read by the scan's join.
    struct JoinedReference: Sendable {
        let reference: Reference
        let parentTable: String
        /// `"roleId":{"table":"roles","cloudId":` — everything up to the parent's cloudId.
        let prefix: [UInt8]
        /// Index of the child's first foreign-key column: no ref is written when it is NULL.
        let childIndex: Int
        /// Cursor index of the parent's cloudId, or nil when the parent has no cloudId column.
        let cloudIdIndex: Int?
        let keys: [(key: [UInt8], index: Int)]
        let keyNames: [String]
    }

    let joins: [ReferenceJoin]
    private let columnKeys: [[UInt8]]
    private let keyColumns: [(key: [UInt8], index: Int)]
    private let identityNames: [String]
    private let cloudIdIndex: Int?
    private let references: [JoinedReference]

    /// `tables`: every table of the source, so references can name their parents' identities.
    init(table: TableDefinition, tables: [TableDefinition]) {
        let names = table.columnNames
        columnKeys = names.map(Self.jsonKey)
        let identityColumns = table.identityColumns.filter { names.contains($0) }
        identityNames = identityColumns
        keyColumns = identityColumns.map { (Self.jsonKey($0), names.firstIndex(of: $0)!) }
        cloudIdIndex = table.cloudId.flatMap { names.firstIndex(of: $0) }

        var joins: [ReferenceJoin] = []
        var references: [JoinedReference] = []
        var next = names.count
        for reference in table.references {
            guard let parent = tables.first(where: { $0.name.lowercased() == reference.table.lowercased() }),
                  let childIndex = names.firstIndex(of: reference.columns[0]) else { continue }
            // Join only on a unique parent key, so a child row can never be repeated.
            let unique = parent.primaryKey == reference.to || parent.matchSets.contains(reference.to) || (reference.to == [parent.cloudId].compactMap { $0 })
            guard unique else { continue }
            let identity = parent.identityColumns
            let parentColumns = (parent.cloudId.map { [$0] } ?? []) + identity
            var prefix = JSONBuffer()
            prefix.appendString(reference.columns[0])
            prefix.append(raw: #":{"table":"#)
            prefix.appendString(parent.name)
            prefix.append(raw: #","cloudId":"#)
            let cloudId = parent.cloudId == nil ? nil : next
            let keyStart = next + (cloudId == nil ? 0 : 1)
            references.append(JoinedReference(
                reference: reference, parentTable: parent.name, prefix: prefix.bytes, childIndex: childIndex, cloudIdIndex: cloudId,
                keys: identity.enumerated().map { (Self.jsonKey($1), keyStart + $0) }, keyNames: identity))
            joins.append(ReferenceJoin(reference: reference, parentColumns: parentColumns))
            next += parentColumns.count
        }
        self.joins = joins
        self.references = references
    }

    private static func jsonKey(_ name: String) -> [UInt8] {
        var buffer = JSONBuffer()
        buffer.appendString(name)
        buffer.append(UInt8(ascii: ":"))
        return buffer.bytes
    }

    /// The identity of the row a foreign key points at, from the scan's joined columns.
    func parentIdentity(_ reference: Reference, _ cursor: RowCursor) -> Record.ReferenceIdentity? {
        guard let joined = references.first(where: { $0.reference == reference }) else { return nil }
        return Record.ReferenceIdentity(
            table: joined.parentTable,
            cloudId: joined.cloudIdIndex.map { cursor.value(at: $0) } ?? .null,
            keys: zip(joined.keyNames, joined.keys).map { ($0, cursor.value(at: $1.index)) })
    }

    /// The record's own cloudId and keys, for the sync book's identity.
    func identity(_ cursor: RowCursor) -> [UInt8] {
        PortableRow.identity(cloudId: cloudIdIndex.map { cursor.value(at: $0) } ?? .null,
                             keys: zip(identityNames, keyColumns).map { ($0, cursor.value(at: $1.index)) })
    }

    /// `{"op":"upsert","cloudId":…,"keys":{…},"row":{…},"refs":{…},"hash":…,"base":…}\n`;
    /// `sync` adds the hash and base when the store keeps a sync book.
    func append(_ cursor: RowCursor, to buffer: inout JSONBuffer, sync: (hash: String, base: [UInt8]?)? = nil) {
        buffer.append(raw: #"{"op":"upsert""#)
        if let cloudIdIndex {
            buffer.append(raw: #","cloudId":"#)
            cursor.appendJSON(at: cloudIdIndex, to: &buffer)
        }
        buffer.append(raw: #","keys":"#)
        appendObject(keyColumns, cursor, to: &buffer)
        buffer.append(raw: #","row":{"#)
        for (index, key) in columnKeys.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.bytes.append(contentsOf: key)
            cursor.appendJSON(at: index, to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
        var wroteRefs = false
        for reference in references where !cursor.isNull(at: reference.childIndex) {
            buffer.append(raw: wroteRefs ? "," : #","refs":{"#)
            wroteRefs = true
            buffer.bytes.append(contentsOf: reference.prefix)
            if let index = reference.cloudIdIndex { cursor.appendJSON(at: index, to: &buffer) } else { buffer.append(raw: "null") }
            buffer.append(raw: #","keys":"#)
            appendObject(reference.keys, cursor, to: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
        if wroteRefs { buffer.append(UInt8(ascii: "}")) }
        if let sync { Self.appendSync(hash: sync.hash, base: sync.base, to: &buffer) }
        buffer.append(raw: "}\n")
    }

    static func appendSync(hash: String, base: [UInt8]?, to buffer: inout JSONBuffer) {
        buffer.append(raw: #","hash":"#)
        buffer.appendString(hash)
        buffer.append(raw: #","base":"#)
        if let base { buffer.bytes += base } else { buffer.append(raw: "null") }
    }

    private func appendObject(_ fields: [(key: [UInt8], index: Int)], _ cursor: RowCursor, to buffer: inout JSONBuffer) {
        buffer.append(UInt8(ascii: "{"))
        for (position, field) in fields.enumerated() {
            if position > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.bytes.append(contentsOf: field.key)
            cursor.appendJSON(at: field.index, to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }
}
