import Foundation

/// A person's answer to an `ambiguous_match`: "the source row with this key is that target
/// row". Written `TABLE:SOURCE-KEY=TARGET-KEY` (`--pin playlists:1=17`; composite keys
/// comma-separated, in primary-key order), on the command line or one per line in a pins
/// file. The pinned row is matched and stamped with the source's cloudId, its children
/// follow it through the key map, and later syncs match it by cloudId.
public struct Pin: Sendable, Equatable {
    public var table: String
    public var source: [String]
    public var target: [String]

    public init(table: String, source: [String], target: [String]) {
        self.table = table
        self.source = source
        self.target = target
    }

    /// Parses `TABLE:SOURCE=TARGET`; `place` names where it came from, for the error.
    public static func parse(_ text: String, place: String) throws -> Pin {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let colon = trimmed.lastIndex(of: ":"), let equals = trimmed[colon...].firstIndex(of: "="),
              colon > trimmed.startIndex, trimmed.index(after: colon) < equals, trimmed.index(after: equals) < trimmed.endIndex else {
            throw FerryError(.usage, "\(place): \"\(trimmed)\" is not a pin. Write TABLE:SOURCE-KEY=TARGET-KEY, e.g. playlists:1=17 (the source row's primary key as the changeset has it, then the target row's).")
        }
        let table = String(trimmed[..<colon])
        let source = trimmed[trimmed.index(after: colon)..<equals].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let target = trimmed[trimmed.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard source.count == target.count else {
            throw FerryError(.usage, "\(place): pin \"\(trimmed)\" gives \(source.count) source and \(target.count) target key values; give one per primary-key column on each side.")
        }
        return Pin(table: table, source: source, target: target)
    }

    /// Reads a pins file: one pin per line; blank lines and lines starting with # are skipped.
    public static func load(path: String) throws -> [Pin] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FerryError(.io, "cannot read the pins file \(path). Check the --pins path.")
        }
        var pins: [Pin] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty || text.hasPrefix("#") { continue }
            pins.append(try parse(text, place: "\(path) line \(index + 1)"))
        }
        return pins
    }

    /// A key value as a pin writes it: integers and text as themselves.
    static func text(of value: Value) -> String {
        switch value {
        case .integer(let number): return String(number)
        case .text: return value.string ?? ""
        default: return value.description
        }
    }
}
