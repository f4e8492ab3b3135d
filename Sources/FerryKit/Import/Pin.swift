import Foundation

/// A person's answer to an `ambiguous_match`: "the source row with this key is that target
/// row". Written `TABLE:SOURCE-KEY=TARGET-KEY` (`--pin playlists:1=17`; composite keys
/// comma-separated, in primary-key order), on the command line or one per line in a pins
/// file. A part holding `:`, `=`, `,` or `"` is written in double quotes, with `""` for a
/// quote inside (`k:"a:b=c"="T,2"`), as CSV does. The pinned row is matched and stamped
/// with the source's cloudId, its children follow it through the key map, and later syncs
/// match it by cloudId.
public struct Pin: Sendable, Equatable {
    public var table: String
    public var source: [String]
    public var target: [String]
    /// Where it was written ("--pin", "pins.txt line 3"), for messages.
    public var origin: String

    public init(table: String, source: [String], target: [String], origin: String = "--pin") {
        self.table = table
        self.source = source
        self.target = target
        self.origin = origin
    }

    /// How a person writes this pin, quoted where a part needs it.
    public var text: String {
        "\(Self.quoted(table)):\(source.map(Self.quoted).joined(separator: ","))=\(target.map(Self.quoted).joined(separator: ","))"
    }

    static func quoted(_ part: String) -> String {
        part.contains(where: { ":=,\"".contains($0) }) || part != part.trimmingCharacters(in: .whitespaces)
            ? "\"" + part.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : part
    }

    /// Parses `TABLE:SOURCE=TARGET`; `place` names where it came from, for the error.
    public static func parse(_ text: String, place: String) throws -> Pin {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let malformed = FerryError(.usage, "\(place): \"\(trimmed)\" is not a pin. Write TABLE:SOURCE-KEY=TARGET-KEY, e.g. playlists:1=17 (the source row's primary key as the changeset has it, then the target row's); quote a part that holds : = , or \" as in \"a:b\".")
        // Split into parts at unquoted separators, keeping which separator ended each part.
        var parts: [(text: String, end: Character?)] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        var characters = Array(trimmed)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" { current.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" && current.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
            } else if c == ":" || c == "=" || c == "," {
                parts.append((current, c))
                current = ""
                wasQuoted = false
            } else {
                guard !wasQuoted else { throw malformed } // text after a closing quote
                current.append(c)
            }
        }
        guard !quoted else { throw malformed }
        parts.append((current, nil))
        // TABLE : s1 , s2 = t1 , t2
        guard parts.count >= 3, parts[0].end == ":", !parts[0].text.isEmpty,
              let equals = parts.firstIndex(where: { $0.end == "=" }), equals >= 1,
              parts[1..<equals].allSatisfy({ $0.end == "," }), parts[(equals + 1)...].dropLast().allSatisfy({ $0.end == "," }),
              !parts[1...].contains(where: { $0.end == ":" || ($0.end == "=" && $0.text.isEmpty) }),
              parts.filter({ $0.end == "=" }).count == 1 else {
            throw malformed
        }
        let source = parts[1...equals].map(\.text)
        let target = parts[(equals + 1)...].map(\.text)
        guard !(source + target).contains(where: \.isEmpty) else { throw malformed }
        guard source.count == target.count else {
            throw FerryError(.usage, "\(place): pin \"\(trimmed)\" gives \(source.count) source and \(target.count) target key values; give one per primary-key column on each side.")
        }
        return Pin(table: parts[0].text, source: source, target: target, origin: place)
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
