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
    static let float4: UInt32 = 700, float8: UInt32 = 701, numeric: UInt32 = 1700

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

    /// How a SQLite table made from a PostgreSQL changeset declares a column of `type`.
    /// SQLite's NUMERIC affinity keeps a decimal as a REAL whenever its first 15 digits
    /// survive, so `numeric(30,10)` would lose its last digits there: a decimal that may hold
    /// more than 15 digits is declared `numeric text(p,s)`, which SQLite's rules read as TEXT
    /// affinity (the value stays exact text) and `columnType` reads back as `numeric(p,s)`.
    static func sqliteDeclaredType(_ type: String) -> String {
        let lower = type.lowercased()
        guard lower.hasPrefix("numeric") else { return type }
        let arguments = lower.dropFirst("numeric".count)
        let precision = arguments.drop { $0 == "(" }.prefix { $0.isNumber }
        if let digits = Int(precision), digits <= 15 { return type }
        return exactDecimal + arguments
    }

    static let exactDecimal = "numeric text"

    /// The PostgreSQL column type for a column a changeset declares, which may come from
    /// SQLite (any type name, or none) or from PostgreSQL (`format_type`'s spelling).
    /// SQLite's INTEGER holds 64 bits, so it becomes `bigint`; a name PostgreSQL does not
    /// know (`known` says, through `to_regtype`) becomes the type of its SQLite affinity.
    static func columnType(declared: String, known: (String) throws -> Bool) rethrows -> String {
        let trimmed = declared.trimmingCharacters(in: .whitespaces)
        let upper = trimmed.uppercased()
        // A decimal a SQLite table made from PostgreSQL keeps as exact text (sqliteDeclaredType).
        if upper.hasPrefix(exactDecimal.uppercased()) { return "numeric" + trimmed.dropFirst(exactDecimal.count) }
        switch upper {
        case "": return "text" // no type: SQLite keeps any value; text holds every one of them as written
        case "INTEGER", "INT", "MEDIUMINT", "UNSIGNED BIG INT", "INT8", "BIGINT": return "bigint"
        case "TINYINT", "SMALLINT", "INT2": return "smallint"
        case "INT4": return "integer"
        case "BOOLEAN", "BOOL": return "boolean"
        case "REAL", "DOUBLE", "DOUBLE PRECISION", "FLOAT", "FLOAT8": return "double precision"
        case "BLOB": return "bytea"
        case "CLOB", "STRING": return "text"
        default: break
        }
        // Only a type name of letters, digits, spaces, parentheses, commas and [] is passed
        // on to PostgreSQL; anything else is no type name, whatever it claims to be.
        let allowed = trimmed.allSatisfy { $0.isLetter || $0.isNumber || " _(),[]".contains($0) }
        if allowed, try known(trimmed) { return trimmed }
        // SQLite's affinity rules, in its order (https://www.sqlite.org/datatype3.html).
        if upper.contains("INT") { return "bigint" }
        if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") { return "text" }
        if upper.contains("BLOB") { return "bytea" }
        if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") { return "double precision" }
        return "text"
    }
}
