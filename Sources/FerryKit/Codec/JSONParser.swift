import Foundation

/// A strict byte-level JSON parser for one record line.
///
/// Integers must fit in 64 bits (a wider one is an error, never a silent double);
/// reals go through `strtod`, which is correctly rounded, so every double round-trips.
public struct JSONParser {
    public struct Failure: Error {
        public let offset: Int
        public let message: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private static let maximumDepth = 64

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses exactly one JSON value filling the whole buffer (whitespace aside).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index != bytes.count {
            throw Failure(offset: parser.index, message: "unexpected text after the JSON value")
        }
        return value
    }

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBufferPointer { buffer in
            do throws(Failure) { return .success(try parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func fail(_ message: String) -> Failure {
        Failure(offset: index, message: message)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of line, a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character '\(printable(bytes[index]))'")
        }
    }

    private func printable(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let length = literal.utf8CodeUnitCount
        guard index + length <= bytes.count else { throw fail("unexpected end of line") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<length).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw fail("unexpected character '\(printable(bytes[index]))'") }
        index += length
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maximumDepth { throw fail("nesting deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func parseObject() throws(Failure) -> JSONValue {
        try enter()
        index += 1
        var pairs: [(key: String, value: JSONValue)] = []
        pairs.reserveCapacity(16) // a record's row: one allocation, not five as it grows
        var seen = Set<String>()
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(pairs)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
            let keyBytes = try parseString()
            let key = String(decoding: keyBytes, as: UTF8.self)
            // A scan finds a duplicate among a record's few keys fastest; a set, past a few
            // dozen, keeps a hostile object of 100,000 keys from costing minutes (n²).
            if pairs.count < 32 {
                if pairs.contains(where: { $0.key == key }) { throw fail("duplicate key \"\(key)\"") }
            } else {
                if seen.isEmpty { seen = Set(pairs.map(\.key)) }
                if !seen.insert(key).inserted { throw fail("duplicate key \"\(key)\"") }
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
            index += 1
            skipWhitespace()
            pairs.append((key, try parseValue()))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of line inside an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw fail("expected ',' or '}'")
        }
        depth -= 1
        return .object(pairs)
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        try enter()
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of line inside an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw fail("expected ',' or ']'")
        }
        depth -= 1
        return .array(items)
    }

    private mutating func parseString() throws(Failure) -> [UInt8] {
        index += 1
        let start = index
        // Every byte of the string OR-ed together: below 0x80, it is ASCII, valid UTF-8
        // without a second pass (most keys and values are; the check was 2.5% of an import).
        var bits: UInt8 = 0
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let result = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                guard bits < 0x80 || UTF8Validation.isValid(result) else { throw Failure(offset: start, message: "string is not valid UTF-8") }
                return result
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character inside a string must be escaped") }
            bits |= byte
            index += 1
        }
        var result = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                guard UTF8Validation.isValid(result) else { throw Failure(offset: start, message: "string is not valid UTF-8") }
                return result
            }
            if byte < 0x20 { throw fail("control character inside a string must be escaped") }
            if byte != UInt8(ascii: "\\") {
                result.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): result.append(0x22)
            case UInt8(ascii: "\\"): result.append(0x5C)
            case UInt8(ascii: "/"): result.append(0x2F)
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(try parseHex4())
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("lone UTF-16 surrogate in \\u escape")
                    }
                    index += 2
                    let low = UInt32(try parseHex4())
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone UTF-16 surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("lone UTF-16 surrogate in \\u escape")
                }
                appendUTF8(scalar, to: &result)
            default:
                throw fail("unknown escape '\\\(printable(escape))'")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseHex4() throws(Failure) -> UInt16 {
        guard index + 4 <= bytes.count else { throw fail("incomplete \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to result: inout [UInt8]) {
        switch scalar {
        case 0..<0x80: result.append(UInt8(scalar))
        case 0x80..<0x800:
            result.append(UInt8(0xC0 | scalar >> 6))
            result.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            result.append(UInt8(0xE0 | scalar >> 12))
            result.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            result.append(UInt8(0x80 | scalar & 0x3F))
        default:
            result.append(UInt8(0xF0 | scalar >> 18))
            result.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            result.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            result.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
            throw fail("a digit must follow '-'")
        }
        if bytes[index] == UInt8(ascii: "0"), index + 1 < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index + 1]) {
            throw fail("numbers must not have leading zeros")
        }
        var isReal = false
        while index < bytes.count {
            let byte = bytes[index]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1; continue }
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                || ((byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")) && isReal) {
                isReal = true
                index += 1
                continue
            }
            break
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if !isReal {
            var value: Int64 = 0
            let negative = text[0] == UInt8(ascii: "-")
            for byte in text.dropFirst(negative ? 1 : 0) {
                let digit = Int64(byte - UInt8(ascii: "0"))
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                if overflow1 || overflow2 {
                    throw Failure(offset: start, message: "integer does not fit in 64 bits")
                }
                value = next
            }
            return .integer(value)
        }
        // strtod needs a NUL-terminated copy; the grammar is checked first because strtod is lenient.
        guard Self.isValidRealSyntax(text) else { throw Failure(offset: start, message: "malformed number") }
        var scratch = [CChar](repeating: 0, count: text.count + 1)
        for (offset, byte) in text.enumerated() { scratch[offset] = CChar(bitPattern: byte) }
        let value = strtod(scratch, nil)
        return .real(value)
    }

    /// `-? digits (. digits)? ([eE] [+-]? digits)?`
    private static func isValidRealSyntax(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        func digits() -> Int {
            let begin = i
            while i < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[i]) { i += 1 }
            return i - begin
        }
        if i < text.count, text[i] == UInt8(ascii: "-") { i += 1 }
        guard digits() > 0 else { return false }
        if i < text.count, text[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        }
        if i < text.count, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            i += 1
            if i < text.count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == text.count
    }
}

