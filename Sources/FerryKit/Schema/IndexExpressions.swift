/// Reads the parts of `CREATE UNIQUE INDEX name ON table (part, part, …)` well enough to
/// match rows by them: each part must be a plain column, or an expression that names
/// exactly one column of the table (`lower(email)`, `trim("Code")`). Anything else (a
/// part over two columns, a subquery, unbalanced text) gives nil: no identity, as before.
package enum IndexExpressions {
    package static func key(fromCreateIndex sql: String, columns: [String]) -> ExpressionKey? {
        let text = Array(sql.unicodeScalars)
        // The part list is the first parenthesis after the keyword ON.
        guard let on = findKeyword("ON", in: text), let open = text[on...].firstIndex(of: "(") else { return nil }
        var parts: [[Unicode.Scalar]] = []
        var depth = 0
        var current: [Unicode.Scalar] = []
        var index = open + 1
        while index < text.count {
            let c = text[index]
            if c == "'" || c == "\"" || c == "`" || c == "[" {
                guard let end = closingQuote(of: c, from: index, in: text) else { return nil }
                current += text[index...end]
                index = end + 1
                continue
            }
            if c == "(" { depth += 1 }
            if c == ")" {
                if depth == 0 { parts.append(current); break }
                depth -= 1
            }
            if c == "," && depth == 0 { parts.append(current); current = [] } else { current.append(c) }
            index += 1
        }
        guard index < text.count, !parts.isEmpty else { return nil }
        let lowered = Dictionary(columns.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var keyColumns: [String] = []
        var templates: [String?] = []
        for part in parts {
            let trimmed = stripOrdering(String(String.UnicodeScalarView(part)).trimmingCharacters(in: .whitespacesAndNewlines))
            let tokens = identifiers(in: Array(trimmed.unicodeScalars))
            let named = Set(tokens.compactMap { lowered[$0.name.lowercased()] })
            guard named.count == 1, let column = named.first, !trimmed.lowercased().contains("select") else { return nil }
            if tokens.count == 1 && tokens[0].range == 0..<trimmed.unicodeScalars.count {
                templates.append(nil) // a plain column
            } else {
                var template = Array(trimmed.unicodeScalars)
                for token in tokens.reversed() where lowered[token.name.lowercased()] == column {
                    template.replaceSubrange(token.range, with: ExpressionKey.placeholder.unicodeScalars)
                }
                templates.append(String(String.UnicodeScalarView(template)))
            }
            keyColumns.append(column)
        }
        return ExpressionKey(columns: keyColumns, templates: templates)
    }

    /// `lower(email) COLLATE NOCASE DESC` → `lower(email)`: ordering does not change identity.
    private static func stripOrdering(_ part: String) -> String {
        var result = part
        for suffix in [" ASC", " DESC"] where result.uppercased().hasSuffix(suffix) {
            result = String(result.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// Where the quoted text opened at `start` ends; a doubled quote inside ("we""ird") is
    /// part of the text, as in SQL.
    private static func closingQuote(of open: Unicode.Scalar, from start: Int, in text: [Unicode.Scalar]) -> Int? {
        let close: Unicode.Scalar = open == "[" ? "]" : open
        var index = start + 1
        while index < text.count {
            if text[index] == close {
                if open != "[", index + 1 < text.count, text[index + 1] == close { index += 2; continue }
                return index
            }
            index += 1
        }
        return nil
    }

    private static func findKeyword(_ word: String, in text: [Unicode.Scalar]) -> Int? {
        for token in identifiers(in: text) where !token.quoted && token.name.uppercased() == word { return token.range.upperBound }
        return nil
    }

    /// Identifier tokens (bare or quoted), skipping string literals.
    private static func identifiers(in text: [Unicode.Scalar]) -> [(name: String, range: Range<Int>, quoted: Bool)] {
        var result: [(String, Range<Int>, Bool)] = []
        var index = 0
        while index < text.count {
            let c = text[index]
            if c == "'" {
                index = (closingQuote(of: "'", from: index, in: text) ?? text.count - 1) + 1
            } else if c == "\"" || c == "`" || c == "[" {
                let end = closingQuote(of: c, from: index, in: text) ?? text.count - 1
                let close = String(c == "[" ? "]" : c)
                let name = String(String.UnicodeScalarView(text[(index + 1)..<end])).replacingOccurrences(of: close + close, with: close)
                result.append((name, index..<(end + 1), true))
                index = end + 1
            } else if c.properties.isAlphabetic || c == "_" {
                var end = index
                while end < text.count, text[end].properties.isAlphabetic || text[end] == "_" || ("0"..."9").contains(text[end]) || text[end] == "$" { end += 1 }
                // A name followed by "(" is a function, not a column.
                var next = end
                while next < text.count, text[next] == " " { next += 1 }
                if next >= text.count || text[next] != "(" {
                    result.append((String(String.UnicodeScalarView(text[index..<end])), index..<end, false))
                }
                index = end
            } else {
                index += 1
            }
        }
        return result
    }
}
