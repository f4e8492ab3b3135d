import Foundation

/// A readable summary of a changeset, and a few sample rows per table.
public enum Inspector {
    public struct Sample: Sendable {
        public var table: String
        public var lines: [String]
    }

    /// The first `count` records of each table (or of `only`), re-encoded as compact JSON.
    public static func samples(_ changeset: ChangesetReader, table only: String?, count: Int) throws -> [Sample] {
        let tables = try selected(changeset, only)
        guard count > 0 else { return tables.map { Sample(table: $0.name, lines: []) } }
        struct Enough: Error {}
        return try tables.map { table in
            var lines: [String] = []
            do {
                try LineReader(range: try changeset.range(of: table), name: table.file, maximumLineLength: changeset.maximumLineLength).forEachLine { lineNumber, line in
                    do {
                        _ = try RecordDecoder.decode(line)
                    } catch let error as FerryError {
                        throw error.located(file: table.file, line: lineNumber)
                    }
                    lines.append(String(decoding: line, as: UTF8.self))
                    if lines.count >= count { throw Enough() }
                }
            } catch is Enough {}
            return Sample(table: table.name, lines: lines)
        }
    }

    static func selected(_ changeset: ChangesetReader, _ only: String?) throws -> [ManifestTable] {
        guard let only else { return changeset.manifest.tables }
        guard let table = changeset.manifest.table(named: only) else {
            throw FerryError(.usage, "the changeset has no table \(only). Tables: \(changeset.manifest.tables.map(\.name).joined(separator: ", ")).")
        }
        return [table]
    }

    /// The summary as text: source, creation, then one block per table.
    public static func summary(_ changeset: ChangesetReader, table only: String?, samples: [Sample], signature: SignatureCheck? = nil) throws -> String {
        let manifest = changeset.manifest
        var out = """
            changeset  \(manifest.changesetId)
            format     \(manifest.format) v\(manifest.formatVersion), \(manifest.mode)\(manifest.incrementalTo.map { " since \($0)" } ?? "")
            created    \(manifest.createdAt) by \(manifest.tool.name) \(manifest.tool.version)
            source     \(manifest.source.kind) \(manifest.source.name ?? "") (fingerprint \(manifest.source.fingerprint), schema \(manifest.source.schemaHash.prefix(12)))
            tables     \(manifest.tables.count), \(counted(manifest.tables.reduce(0) { $0 + $1.rows }, "row")), \(byteCount(manifest.tables.reduce(0) { $0 + $1.bytes }))
            signature  \(signature?.description ?? "none (unsigned)")

            """
        if let selection = manifest.selection {
            out += "selection  \(selection.filters.map { "\($0.table): \($0.condition ?? "(condition withheld: the export is redacted)")" }.joined(separator: "; "))\(selection.withChildren ? ", with children" : ""), and every row they point at\n"
        }
        if let redaction = manifest.redaction {
            let columns = redaction.columns.map { "\($0.table).\($0.column)=\($0.rule.rawValue)\($0.follows.map { " (follows \($0))" } ?? "")" }
            out += "redacted   \(columns.joined(separator: ", "))\(redaction.keyId.map { "; key id \($0)" } ?? "")\n"
        }
        for table in try selected(changeset, only) {
            let definition = table.definition
            out += "\n\(table.name)  \(counted(table.rows, "row")), \(byteCount(table.bytes)), \(table.file)\n"
            out += "  columns     \(definition.columns.map { $0.type.isEmpty ? $0.name : "\($0.name) \($0.type)" }.joined(separator: ", "))\n"
            out += "  primary key \(definition.primaryKey.isEmpty ? "(rowid)" : definition.primaryKey.joined(separator: ", "))\n"
            if let cloudId = definition.cloudId { out += "  cloudId     \(cloudId)\n" }
            if !definition.matchSets.isEmpty {
                out += "  keys        \(definition.matchSets.map { "(\($0.joined(separator: ", ")))" }.joined(separator: ", "))\n"
            }
            for reference in definition.references {
                out += "  references  \(reference.columns.joined(separator: ", ")) → \(reference.table)(\(reference.to.joined(separator: ", ")))\n"
            }
            for sample in samples where sample.table == table.name {
                for line in sample.lines { out += "  | \(line)\n" }
            }
        }
        return out
    }

