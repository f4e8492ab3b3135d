import FerryKit

/// What a SQLite trigger's SQL writes, read from its tokens (string literals, comments and
/// quoted names skipped as SQLite reads them), so that an import can set aside exactly the
/// triggers that rewrite the rows it writes.
enum TriggerBody {
    /// Whether the trigger's statements write `table` itself: `UPDATE [OR …] t SET`,
    /// `INSERT [OR …] INTO t`, `REPLACE INTO t`, `DELETE FROM t` (schema-qualified or not).
    /// A stamp (`UPDATE t SET updated_at = …` after each update) is such a trigger; a check
    /// (`SELECT RAISE(…)`), an audit row or a search index written elsewhere is not.
    static func writesOwnTable(_ sql: String, table: String) -> Bool {
        let tokens = tokenize(sql)
        func isWord(_ index: Int, _ word: String) -> Bool {
            index < tokens.count && !tokens[index].quoted && tokens[index].text.uppercased() == word
        }
        /// The table named at `index` (`name` or `schema.name`), and the index after it.
        func name(at index: Int) -> (String, Int)? {
            guard index < tokens.count, tokens[index].text != "." else { return nil }
            if index + 2 < tokens.count, tokens[index + 1].text == ".", !tokens[index + 1].quoted { return (tokens[index + 2].text, index + 3) }
            return (tokens[index].text, index + 1)
        }
        let target = table.lowercased()
        for index in tokens.indices {
            var next = index + 1
            if isWord(index, "UPDATE") || isWord(index, "INSERT") {
                if isWord(next, "OR") { next += 2 }
                if isWord(index, "INSERT") {
                    guard isWord(next, "INTO") else { continue }
                    next += 1
                }
                guard let (named, after) = name(at: next), named.lowercased() == target else { continue }
                if isWord(index, "INSERT") || isWord(after, "SET") { return true }
            } else if (isWord(index, "REPLACE") && isWord(next, "INTO")) || (isWord(index, "DELETE") && isWord(next, "FROM")) {
                if let (named, _) = name(at: next + 1), named.lowercased() == target { return true }
            }
        }
        return false
    }

    struct Token {
        let text: String
        /// A quoted name ("t", `t`, [t]): never a keyword.
        let quoted: Bool
    }

    static func tokenize(_ sql: String) -> [Token] {
        let characters = Array(sql.unicodeScalars)
        var tokens: [Token] = []
        var index = 0
        func isNamePart(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "$" || c.value > 0x7F }
        while index < characters.count {
            let c = characters[index]
            if c.properties.isWhitespace { index += 1; continue }
            if c == "-", index + 1 < characters.count, characters[index + 1] == "-" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            }
            if c == "/", index + 1 < characters.count, characters[index + 1] == "*" {
                index += 2
                while index + 1 < characters.count, !(characters[index] == "*" && characters[index + 1] == "/") { index += 1 }
                index += 2
                continue
            }
            if c == "'" || c == "\"" || c == "`" || c == "[" {
                let close: Unicode.Scalar = c == "[" ? "]" : c
                var text = String.UnicodeScalarView()
                index += 1
                while index < characters.count {
                    if characters[index] == close {
                        // A doubled quote is one quote inside ('it''s', "a""b"); brackets have none.
                        if close != "]", index + 1 < characters.count, characters[index + 1] == close { text.append(close); index += 2; continue }
                        break
                    }
                    text.append(characters[index])
                    index += 1
                }
                index += 1
                // A string literal is never a name here; keep it apart so it matches nothing.
                tokens.append(Token(text: c == "'" ? "\u{0}" : String(text), quoted: true))
                continue
            }
            if isNamePart(c) {
                var text = String.UnicodeScalarView()
                while index < characters.count, isNamePart(characters[index]) { text.append(characters[index]); index += 1 }
                tokens.append(Token(text: String(text), quoted: false))
                continue
            }
            tokens.append(Token(text: String(c), quoted: false))
            index += 1
        }
        return tokens
    }
}
