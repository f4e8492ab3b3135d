import Foundation

/// Writes rejected records to an NDJSON file: each line is the original record with a
/// `"reject"` annotation, so the file can be fixed and imported as it is.
final class RejectsWriter {
    let path: String
    private let changesetId: String
    /// False in a dry run: records are counted, no file is written.
    let enabled: Bool
    private var file: SideFile?
    private(set) var count = 0

    init(path: String, changesetId: String, enabled: Bool = true) {
        self.path = path
        self.changesetId = changesetId
        self.enabled = enabled
    }

    /// `match`: the table's fallback composites, so the file can be imported without the manifest.
    func write(line: UnsafeBufferPointer<UInt8>, table: String, match: [[String]], lineNumber: Int, rejection: Rejection) throws {
        guard enabled else {
            count += 1
            return
        }
        if file == nil { file = try SideFile(path: path, kind: .rejects) }
        if containsRejectKey(line) {
            // A line from a rejects file, rejected again: replace its old annotation.
            guard case .object(let fields) = try JSONParser.parse(line) else { return }
            var clean = JSONBuffer()
            clean.appendJSON(.object(fields.filter { $0.key != "reject" }))
            try clean.withBytes { try write(line: $0, table: table, match: match, lineNumber: lineNumber, rejection: rejection) }
            return
        }
        // The line is one JSON object: splice the annotation before its closing brace.
        var end = line.count
        while end > 0 && line[end - 1] != UInt8(ascii: "}") { end -= 1 }
        var out = JSONBuffer(capacity: line.count + 256)
        if end > 0 {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: line[0..<(end - 1)]))
            if end > 2 { out.append(UInt8(ascii: ",")) }
        } else {
            out.append(UInt8(ascii: "{"))
        }
        out.append(raw: #""reject":{"table":"#)
        out.appendString(table)
        out.append(utf8: ",\"line\":\(lineNumber),\"reason\":\"\(rejection.reason.rawValue)\",\"message\":")
        out.appendString(rejection.message)
        out.append(raw: #","changeset":"#)
        out.appendString(changesetId)
        if !match.isEmpty {
            out.append(raw: #","match":["#)
            for (index, set) in match.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "["))
                for (position, column) in set.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    out.appendString(column)
                }
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(raw: "}}\n")
        try out.withBytes { try file!.write(UnsafeRawBufferPointer($0)) }
        count += 1
    }

    private func containsRejectKey(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let needle = Array("\"reject\":".utf8)
        guard line.count >= needle.count else { return false }
        return (0...(line.count - needle.count)).contains { start in
            line[start] == needle[0] && (0..<needle.count).allSatisfy { line[start + $0] == needle[$0] }
        }
    }

    /// Whether a file was written and is waiting for `publish()`.
    var hasFile: Bool { file != nil }

    /// Puts the file in place: called once the import has committed.
    func publish() throws {
        try file?.publish()
    }

    /// Publishes the rejects of an import that was rolled back under a name that says so;
    /// returns that path.
    func publishRolledBack() throws -> String? {
        guard let file else { return nil }
        let path = SideFile.rolledBackPath(self.path)
        try file.publish(at: path)
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