/// The line reader's fast path: a record line read straight into a `Record`, its row's cells
/// placed as they are parsed, without a JSON tree (building and freeing a tree a line was
/// most of the reading thread of an import). Only for the shape Ferry writes: top-level
/// field names without escapes, the row's columns in the manifest's order. Anything else,
/// valid or not, gives nil, and the caller decodes the line the tree way, which gives the
/// record or the error: the fast path never decides what a line means on its own.
extension JSONParser {
    static func decodeRecord(_ bytes: UnsafeBufferPointer<UInt8>, columns: RecordDecoder.Columns) -> Record? {
        guard columns.readable else { return nil }
        var parser = JSONParser(bytes)
        return try? parser.record(columns)
    }

    private static let upsert = Array("upsert".utf8), delete = Array("delete".utf8)

    private static let fieldNames: [(bytes: [UInt8], name: String)] =
        ["op", "row", "refs", "keys", "cloudId", "hash", "base", "versions", "was", "rowid", "reject"].map { (Array($0.utf8), $0) }

    private struct NotThePlainShape: Error {}

    private mutating func record(_ columns: RecordDecoder.Columns) throws -> Record {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw NotThePlainShape() }
        try enter()
        index += 1
        var fields = RecordFields()
        var seen: UInt16 = 0
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard let field = Self.fieldNames.indices.first(where: { matchesQuoted(Self.fieldNames[$0].bytes) }) else { throw NotThePlainShape() }
                guard seen & 1 << field == 0 else { throw NotThePlainShape() }
                seen |= 1 << field
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw NotThePlainShape() }
                index += 1
                skipWhitespace()
                let next = index < bytes.count ? bytes[index] : 0
                if field == 0, next == UInt8(ascii: "\"") {
                    if matchesQuoted(Self.upsert) {
                        fields.operation = .upsert
                    } else if matchesQuoted(Self.delete) {
                        fields.operation = .delete
                    } else {
                        throw NotThePlainShape()
                    }
                } else if field == 1, next == UInt8(ascii: "{") {
                    fields.record.row = try row(columns)
                    fields.sawRow = true
                } else if field == 2, next == UInt8(ascii: "{") {
                    fields.record.refs = try refs()
                } else if field == 3, next == UInt8(ascii: "{") {
                    fields.record.keys = try plainKeys()
                } else if field == 4, next != UInt8(ascii: "{") {
                    fields.record.cloudId = try cell(column: "cloudId")
                } else if field == 5, next == UInt8(ascii: "\"") {
                    fields.record.hash = String(decoding: try parseString(), as: UTF8.self)
                } else {
                    try fields.take(Self.fieldNames[field].name, try parseValue())
                }
                skipWhitespace()
                guard index < bytes.count else { throw NotThePlainShape() }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                throw NotThePlainShape()
            }
        }
        depth -= 1
        skipWhitespace()
        guard index == bytes.count else { throw NotThePlainShape() }
        return try fields.finish()
    }

    /// The row's cells, each column named as the manifest names the one at its position.
    private mutating func row(_ columns: RecordDecoder.Columns) throws -> [(String, Value)] {
        try enter()
        index += 1
        var row: [(String, Value)] = []
        row.reserveCapacity(columns.names.count)
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return row
        }
        while true {
            skipWhitespace()
            let position = row.count
            guard position < columns.names.count, matchesQuoted(columns.spellings[position]) else { throw NotThePlainShape() }
            let name = columns.names[position]
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw NotThePlainShape() }
            index += 1
            skipWhitespace()
            row.append((name, try cell(column: name)))
            guard try nextMember() else { break }
        }
        depth -= 1
        return row
    }

    /// `keys` without a `$ref` (a key that is a foreign key is written as its parent's
    /// identity: the tree way then), as `RecordDecoder.decodeKeys` reads them.
    private mutating func plainKeys() throws -> [(String, Value)] {
        var keys: [(String, Value)] = []
        if try openObject() { return keys }
        repeat {
            let name = try memberName()
            guard keys.count < 64, !keys.contains(where: { $0.0 == name }), index < bytes.count, bytes[index] != UInt8(ascii: "{") else {
                throw NotThePlainShape()
            }
            keys.append((name, try cell(column: name)))
        } while try nextMember()
        depth -= 1
        return keys
    }

    /// A cell as `RecordDecoder.decodeValue` reads it: a string, number, null or (rare) a
    /// `$real` or `$base64` object.
    private mutating func cell(column: @autoclosure () -> String) throws -> Value {
        guard index < bytes.count else { throw NotThePlainShape() }
        switch bytes[index] {
        case UInt8(ascii: "\""): return .text(try parseString())
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "{"): return try RecordDecoder.decodeValue(try parseObject(), column: column())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            switch try parseNumber() {
            case .integer(let number): return .integer(number)
            case .real(let number): return .real(number)
            default: throw NotThePlainShape()
            }
        default: throw NotThePlainShape()
        }
    }

    /// After a member: true past a comma, false past the closing brace.
    private mutating func nextMember() throws -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw NotThePlainShape() }
        if bytes[index] == UInt8(ascii: ",") { index += 1; return true }
        if bytes[index] == UInt8(ascii: "}") { index += 1; return false }
        throw NotThePlainShape()
    }

    /// A key and its colon; the key as the tree parser makes it.
    private mutating func memberName() throws -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw NotThePlainShape() }
        let name = String(decoding: try parseString(), as: UTF8.self)
        try colon()
        return name
    }

    private mutating func colon() throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw NotThePlainShape() }
        index += 1
        skipWhitespace()
    }

    /// Past an opening brace: true when the object is empty (and passed).
    private mutating func openObject() throws -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw NotThePlainShape() }
        try enter()
        index += 1
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else { return false }
        index += 1
        depth -= 1
        return true
    }

    /// `refs` as `RecordDecoder.decodeRefs` reads it: column → {"table", "cloudId", "keys"}.
    private mutating func refs() throws -> [(String, Record.ReferenceIdentity)] {
        var refs: [(String, Record.ReferenceIdentity)] = []
        if try openObject() { return refs }
        repeat {
            let column = try memberName()
            // A few foreign keys a row; a hostile line of thousands goes the tree way.
            guard refs.count < 64, !refs.contains(where: { $0.0 == column }) else { throw NotThePlainShape() }
            refs.append((column, try reference(column)))
        } while try nextMember()
        depth -= 1
        return refs
    }

    private static let referenceFields: [[UInt8]] = ["table", "cloudId", "keys"].map { Array($0.utf8) }

    private mutating func reference(_ column: String) throws -> Record.ReferenceIdentity {
        var table: String?
        var cloudId = Value.null
        var keys: [(String, Value)] = []
        var seen: UInt8 = 0
        if try !openObject() {
            repeat {
                skipWhitespace()
                guard let field = Self.referenceFields.indices.first(where: { matchesQuoted(Self.referenceFields[$0]) }),
                      seen & 1 << field == 0 else { throw NotThePlainShape() }
                seen |= 1 << field
                try colon()
                switch field {
                case 0:
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw NotThePlainShape() }
                    table = String(decoding: try parseString(), as: UTF8.self)
                case 1:
                    cloudId = try cell(column: "refs.\(column).cloudId")
                default:
                    if try !openObject() {
                        repeat {
                            let name = try memberName()
                            guard keys.count < 64, !keys.contains(where: { $0.0 == name }) else { throw NotThePlainShape() }
                            keys.append((name, try cell(column: name)))
                        } while try nextMember()
                        depth -= 1
                    }
                }
            } while try nextMember()
            depth -= 1
        }
        guard let table else { throw NotThePlainShape() }
        return Record.ReferenceIdentity(table: table, cloudId: cloudId, keys: keys)
    }

    /// Whether the next bytes are `"` + `name` + `"` (a name without quote, backslash or
    /// control byte, so these bytes are that very JSON string); moves past them if so.
    private mutating func matchesQuoted(_ name: [UInt8]) -> Bool {
        let end = index + name.count + 2
        guard end <= bytes.count, bytes[index] == UInt8(ascii: "\""), bytes[end - 1] == UInt8(ascii: "\"") else { return false }
        let equal = name.withUnsafeBytes { expected in
            expected.count == 0 || memcmp(bytes.baseAddress! + index + 1, expected.baseAddress!, expected.count) == 0
        }
        guard equal else { return false }
        index = end
        return true
    }
}
