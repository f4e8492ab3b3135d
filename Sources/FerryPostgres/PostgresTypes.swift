import FerryKit
import FerrySQLite
/// How PostgreSQL's types cross to Ferry's values (SQLite's five storage classes) and back.
/// The table in the README ("PostgreSQL") is this file in words.
///
/// Reading: integers and booleans become INTEGER (a boolean 1 or 0, as Prisma and Django
/// keep one in SQLite); `real` and `double precision` REAL; `bytea` a BLOB; every other
/// type TEXT in PostgreSQL's own spelling under Ferry's session settings (ISO dates in UTC,
/// `numeric` with every digit it holds, never through a double; uuid, json, arrays, enums,
/// intervals as PostgreSQL prints them).
/// Writing: a value is sent as text (a BLOB as binary) and PostgreSQL converts it to the
/// column's type, so a TEXT '12.50' lands in a `numeric` exactly and an INTEGER 1 in a
/// `boolean` as true; a value the type refuses rejects its record.
public enum PostgresTypes {
    static let bool: UInt32 = 16, bytea: UInt32 = 17, int8: UInt32 = 20, int2: UInt32 = 21, int4: UInt32 = 23, oid: UInt32 = 26
    static let float4: UInt32 = 700, float8: UInt32 = 701, numeric: UInt32 = 1700, date: UInt32 = 1082, text: UInt32 = 25, varchar: UInt32 = 1043

    static func value(_ bytes: UnsafeBufferPointer<UInt8>, type: UInt32) -> Value {
        switch type {
        case int8, int2, int4, oid:
            if let number = Int64(String(decoding: bytes, as: UTF8.self)) { return .integer(number) }
        case bool:
            return .integer(bytes.first == UInt8(ascii: "t") ? 1 : 0)
        case float4, float8:
            let text = String(decoding: bytes, as: UTF8.self)
            switch text {
            case "NaN": return .real(.nan)
            case "Infinity": return .real(.infinity)
            case "-Infinity": return .real(-.infinity)
            default: if let number = Double(text) { return .real(number) }
            }
        case numeric:
            return numericValue(String(decoding: bytes, as: UTF8.self))
        case bytea:
            // `\x` then two hex digits a byte (bytea_output = 'hex', set per connection).
            if bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"),
               let decoded = UnsafeBufferPointer(rebasing: bytes[2...]).hexDecoded {
                return .blob(decoded)
            }
        default:
            break
        }
        return .text(Array(bytes))
    }

