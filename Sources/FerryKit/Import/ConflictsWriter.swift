import Foundation

/// Writes each conflict as one NDJSON line: where it came from, which columns clash, the
/// base and both versions, the policy and what it did. Nothing is lost: a deferred
/// conflict can be settled by importing again with another policy.
final class ConflictsWriter {
    let path: String
    /// False in a dry run: records are counted, no file is written.
    let enabled: Bool
    private var file: SideFile?
    private(set) var count = 0

    init(path: String, enabled: Bool = true) {
        self.path = path
        self.enabled = enabled
    }

    struct Entry {
        var table: String
        var line: Int
        /// update (changed on both sides), delete (deleted at source, changed here),
        /// deleted-here (changed at source, deleted here), first-contact (no base).
        var kind: String
        var identity: [UInt8]
        var columns: [String]
        var base: [UInt8]?
        var incoming: [(String, Value)]?
        var target: [(String, Value)]?
        var policy: ConflictPolicy
        var resolution: String
    }

    func write(_ entry: Entry) throws {
        guard enabled else {
            count += 1
            return
        }
        if file == nil { file = try SideFile(path: path, kind: .conflicts) }
        var out = JSONBuffer(capacity: 1024)
        out.append(raw: #"{"table":"#)
        out.appendString(entry.table)
        out.append(utf8: ",\"line\":\(entry.line),\"kind\":\"\(entry.kind)\",\"identity\":")
        out.append(contentsOf: entry.identity)
        out.append(raw: #","columns":["#)
        for (index, column) in entry.columns.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendString(column)
        }
        out.append(raw: #"],"base":"#)
        if let base = entry.base { out.append(contentsOf: base) } else { out.append(raw: "null") }
        out.append(raw: #","incoming":"#)
        if let incoming = entry.incoming { out.appendObject(incoming) } else { out.append(raw: "null") }
        out.append(raw: #","target":"#)
        if let target = entry.target { out.appendObject(target) } else { out.append(raw: "null") }
        out.append(utf8: ",\"policy\":\"\(entry.policy.rawValue)\",\"resolution\":")
        out.appendString(entry.resolution)
        out.append(raw: "}\n")
        try out.withBytes { try file!.write(UnsafeRawBufferPointer($0)) }
        count += 1
    }

    /// Whether a file was written and is waiting for `publish()`.
    var hasFile: Bool { file != nil }

    /// Puts the file in place: called once the import has committed.
    func publish() throws {
        try file?.publish()
    }
}
