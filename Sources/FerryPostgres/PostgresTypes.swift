import Foundation
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
    static let float4: UInt32 = 700, float8: UInt32 = 701, numeric: UInt32 = 1700, date: UInt32 = 1082, text: UInt32 = 25, varchar: UInt32 = 1043, bpchar: UInt32 = 1042
    static let timestamp: UInt32 = 1114, timestamptz: UInt32 = 1184, jsonb: UInt32 = 3802, time: UInt32 = 1083, timetz: UInt32 = 1266, uuid: UInt32 = 2950
    /// Read as its stored text (`readExpression`), not printed: PostgreSQL prints a document
    /// without a default declaration (`<?xml version="1.0"?>`) that it stores, so a value
    /// read printed never equals the value written, and a copy of it lost the declaration.
    static let xml: UInt32 = 142

    /// A cell of PostgreSQL's text output (a query result's or a COPY row's), as Ferry reads
    /// it: by the column's type, then by its converting affinity (`nil`: none).
    static func cell(_ bytes: UnsafeBufferPointer<UInt8>, type: UInt32, modifier: Int32, affinity: Affinity?) -> Value {
        let read = value(bytes, type: type, modifier: modifier)
        return affinity.map { applyingAffinity(read, $0) } ?? read
    }

    /// The export's hot path: a cell whose text goes into a record as it is (an integer's
    /// digits, a text column's bytes) is appended without a Value in between. False, having
    /// appended nothing, for any other.
    static func appendVerbatim(_ bytes: UnsafeBufferPointer<UInt8>, type: UInt32, affinity: Affinity?, to buffer: inout JSONBuffer) -> Bool {
        guard affinity == nil else { return false }
        switch type {
        case int8, int4, int2: buffer.append(contentsOf: bytes)
        case text, varchar: buffer.appendText(bytes)
        default: return false
        }
        return true
    }

    static func value(_ bytes: UnsafeBufferPointer<UInt8>, type: UInt32, modifier: Int32 = -1) -> Value {
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
            // A numeric(p,s) prints every value with s decimals: its trailing zeros say
            // nothing. An unconstrained numeric keeps the scale it was given (12.50).
            return numericValue(String(decoding: bytes, as: UTF8.self), scaleIsTyped: modifier >= 0)
        case jsonb:
            // jsonb prints `{"a": 1}`; applications (JSON.stringify) write `{"a":1}`. jsonb keeps
            // no spacing of its own, so it reads without the spaces between tokens.
            return .text(JSONText.compact(Array(bytes)))
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
    static func numericValue(_ text: String, scaleIsTyped: Bool = true) -> Value {
        if text == "Infinity" { return .real(.infinity) }
        if text == "-Infinity" { return .real(-.infinity) }
        // As SQLite keeps it (the text NaN in a NUMERIC column, read back as NaN): one value on both sides.
        if text == "NaN" { return .real(.nan) }
        var digits = text.utf8.drop { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
        guard !digits.isEmpty, digits.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") }) else { return .text(text) }
        if !digits.contains(UInt8(ascii: ".")), let whole = Int64(text) { return .integer(whole) }
        if digits.contains(UInt8(ascii: ".")) {
            guard scaleIsTyped || digits.last != UInt8(ascii: "0") else { return .text(text) }
            while digits.last == UInt8(ascii: "0") { digits = digits.dropLast() }
        }
        let significant = Array(digits.filter { $0 != UInt8(ascii: ".") }.drop { $0 == UInt8(ascii: "0") })
        guard let real = Double(text) else { return .text(text) }
        // Up to 15 digits a double gives the decimal back; beyond, only when the decimal is
        // that double's shortest form (0.30000000000000004, SQLite's REAL 0.1 + 0.2).
        if significant.count > 15 {
            var shortest = Array("\(abs(real))".utf8.prefix { $0 != UInt8(ascii: "e") }.filter { $0 != UInt8(ascii: ".") }.drop { $0 == UInt8(ascii: "0") })
            while shortest.last == UInt8(ascii: "0") { shortest.removeLast() }
            var mine = significant
            while mine.last == UInt8(ascii: "0") { mine.removeLast() }
            // A whole number past 64 bits is a REAL in SQLite's NUMERIC too (1e20 printed
            // as 100000000000000000000): its shortest form may have an exponent.
            guard mine == shortest, !"\(real)".contains("e") || !digits.contains(UInt8(ascii: ".")) else { return .text(text) }
        }
        if real.rounded() == real, abs(real) < 9.2e18 { return .integer(Int64(real)) } // 12.00 is SQLite's 12
        return .real(real)
    }

    /// How a SQLite table made from a PostgreSQL changeset declares a column of `type`:
    /// PostgreSQL's name behind a prefix that says where it came from, so the type crosses
    /// back to PostgreSQL as it was (`columnType`), while SQLite keeps the values as
    /// PostgreSQL printed them.
    /// - `pg:TYPE`: SQLite's affinity for the name keeps those values (`pg:integer` is an
    ///   INTEGER, `pg:timestamp(3) without time zone` text that looks like no number).
    /// - `pgblob:TYPE` (BLOB affinity: every value kept as given): json and jsonb (`1.0`),
    ///   bit strings (`0010`) and decimals that may hold more than 15 digits, which
    ///   SQLite's NUMERIC affinity would turn into numbers, rounding long ones. An exact
    ///   decimal is kept as the REAL or TEXT the export read, so a second import compares
    ///   like with like.
    static func sqliteDeclaredType(_ type: String) -> String {
        if type.hasPrefix(fromPostgres) || type.hasPrefix(fromPostgresExact) { return type }
        let lower = type.lowercased()
        let base = lower.hasSuffix("[]") ? String(lower.dropLast(2)) : lower
        var exact = ["json", "jsonb"].contains(base) || base.hasPrefix("bit")
        if base.hasPrefix("numeric") {
            let precision = base.dropFirst("numeric".count).drop { $0 == "(" }.prefix { $0.isNumber }
            exact = Int(precision).map { $0 > 15 } ?? true
        }
        return (exact ? fromPostgresExact : fromPostgres) + type
    }

    /// SQLite type-name prefixes of a column whose type came from PostgreSQL.
    static let fromPostgres = "pg:", fromPostgresExact = "pgblob:"

    /// The PostgreSQL column type for a column Ferry creates from a changeset's declared
    /// type. Where the type came from decides, never how it is spelled (`date` and
    /// `numeric(10,2)` are common SQLite names too):
    /// - from PostgreSQL (a `pg:` / `pgblob:` name: PostgreSQL's catalog as Ferry reads it,
    ///   or a SQLite table made from PostgreSQL): that type, when PostgreSQL knows it
    ///   (`known`), else text;
    /// - from SQLite: the type of the name's SQLite affinity that holds every value such a
    ///   column can hold unchanged (INTEGER `bigint`, REAL `double precision`, BLOB `bytea`,
    ///   TEXT, NUMERIC and none `text`): SQLite enforces no declared type, so `12345.678` in
    ///   a `DECIMAL(10,2)`, `'ab'` in a `CHAR(5)` or a time in a `DATE` stay as they were.
    /// The declared name itself travels in the column's comment.
    static func columnType(declared: String, known: (String) throws -> Bool) rethrows -> String {
        let trimmed = declared.trimmingCharacters(in: .whitespaces)
        var postgresName: String?
        if trimmed.hasPrefix(fromPostgresExact) { postgresName = String(trimmed.dropFirst(fromPostgresExact.count)) }
        else if trimmed.hasPrefix(fromPostgres) { postgresName = String(trimmed.dropFirst(fromPostgres.count)) }
        if let name = postgresName {
            // Only a name of letters, digits, spaces, `_`, `.`, `()`, `,` and `[]` is put
            // to PostgreSQL at all; anything else is no type name, whatever it claims.
            let plain = !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || " _.(),[]".contains($0) }
            return try plain && known(name) ? name : "text"
        }
        let upper = trimmed.uppercased()
        if upper.contains("INT") { return "bigint" }
        if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") { return "text" }
        if upper.contains("BLOB") { return "bytea" }
        if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") { return "double precision" }
        return "text" // NUMERIC affinity (and no type at all): integers, reals and text side by side
    }

    typealias Affinity = SQLiteAffinity

    /// The affinity under which a `text` column made for a SQLite column of `declared` type
    /// reads back, when that affinity converts text at all (INTEGER, REAL, NUMERIC).
    static func convertingAffinity(of declared: String) -> Affinity? {
        let affinity = affinity(of: declared)
        return affinity == .integer || affinity == .real || affinity == .numeric ? affinity : nil
    }

    /// An epoch count as PostgreSQL prints a `timestamp` (`timestamptz` with `+00`) in a UTC
    /// session: `YYYY-MM-DD HH:MM:SS`, a fraction only when there is one, its trailing zeros
    /// cut. In `unit` (milliseconds a count, 1 or 1000) when the changeset says it for the
    /// column; else milliseconds from 10^10 up (1970-04-26; as seconds that would be past
    /// 2286), seconds below, where Unix times of today lie, so that a count of milliseconds
    /// within 115 days of 1970 is read as seconds. nil before year 1, or past Int64.
    static func timestampText(epoch number: Int64, withZone: Bool, unit: Int64? = nil) -> String? {
        // No `abs`: it traps on the smallest 64-bit integer.
        let unit = unit ?? (number >= 10_000_000_000 || number <= -10_000_000_000 ? 1 : 1000)
        let (milliseconds, overflow) = number.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        var seconds = milliseconds / 1000
        var fraction = milliseconds % 1000
        if fraction < 0 { fraction += 1000; seconds -= 1 }
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return nil }
        let year = Int(parts.tm_year) + 1900
        guard year >= 1 else { return nil }
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = "\(padded(year, 4))-\(padded(Int(parts.tm_mon) + 1, 2))-\(padded(Int(parts.tm_mday), 2)) \(padded(Int(parts.tm_hour), 2)):\(padded(Int(parts.tm_min), 2)):\(padded(Int(parts.tm_sec), 2))"
        if fraction != 0 {
            var digits = padded(Int(fraction), 3)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return withZone ? text + "+00" : text
    }

    /// SQLite's affinity of a declared type name.
    static func affinity(of declared: String) -> Affinity { SQLiteAffinity(declared: declared) }

    /// A TEXT value read from a `text` column Ferry made for a SQLite column of `declared`
    /// type, as that SQLite column would hold it: its affinity turns numeric text into a
    /// number (https://www.sqlite.org/datatype3.html#type_affinity). Without this a value
    /// of SQLite's NUMERIC column came back as TEXT, and every re-import saw a change.
    static func applyingAffinity(_ value: Value, _ affinity: Affinity) -> Value {
        guard case .text(let bytes) = value else { return value }
        guard affinity == .integer || affinity == .numeric || affinity == .real else { return value }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }), text.contains(where: \.isNumber) else { return value }
        if affinity != .real, let whole = Int64(text) { return .integer(whole) }
        guard let real = Double(text), real.isFinite else { return value }
        if affinity != .real, real == real.rounded(), abs(real) < 9.2e18 { return .integer(Int64(real)) }
        return .real(real)
    }
}