    /// A `numeric` as SQLite's NUMERIC affinity would keep the same text: an INTEGER when it
    /// is a whole number that fits 64 bits, a REAL when it has at most 15 significant digits
    /// (a double gives those back exactly), else the exact TEXT. So `12.50` and SQLite's
    /// 12.5 are one value, and `12345678901234567.891` never passes through a double.
    static func numericValue(_ text: String) -> Value {
        if text == "Infinity" { return .real(.infinity) }
        if text == "-Infinity" { return .real(-.infinity) }
        var digits = text.utf8.drop { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
        guard !digits.isEmpty, digits.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") }) else { return .text(text) } // NaN, Infinity
        if !digits.contains(UInt8(ascii: ".")), let whole = Int64(text) { return .integer(whole) }
        if digits.contains(UInt8(ascii: ".")) {
            while digits.last == UInt8(ascii: "0") { digits = digits.dropLast() }
        }
        let significant = digits.filter { $0 != UInt8(ascii: ".") }.drop { $0 == UInt8(ascii: "0") }
        if significant.count <= 15, let real = Double(text) {
            if real.rounded() == real, abs(real) < 9.2e18 { return .integer(Int64(real)) } // 12.00 is SQLite's 12
            return .real(real)
        }
        return .text(text)
    }

    /// How a SQLite table made from a PostgreSQL changeset declares a column of `type`:
    /// PostgreSQL's own name, so it crosses back as it was, unless SQLite's affinity for that
    /// name would change values PostgreSQL printed. A NUMERIC affinity keeps a decimal as a
    /// REAL whenever its first 15 digits survive (`numeric(30,10)` would lose digits), and
    /// turns json `1.0` and a bit string `0010` into numbers: such a column is declared
    /// `text:TYPE`, TEXT affinity, which `columnType` reads back as TYPE.
    static func sqliteDeclaredType(_ type: String) -> String {
        let lower = type.lowercased()
        if lower.hasPrefix("numeric") {
            let precision = lower.dropFirst("numeric".count).drop { $0 == "(" }.prefix { $0.isNumber }
            if let digits = Int(precision), digits <= 15 { return type }
            return exactText + type
        }
        let base = lower.hasSuffix("[]") ? String(lower.dropLast(2)) : lower
        if ["json", "jsonb"].contains(base) || base.hasPrefix("bit") { return exactText + type }
        return type
    }

    /// The prefix of a SQLite type name that stands for a PostgreSQL type kept as exact text.
    static let exactText = "text:"

    /// PostgreSQL's own spellings (`format_type`) of the types whose text input gives back
    /// exactly the text PostgreSQL printed, so a value from a PostgreSQL column of that type
    /// returns to one unchanged.
    private static let canonicalNames: Set<String> = [
        "bigint", "double precision", "boolean", "text", "bytea", "date", "uuid", "json", "jsonb", "interval",
        "time without time zone", "time with time zone", "timestamp without time zone", "timestamp with time zone",
        "inet", "cidr", "macaddr", "xml", "money", "numeric",
    ]
    private static let canonicalWithModifier = ["numeric(", "character varying(", "character(", "bit(", "bit varying(", "timestamp(", "time(", "interval("]

    /// The PostgreSQL column type for a column Ferry creates from a changeset's declared
    /// type, which may come from SQLite (any name, or none) or from PostgreSQL.
    ///
    /// A type written exactly as PostgreSQL spells it (`timestamp(3) without time zone`,
    /// `numeric(12,2)`, `jsonb`) came from PostgreSQL and goes back to it. Any other name
    /// is SQLite's, whose columns hold whatever was stored: the column gets the type of the
    /// name's SQLite affinity that holds every such value unchanged (INTEGER affinity
    /// `bigint`, REAL `double precision`, TEXT and NUMERIC `text`, BLOB `bytea`), never a
    /// PostgreSQL type that would round, pad, truncate or reformat it (`DECIMAL(10,2)`,
    /// `CHAR(5)`, `DATE`). The declared name itself travels in the column's comment.
    static func columnType(declared: String) -> String {
        var trimmed = declared.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix(exactText) { trimmed = String(trimmed.dropFirst(exactText.count)) }
        let element = trimmed.hasSuffix("[]") ? String(trimmed.dropLast(2)) : trimmed
        let lower = trimmed.lowercased()
        // 64-bit and double precision always: SQLite's INTEGER and REAL are.
        if ["integer", "smallint", "bigint"].contains(element) { return element == trimmed ? "bigint" : "bigint[]" }
        if element == "real" { return element == trimmed ? "double precision" : "double precision[]" }
        if canonicalNames.contains(element) || canonicalWithModifier.contains(where: { element.hasPrefix($0) && isModifiedName(element) }) {
            return trimmed
        }
        // SQLite's affinity rules, in its order (https://www.sqlite.org/datatype3.html).
        let upper = lower.uppercased()
        if upper.contains("INT") { return "bigint" }
        if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") { return "text" }
        if upper.contains("BLOB") { return "bytea" }
        if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") { return "double precision" }
        return "text" // NUMERIC affinity (and no type at all): integers, reals and text side by side
    }

    /// `numeric(12,2)`, `timestamp(3) without time zone`: letters, digits, spaces, one
    /// parenthesised list of numbers; nothing a stranger could smuggle SQL in.
    private static func isModifiedName(_ name: String) -> Bool {
        guard let open = name.firstIndex(of: "("), let close = name.firstIndex(of: ")"), open < close else { return false }
        let inside = name[name.index(after: open)..<close]
        return !inside.isEmpty && inside.allSatisfy { $0.isNumber || $0 == "," }
            && name[..<open].allSatisfy { $0.isLowercase || $0 == " " } && name[name.index(after: close)...].allSatisfy { $0.isLowercase || $0 == " " }
    }

    enum Affinity { case integer, text, blob, real, numeric }

    /// SQLite's affinity of a declared type name.
    static func affinity(of declared: String) -> Affinity {
        let upper = declared.uppercased()
        if upper.contains("INT") { return .integer }
        if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") { return .text }
        if upper.contains("BLOB") || upper.trimmingCharacters(in: .whitespaces).isEmpty { return .blob }
        if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") { return .real }
        return .numeric
    }

    /// A TEXT value read from a `text` column Ferry made for a SQLite column of `declared`
    /// type, as that SQLite column would hold it: its affinity turns numeric text into a
    /// number (https://www.sqlite.org/datatype3.html#type_affinity). Without this a value
    /// of SQLite's NUMERIC column came back as TEXT, and every re-import saw a change.
    static func applyingAffinity(_ value: Value, declared: String) -> Value {
        guard case .text(let bytes) = value else { return value }
        let affinity = affinity(of: declared)
        guard affinity == .integer || affinity == .numeric || affinity == .real else { return value }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }), text.contains(where: \.isNumber) else { return value }
        if affinity != .real, let whole = Int64(text) { return .integer(whole) }
        guard let real = Double(text), real.isFinite else { return value }
        if affinity != .real, real == real.rounded(), abs(real) < 9.2e18 { return .integer(Int64(real)) }
        return .real(real)
    }
}
