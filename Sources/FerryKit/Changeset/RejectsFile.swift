import Foundation

/// A rejects file read back as a changeset: each line is a record with its `reject`
/// annotation (table, line, reason, and the table's fallback match sets).
enum RejectsFile {
    struct Annotation {
        var table: String
        var match: [[String]]
    }

    static func annotation(of line: UnsafeBufferPointer<UInt8>, lineNumber: Int, file: String) throws -> Annotation {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line)
        } catch {
            throw FerryError(.format, "not valid JSON at byte \(error.offset + 1): \(error.message). Fix the line, then import the file again.").located(file: file, line: lineNumber)
        }
        guard let reject = json["reject"], let table = reject["table"]?.stringValue else {
            throw FerryError(.format, "the line has no \"reject\" annotation naming its table; a rejects file keeps the annotation Ferry wrote.").located(file: file, line: lineNumber)
        }
        var match: [[String]] = []
        if case .array(let sets)? = reject["match"] {
            match = sets.compactMap { set in
                guard case .array(let columns) = set else { return nil }
                return columns.compactMap(\.stringValue)
            }
        }
        return Annotation(table: table, match: match)
    }

    /// A manifest for the tables the file's lines name, described by the target's schema.
    static func manifest(for range: ByteRange, name: String, target: Store, maximumLineLength: Int) throws -> Manifest {
        var counts: [String: Int] = [:]
        var match: [String: [[String]]] = [:]
        try LineReader(range: range, name: name, allowPlain: true, maximumLineLength: maximumLineLength).forEachLine { lineNumber, line in
            let annotation = try annotation(of: line, lineNumber: lineNumber, file: name)
            counts[annotation.table, default: 0] += 1
            if !annotation.match.isEmpty { match[annotation.table] = annotation.match }
        }
        var profile = Profile()
        for (table, sets) in match { profile.tables[table] = Profile.Table(match: sets) }
        let definitions = try target.tables(profile: profile)
        var tables: [ManifestTable] = []
        for definition in ForeignKeyOrder.sorted(definitions) {
            guard let rows = counts.removeValue(forKey: definition.name) else { continue }
            tables.append(ManifestTable(definition: definition, file: name, rows: rows, bytes: range.count, sha256: ""))
        }
        if let unknown = counts.keys.first {
            throw FerryError(.schema, "\(name) holds records of table \(unknown), which \(target.displayName) does not have.")
        }
        return Manifest(
            format: Manifest.formatName, formatVersion: Manifest.currentVersion, changesetId: UUID().uuidString.lowercased(),
            createdAt: ISO8601DateFormatter().string(from: Date()), tool: .init(name: "ferry", version: FerryVersion.current),
            source: .init(kind: "rejects", name: name, fingerprint: "", schemaHash: ""), mode: "full", incrementalTo: nil,
            profile: profile, tables: tables, warnings: nil)
    }
}