extension PostgresTypes {
    /// How a column of type `type` is read (`cell` is its quoted name or `alias.name`).
    static func readExpression(_ cell: String, type: UInt32?) -> String {
        type == xml ? "\(cell)::text" : cell
    }
}

/// A `character(n)` or `character varying(n)` column's length: PostgreSQL stores a longer
/// value cut to it when only spaces are cut (else refuses it), and pads a `character(n)`
/// value to it. It reads back so.
struct CharacterLength: Equatable {
    let length: Int
    let padded: Bool

    enum Storing: Equatable {
        case asItIs
        case changed([UInt8])
        /// Longer than the length by more than spaces: the server refuses it.
        case refused
    }

    /// How the column stores `text`.
    func storing(_ text: [UInt8]) -> Storing {
        // Characters, as PostgreSQL counts them in a UTF-8 database: bytes that begin one.
        var count = 0, end = text.count
        for (index, byte) in text.enumerated() where byte & 0xC0 != 0x80 {
            if count == length { end = index; break }
            count += 1
        }
        if end < text.count {
            guard text[end...].allSatisfy({ $0 == UInt8(ascii: " ") }) else { return .refused }
            return .changed(Array(text[..<end]))
        }
        guard padded, count < length else { return .asItIs }
        return .changed(text + repeatElement(UInt8(ascii: " "), count: length - count))
    }

