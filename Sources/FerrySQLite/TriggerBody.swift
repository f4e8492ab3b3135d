import FerryKit

/// What a SQLite trigger does, read from its tokens (string literals, comments and quoted
/// names read as SQLite reads them), so that an import can set aside exactly the triggers
/// that stamp the rows it writes with the time, and nothing else.
enum TriggerBody {
    enum Kind: Equatable {
        /// Every statement sets columns of its own table to the current time
        /// (`UPDATE t SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id`): set aside.
        case stamp
        /// Stamps with the time, and does more (keeps a search index, writes an audit row,
        /// checks): it keeps firing, and what it stamps will look changed to the other side.
        case stampAndMore
        /// Anything else: checks, other tables, values derived from the row.
        case other
    }

    static func kind(of sql: String, table: String) -> Kind {
        let tokens = tokenize(sql)
        guard let begin = tokens.firstIndex(where: { $0.isWord("BEGIN") }) else { return .other }
        var statements: [[Token]] = [[]]
        for token in tokens[(begin + 1)...] {
            if token.text == ";" && !token.quoted { statements.append([]) } else { statements[statements.count - 1].append(token) }
        }
        statements = statements.filter { !$0.isEmpty && !($0.count == 1 && $0[0].isWord("END")) }
        let stamps = statements.filter { isTimeStamp($0, of: table) }.count
        if stamps == 0 { return .other }
        return stamps == statements.count ? .stamp : .stampAndMore
    }

    /// `UPDATE [OR …] t SET a = <now>, b = <now> …` on the trigger's own table, every value
    /// the current time.
    private static func isTimeStamp(_ statement: [Token], of table: String) -> Bool {
        guard statement.first?.isWord("UPDATE") == true else { return false }
        var index = 1
        if index < statement.count, statement[index].isWord("OR") { index += 2 }
        // The table, plain or schema-qualified.
        guard index < statement.count else { return false }
        var named = statement[index]
        if index + 2 < statement.count, statement[index + 1].text == ".", !statement[index + 1].quoted {
            named = statement[index + 2]
            index += 2
        }
        guard !named.isString, sameName(named.text, table), index + 1 < statement.count, statement[index + 1].isWord("SET") else { return false }
        // Assignments up to WHERE / FROM / RETURNING, split at top-level commas.
        var assignments: [[Token]] = [[]]
        var depth = 0
        for token in statement[(index + 2)...] {
            if depth == 0, token.isWord("WHERE") || token.isWord("FROM") || token.isWord("RETURNING") { break }
            if token.text == "(" && !token.quoted { depth += 1 }
            if token.text == ")" && !token.quoted { depth -= 1 }
            if depth == 0 && token.text == "," && !token.quoted { assignments.append([]) } else { assignments[assignments.count - 1].append(token) }
        }
        return assignments.allSatisfy { assignment in
            guard let equals = assignment.firstIndex(where: { $0.text == "=" && !$0.quoted }) else { return false }
            return readsTheTime(Array(assignment[(equals + 1)...]))
        }
    }

    /// Whether an expression takes the current time: CURRENT_TIMESTAMP / _DATE / _TIME, a
    /// date function given 'now', or unixepoch() without arguments.
    private static func readsTheTime(_ expression: [Token]) -> Bool {
        for (index, token) in expression.enumerated() {
            if token.isWord("CURRENT_TIMESTAMP") || token.isWord("CURRENT_DATE") || token.isWord("CURRENT_TIME") { return true }
            if token.isString && token.text.lowercased() == "now" { return true }
            if token.isWord("UNIXEPOCH"), index + 2 < expression.count, expression[index + 1].text == "(", expression[index + 2].text == ")" { return true }
        }
        return false
    }

    /// SQLite compares names case-insensitively for ASCII letters only ("Été" and "été"
    /// are two tables).
    static func sameName(_ a: String, _ b: String) -> Bool {
        func folded(_ text: String) -> [UInt8] { text.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 } }
        return folded(a) == folded(b)
    }

    struct Token {
        let text: String
        /// A quoted name ("t", `t`, [t]) or a string literal: never a keyword.
        let quoted: Bool
        /// A string literal ('now').
        let isString: Bool

        func isWord(_ word: String) -> Bool { !quoted && text.uppercased() == word }
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
                tokens.append(Token(text: String(text), quoted: true, isString: c == "'"))
                continue
            }
            if isNamePart(c) {
                var text = String.UnicodeScalarView()
                while index < characters.count, isNamePart(characters[index]) { text.append(characters[index]); index += 1 }
                tokens.append(Token(text: String(text), quoted: false, isString: false))
                continue
            }
            tokens.append(Token(text: String(c), quoted: false, isString: false))
            index += 1
        }
        return tokens
    }
}
