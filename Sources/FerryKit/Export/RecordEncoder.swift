/// Writes one table's rows as record lines. Field names are escaped once per table, so a
/// row costs only its values.
struct RecordEncoder {
    private let columnKeys: [[UInt8]]
    private let keyColumns: [(key: [UInt8], index: Int)]
    private let cloudIdIndex: Int?

    init(table: TableDefinition) {
        let names = table.columnNames
        func jsonKey(_ name: String) -> [UInt8] {
            var buffer = JSONBuffer()
            buffer.appendString(name)
            buffer.append(UInt8(ascii: ":"))
            return buffer.bytes
        }
        columnKeys = names.map(jsonKey)
        var seen = Set<String>()
        var keys: [(key: [UInt8], index: Int)] = []
        for column in table.matchSets.joined() where seen.insert(column).inserted {
            if let index = names.firstIndex(of: column) { keys.append((jsonKey(column), index)) }
        }
        keyColumns = keys
        cloudIdIndex = table.cloudId.flatMap { names.firstIndex(of: $0) }
    }

    /// `{"op":"upsert","cloudId":…,"keys":{…},"row":{…}}\n`
    func append(_ cursor: RowCursor, to buffer: inout JSONBuffer) {
        buffer.append(raw: #"{"op":"upsert""#)
        if let cloudIdIndex {
            buffer.append(raw: #","cloudId":"#)
            cursor.appendJSON(at: cloudIdIndex, to: &buffer)
        }
        buffer.append(raw: #","keys":{"#)
        for (position, column) in keyColumns.enumerated() {
            if position > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.bytes.append(contentsOf: column.key)
            cursor.appendJSON(at: column.index, to: &buffer)
        }
        buffer.append(raw: #"},"row":{"#)
        for (index, key) in columnKeys.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.bytes.append(contentsOf: key)
            cursor.appendJSON(at: index, to: &buffer)
        }
        buffer.append(raw: "}}\n")
    }
}
