import Foundation

/// What a store that writes its own DDL for a table a changeset brings (PostgreSQL) can
/// carry over beyond columns, keys and references, and what it cannot. Identities first:
/// a UNIQUE index over `lower`, `upper` or `trim` of a column, and a text column compared
/// without case (SQLite's `COLLATE NOCASE`, carried as `lower`), are natural keys, and a
/// table created without them matches rows by less than its source did (a stranger's
/// row then overwritten, a case-duplicate let in). Partial indexes, other expressions and
/// CHECK constraints are SQL of the source's dialect, never run from a changeset: said.
package struct PortableIndexes {
    /// UNIQUE keys over expressions, each template one of `PortableIndexes.templates`
    /// (nil: the plain column).
    package var unique: [ExpressionKey] = []
    /// Natural keys (`TableDefinition.matchSets`) made `unique` above, as a column of them
    /// compares without case: no plain UNIQUE for them.
    package var caseInsensitiveSets: [[String]] = []
    /// CHECK constraints both stores read and judge alike (`PortableCheck`).
    package var checks: [PortableCheck] = []
    /// What the created table lacks, in words for the report.
    package var notCarried: [String] = []

    /// Templates carried, as both stores write them.
    package static let templates: Set<String> = ["lower(\u{1})", "upper(\u{1})", "trim(\u{1})"]

    package init(_ table: TableDefinition) {
        let columns = table.columnNames
        let noCase = Self.columnsWithoutCase(inCreateTable: table.create, columns: columns)
        for set in table.matchSets where set.contains(where: noCase.contains) {
            caseInsensitiveSets.append(set)
            unique.append(ExpressionKey(columns: set, templates: set.map { noCase.contains($0) ? "lower(\u{1})" : nil }))
        }
        for statement in table.indexes where statement.drop(while: \.isWhitespace).uppercased().hasPrefix("CREATE UNIQUE INDEX") {
            let shown = statement.count > 120 ? statement.prefix(117) + "…" : Substring(statement)
            if Self.hasKeyword("WHERE", in: statement) {
                notCarried.append("the partial unique index \(shown)")
                continue
            }
            guard let key = IndexExpressions.key(fromCreateIndex: statement, columns: columns),
                  key.templates.contains(where: { $0 != nil }) else { continue } // plain columns: a natural key already
            guard let expression = Self.portable(key) else {
                notCarried.append("the unique index \(shown) (only lower, upper and trim of a column are carried)")
                continue
            }
            if !unique.contains(expression) { unique.append(expression) }
        }
        let found = PortableCheck.checks(inCreateTable: table.create, columns: table.columns)
        checks = found.portable
        notCarried += found.notPortable.map { "\($0) (only comparisons, IN, BETWEEN, IS NULL and length, abs, trim of its columns are carried)" }
        let generated = Self.generatedColumns(inCreateTable: table.create, columns: columns)
        if !generated.isEmpty {
            notCarried.append("the generated column\(generated.count == 1 ? "" : "s") \(generated.joined(separator: ", ")) (computed from other columns by an expression of the source's SQL; its values are not data a changeset carries)")
        }
    }

    /// The columns of a CREATE TABLE that are not among `columns` (a definition lists only
    /// the columns rows are written to) and are computed (`GENERATED ALWAYS AS (…)`, or
    /// SQLite's shorter `AS (…)`), in the table's order.
    static func generatedColumns(inCreateTable sql: String, columns: [String]) -> [String] {
        guard let open = sql.firstIndex(of: "("), let close = sql.lastIndex(of: ")"), open < close else { return [] }
        let known = Set(columns.map { $0.lowercased() })
        let constraints: Set<String> = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
        var result: [String] = []
        for part in topLevelParts(of: sql[sql.index(after: open)..<close]) {
            guard let name = leadingName(of: part), !constraints.contains(name.uppercased()), hasKeyword("AS", in: String(part)) else { continue }
            if !known.contains(name.lowercased()) { result.append(name) }
        }
        return result
    }

    /// The name a column definition begins with, its quotes undone: `"e f"`, `"q""uote"`,
    /// `[brack et]`, `` `back tick` `` or a bare word.
    static func leadingName(of part: Substring) -> String? {
        let text = part.drop(while: \.isWhitespace)
        guard let first = text.first else { return nil }
        let close: Character? = first == "\"" ? "\"" : first == "`" ? "`" : first == "[" ? "]" : nil
        guard let close else { return text.split(whereSeparator: \.isWhitespace).first.map(String.init) }
        var name = "", index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let c = text[index]
            index = text.index(after: index)
            if c == close {
                // A doubled quote inside a quoted name is one quote (not in brackets).
                if close != "]", index < text.endIndex, text[index] == close { name.append(c); index = text.index(after: index); continue }
                return name
            }
            name.append(c)
        }
        return nil
    }

    /// `key` with each template in the spelling both stores write, or nil when one is not
    /// among `templates`.
    package static func portable(_ key: ExpressionKey) -> ExpressionKey? {
        let templates: [String?] = key.templates.map { $0.map(portable) }
        guard templates.allSatisfy({ $0.map(Self.templates.contains) ?? true }) else { return nil }
        return ExpressionKey(columns: key.columns, templates: templates)
    }

    /// `lower((•)::text)` (as PostgreSQL prints it), `LOWER( • )`, `• COLLATE NOCASE`: the
    /// template in the one spelling `templates` holds, or the text as it was.
    package static func portable(_ template: String) -> String {
        var text = template.lowercased().filter { !$0.isWhitespace }
        for cast in ["::text", "::charactervarying", "::citext", "::varchar"] { text = text.replacingOccurrences(of: cast, with: "") }
        while text.contains("(\u{1})") { text = text.replacingOccurrences(of: "(\u{1})", with: "\u{1}") }
        for function in ["lower", "upper", "trim"] { text = text.replacingOccurrences(of: function + "\u{1}", with: function + "(\u{1})") }
        if text == "\u{1}collatenocase" { return "lower(\u{1})" }
        return text
    }

    /// Columns of a CREATE TABLE whose definition says `COLLATE NOCASE`.
    static func columnsWithoutCase(inCreateTable sql: String, columns: [String]) -> Set<String> {
        guard let open = sql.firstIndex(of: "("), let close = sql.lastIndex(of: ")"), open < close else { return [] }
        let lowered = Dictionary(columns.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var result = Set<String>()
        for part in topLevelParts(of: sql[sql.index(after: open)..<close]) {
            let words = part.split(whereSeparator: \.isWhitespace)
            guard let first = words.first, hasKeyword("COLLATE", in: String(part)),
                  part.uppercased().replacingOccurrences(of: "\"", with: "").contains("COLLATE NOCASE") else { continue }
            let name = first.trimmingCharacters(in: CharacterSet(charactersIn: "\"`[]")).lowercased()
            if let column = lowered[name] { result.insert(column) }
        }
        return result
    }

    /// Columns of a CREATE TABLE whose definition names a collation other than BINARY
    /// (NOCASE, RTRIM, one of an extension): they compare by rules the other store lacks.
    static func columnsWithCollation(inCreateTable sql: String, columns: [String]) -> Set<String> {
        guard let open = sql.firstIndex(of: "("), let close = sql.lastIndex(of: ")"), open < close else { return [] }
        let lowered = Dictionary(columns.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var result = Set<String>()
        for part in topLevelParts(of: sql[sql.index(after: open)..<close]) where hasKeyword("COLLATE", in: String(part)) {
            let spaced = part.uppercased().replacingOccurrences(of: "\"", with: "").split(whereSeparator: \.isWhitespace)
            guard let at = spaced.firstIndex(of: "COLLATE"), at + 1 < spaced.count, spaced[at + 1] != "BINARY",
                  let first = part.split(whereSeparator: \.isWhitespace).first else { continue }
            let name = first.trimmingCharacters(in: CharacterSet(charactersIn: "\"`[]")).lowercased()
            if let column = lowered[name] { result.insert(column) }
        }
        return result
    }

    /// A CREATE TABLE's definitions, split at the commas outside parentheses and quotes.
    private static func topLevelParts(of text: Substring) -> [Substring] {
        var parts: [Substring] = [], depth = 0, quote: Character?, start = text.startIndex
        for index in text.indices {
            let c = text[index]
            if let open = quote {
                if c == (open == "[" ? "]" : open) { quote = nil }
                continue
            }
            switch c {
            case "'", "\"", "`", "[": quote = c
            case "(": depth += 1
            case ")": depth -= 1
            case "," where depth == 0:
                parts.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        parts.append(text[start...])
        return parts
    }

    /// Whether `word` stands in `sql` as a keyword: outside quotes, not part of a name.
    static func hasKeyword(_ word: String, in sql: String) -> Bool {
        var quote: Character?, current = ""
        for c in sql + " " {
            if let open = quote {
                if c == (open == "[" ? "]" : open) { quote = nil }
                continue
            }
            if c == "'" || c == "\"" || c == "`" || c == "[" { quote = c; current = ""; continue }
            if c.isLetter || c == "_" || c.isNumber {
                current.append(c)
            } else {
                if current.uppercased() == word { return true }
                current = ""
            }
        }
        return false
    }
}
