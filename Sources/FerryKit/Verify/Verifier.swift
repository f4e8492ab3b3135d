/// Checks a changeset without a database: format, checksums, every line, row counts.
public enum Verifier {
    public struct TableResult: Sendable {
        public var name: String
        public var file: String
        public var rows: Int
        public var bytes: Int
    }

    /// Throws the first problem found, naming the file and line.
    public static func verify(_ changeset: ChangesetReader, observer: ProgressObserver? = nil) throws -> [TableResult] {
        var results: [TableResult] = []
        for table in changeset.manifest.tables {
            try changeset.verifyChecksum(of: table)
            let columns = Set(table.columns.map(\.name))
            var ticker = ProgressTicker(observer: observer, task: "verify \(table.name)", total: table.rows)
            try changeset.forEachRecord(in: table) { lineNumber, record, _ in
                for (name, _) in record.row where !columns.contains(name) {
                    throw FerryError(.format, "column \"\(name)\" is not among the manifest's columns of table \(table.name).").located(file: table.file, line: lineNumber)
                }
                ticker.advance()
            }
            ticker.finish()
            results.append(TableResult(name: table.name, file: table.file, rows: table.rows, bytes: table.bytes))
        }
        return results
    }
}
