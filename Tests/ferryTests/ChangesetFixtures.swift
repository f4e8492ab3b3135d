import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

// Helpers to damage or edit an exported changeset the way a careless copy, a bad editor
// or a forger would, and then to keep the manifest consistent so that only the intended
// flaw remains.

/// manifest.json of a changeset folder, as plain JSON objects.
func readManifest(_ changeset: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: changeset.appendingPathComponent("manifest.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "manifest.json is not a JSON object")
}

/// Writes `manifest` and seals it with a fresh `manifestSha256`, as Ferry would, so the edit
/// is the only flaw left. The digest is computed the way the README tells a user to check
/// it (zeros in the field, then the system sha256sum), independently of Ferry's code.
func writeManifest(_ manifest: [String: Any], to changeset: URL) throws {
    var manifest = manifest
    let zeros = String(repeating: "0", count: 64)
    manifest["manifestSha256"] = zeros
    try writeManifestUnsealed(manifest, to: changeset)
    let file = changeset.appendingPathComponent("manifest.json")
    let digest = try sha256sum(file)
    let text = try String(contentsOf: file, encoding: .utf8)
    let field = try #require(text.range(of: #""manifestSha256" : ""# + zeros), "JSONSerialization wrote manifestSha256 in an unexpected form")
    try Data(text.replacingCharacters(in: field, with: #""manifestSha256" : ""# + digest).utf8).write(to: file)
}

/// Writes `manifest` exactly as given, without resealing: for tests of the digest itself.
func writeManifestUnsealed(_ manifest: [String: Any], to changeset: URL) throws {
    let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: changeset.appendingPathComponent("manifest.json"))
}

/// Edits the whole manifest in place.
func editManifest(_ changeset: URL, _ edit: (inout [String: Any]) throws -> Void) throws {
    var manifest = try readManifest(changeset)
    try edit(&manifest)
    try writeManifest(manifest, to: changeset)
}

/// Edits one table's entry in the manifest (keys "name", "file", "rows", "bytes", "sha256", "columns", "create", …).
func editManifestTable(_ changeset: URL, _ table: String, _ edit: (inout [String: Any]) throws -> Void) throws {
    try editManifest(changeset) { manifest in
        var tables = try #require(manifest["tables"] as? [[String: Any]], "manifest has no tables array")
        let index = try #require(tables.firstIndex { $0["name"] as? String == table }, "manifest has no table \(table)")
        try edit(&tables[index])
        manifest["tables"] = tables
    }
}

/// A table's entry in the manifest.
func manifestTable(_ changeset: URL, _ table: String) throws -> [String: Any] {
    let tables = try #require(try readManifest(changeset)["tables"] as? [[String: Any]])
    return try #require(tables.first { $0["name"] as? String == table }, "manifest has no table \(table)")
}

/// Writes the actual sha256, byte size (and, when given, row count) of a table's file into
/// the manifest, so the checksum passes and only the flaw inside the file remains.
func fixUpManifest(_ changeset: URL, table: String = "users", rows: Int? = nil) throws {
    let file = changeset.appendingPathComponent("\(table).ndjson.gz")
    let sha = try sha256sum(file)
    let size = try fileBytes(file).count
    try editManifestTable(changeset, table) { entry in
        entry["sha256"] = sha
        entry["bytes"] = size
        if let rows { entry["rows"] = rows }
    }
}

/// Runs a tool and captures its exit status and output.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes before waiting so a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// The decompressed lines of a table file (system gzip, not Ferry's reader).
func tableLines(_ changeset: URL, _ table: String = "users") throws -> [String] {
    let result = try runTool("/bin/gzip", ["-dc", changeset.appendingPathComponent("\(table).ndjson.gz").path])
    try #require(result.status == 0, "gzip -dc failed: \(result.stderr)")
    var lines = result.stdout.components(separatedBy: "\n")
    if lines.last == "" { lines.removeLast() }
    return lines
}

/// Replaces a table file with these lines (gzip-compressed by the system gzip) and fixes
/// up the manifest's sha256, bytes and rows.
func writeTableLines(_ changeset: URL, _ table: String = "users", _ lines: [String]) throws {
    try gzip(lines.joined(separator: "\n") + "\n", to: changeset.appendingPathComponent("\(table).ndjson.gz"))
    try fixUpManifest(changeset, table: table, rows: lines.count)
}

/// Flips every bit of the byte at `offset` (default: the middle of the file).
func flipByte(in file: URL, at offset: Int? = nil) throws {
    var data = try fileBytes(file)
    let index = offset ?? data.count / 2
    data[index] ^= 0xFF
    try data.write(to: file)
}

/// The range of `"column":VALUE` inside the record's "row" object, and of VALUE.
private func rowMember(in line: String, column: String) throws -> (member: Range<String.Index>, value: Range<String.Index>) {
    let rowStart = try #require(line.range(of: "\"row\":{"), "the line has no row object: \(line)")
    let pattern = "\"\(NSRegularExpression.escapedPattern(for: column))\":(\"(?:[^\"\\\\]|\\\\.)*\"|-?[0-9][0-9.eE+-]*|null|true|false|\\{[^{}]*\\})"
    let regex = try NSRegularExpression(pattern: pattern)
    let searchRange = NSRange(rowStart.upperBound..<line.endIndex, in: line)
    let match = try #require(regex.firstMatch(in: line, range: searchRange), "column \(column) not found in the row of: \(line)")
    return (try #require(Range(match.range, in: line)), try #require(Range(match.range(at: 1), in: line)))
}

/// Removes `"column":VALUE` (and its comma) from the record's "row" object.
func removingRowColumn(in line: String, column: String) throws -> String {
    let member = try rowMember(in: line, column: column).member
    var edited = line
    if edited[member.upperBound...].hasPrefix(",") {
        edited.removeSubrange(member.lowerBound..<edited.index(after: member.upperBound))
    } else {
        edited.removeSubrange(edited.index(before: member.lowerBound)..<member.upperBound) // the comma before it
    }
    return edited
}

/// Replaces the value of `column` in the record's "row" object (not in "keys" or "refs")
/// with `json`, editing the text so every other byte of the line stays as Ferry wrote it.
func replacingRowValue(in line: String, column: String, with json: String) throws -> String {
    var edited = line
    edited.replaceSubrange(try rowMember(in: line, column: column).value, with: json)
    return edited
}

/// Total rows over every user table of a SQLite file (not sqlite_*, not _ferry_*).
func rowCounts(ofDatabase path: URL) throws -> [String: Int] {
    let database = try SQLiteDatabase(path: path.path, mode: .readOnly)
    let names = try database.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_ferry\\_%' ESCAPE '\\' ORDER BY name")
        .compactMap { $0.first?.string }
    var counts: [String: Int] = [:]
    for name in names {
        if case .integer(let count)? = try database.scalar("SELECT count(*) FROM \(Identifier.quote(name))") {
            counts[name] = Int(count)
        }
    }
    return counts
}

/// True when stderr shows a crash rather than Ferry's own error line.
func looksLikeACrash(_ stderr: String) -> Bool {
    ["Fatal error", "Stack dump", "Backtrace", "💣", "Current stack trace", "Illegal instruction", "Segmentation fault"].contains { stderr.contains($0) }
}

/// A clean refusal: exit 1 (nothing applied), one `error:` line, no crash output, and the
/// message mentions every one of `mentions` (and one of `alternatives`, when given).
func expectCleanRefusal(_ result: CommandResult, _ label: String = "", mentions: [String], anyOf alternatives: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
    let prefix = label.isEmpty ? "" : "\(label): "
    #expect(result.status == 1, "\(prefix)exit status \(result.status), expected 1 (nothing applied); stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("error: "), "\(prefix)stderr does not start with \"error: \": \(result.stderr)", sourceLocation: sourceLocation)
    #expect(!looksLikeACrash(result.stderr), "\(prefix)stderr shows a crash: \(result.stderr)", sourceLocation: sourceLocation)
    for text in mentions {
        #expect(result.stderr.contains(text), "\(prefix)stderr does not mention \(text): \(result.stderr)", sourceLocation: sourceLocation)
    }
    if !alternatives.isEmpty {
        #expect(alternatives.contains { result.stderr.contains($0) }, "\(prefix)stderr mentions none of \(alternatives): \(result.stderr)", sourceLocation: sourceLocation)
    }
}