    /// `text` as the column stores it; nil when stored as it is (or refused: left for the
    /// server to refuse).
    func stored(_ text: [UInt8]) -> [UInt8]? {
        if case .changed(let stored) = storing(text) { return stored }
        return nil
    }

    /// What `array_out` quotes an element for (with an empty one and `NULL` in any case).
    private static let quotedInArrays: Set<UInt8> = Set("\"\\{}, \t\n\u{0B}\u{0C}\r".utf8)

    /// An array of such elements as printed by PostgreSQL (`{ab,"c d",NULL}`, nested for
    /// more dimensions, `[0:1]={…}` where the bounds are not 1), each element as the column
    /// stores it, printed as PostgreSQL prints it; nil when an element would be refused, or
    /// the text is not an array as PostgreSQL prints one.
    func storedArray(_ printed: [UInt8]) -> [UInt8]? {
        guard let open = printed.firstIndex(of: UInt8(ascii: "{")) else { return nil }
        var output = Array(printed[..<open])
        var index = open
        var element: [UInt8] = []
        func emit(_ element: [UInt8]) -> Bool {
            var stored = element
            switch storing(element) {
            case .refused: return false
            case .changed(let changed): stored = changed
            case .asItIs: break
            }
            // array_out's rule: quoted when empty, "NULL" in any case, or holding a quote, a
            // backslash, a brace, the delimiter or white space.
            let quoted = stored.isEmpty || stored.contains(where: Self.quotedInArrays.contains)
                || stored.count == 4 && String(decoding: stored, as: UTF8.self).uppercased() == "NULL"
            guard quoted else { output += stored; return true }
            output.append(34)
            for byte in stored {
                if byte == 34 || byte == 92 { output.append(92) }
                output.append(byte)
            }
            output.append(34)
            return true
        }
        while index < printed.count {
            let byte = printed[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ","):
                output.append(byte)
                index += 1
            case UInt8(ascii: "\""):
                element.removeAll(keepingCapacity: true)
                index += 1
                while index < printed.count, printed[index] != UInt8(ascii: "\"") {
                    if printed[index] == UInt8(ascii: "\\") { index += 1 }
                    guard index < printed.count else { return nil }
                    element.append(printed[index])
                    index += 1
                }
                guard index < printed.count else { return nil }
                index += 1
                guard emit(element) else { return nil }
            default:
                element.removeAll(keepingCapacity: true)
                while index < printed.count, printed[index] != UInt8(ascii: ","), printed[index] != UInt8(ascii: "}"), printed[index] != UInt8(ascii: "{") {
                    element.append(printed[index])
                    index += 1
                }
                // Unquoted, NULL is no element but the null value.
                if element == Array("NULL".utf8) { output += element } else if !emit(element) { return nil }
            }
        }
        return output
    }
}