    /// The same as JSON: the manifest's figures plus samples, for scripts.
    public static func json(_ changeset: ChangesetReader, table only: String?, samples: [Sample], signature: SignatureCheck? = nil) throws -> String {
        var out = JSONBuffer()
        let manifest = changeset.manifest
        out.append(raw: "{\"changesetId\":")
        out.appendString(manifest.changesetId)
        out.append(raw: ",\"createdAt\":")
        out.appendString(manifest.createdAt)
        out.append(raw: ",\"mode\":")
        out.appendString(manifest.mode)
        out.append(raw: ",\"source\":{\"kind\":")
        out.appendString(manifest.source.kind)
        out.append(raw: ",\"name\":")
        if let name = manifest.source.name { out.appendString(name) } else { out.append(raw: "null") }
        out.append(raw: ",\"fingerprint\":")
        out.appendString(manifest.source.fingerprint)
        out.append(raw: "},\"signature\":")
        if let signature {
            out.append(raw: "{\"signer\":")
            out.appendString((signature.trusted ?? signature.key).name)
            out.append(raw: ",\"fingerprint\":")
            out.appendString(signature.key.fingerprint)
            out.append(raw: signature.trusted == nil ? ",\"trusted\":false}" : ",\"trusted\":true}")
        } else {
            out.append(raw: "null")
        }
        out.append(raw: ",\"tables\":[")
        for (index, table) in try selected(changeset, only).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(raw: "{\"name\":")
            out.appendString(table.name)
            out.append(utf8: ",\"rows\":\(table.rows),\"bytes\":\(table.bytes),\"file\":")
            out.appendString(table.file)
            out.append(raw: ",\"primaryKey\":")
            appendStrings(table.definition.primaryKey, to: &out)
            out.append(raw: ",\"matchSets\":[")
            for (position, set) in table.definition.matchSets.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                appendStrings(set, to: &out)
            }
            out.append(raw: "],\"references\":[")
            for (position, reference) in table.definition.references.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                out.append(raw: "{\"columns\":")
                appendStrings(reference.columns, to: &out)
                out.append(raw: ",\"table\":")
                out.appendString(reference.table)
                out.append(UInt8(ascii: "}"))
            }
            out.append(raw: "],\"samples\":[")
            let lines = samples.first { $0.table == table.name }?.lines ?? []
            out.append(utf8: lines.joined(separator: ",")) // each line is already a JSON object
            out.append(raw: "]}")
        }
        out.append(raw: "]}\n")
        return out.string
    }

    private static func appendStrings(_ strings: [String], to out: inout JSONBuffer) {
        out.append(UInt8(ascii: "["))
        for (index, string) in strings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendString(string)
        }
        out.append(UInt8(ascii: "]"))
    }

    static func byteCount(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / 1024 / 1024)
    }
}

extension Inspector {
    /// The import log of a store, oldest first, as a table or JSON lines.
    public static func importLog(_ entries: [ImportLogEntry], json: Bool) -> String {
        if json {
            return entries.map { entry in
                var out = JSONBuffer()
                out.append(raw: "{\"changesetId\":")
                out.appendString(entry.changesetId)
                out.append(raw: ",\"appliedAt\":")
                out.appendString(entry.appliedAt)
                out.append(raw: ",\"source\":")
                out.appendString(entry.sourceName)
                out.append(raw: ",\"mode\":")
                out.appendString(entry.mode)
                for (key, value) in entry.totals.pairs { out.append(utf8: ",\"\(key)\":\(value)") }
                out.append(UInt8(ascii: "}"))
                return out.string
            }.joined(separator: "\n")
        }
        guard !entries.isEmpty else { return "no changeset has been imported into this database" }
        return entries.map { entry in
            let figures = entry.totals.pairs.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
            return "\(entry.appliedAt)  \(entry.changesetId)  from \(entry.sourceName.isEmpty ? "?" : entry.sourceName) (\(entry.mode))  \(figures.isEmpty ? "no changes" : figures)"
        }.joined(separator: "\n")
    }
}
