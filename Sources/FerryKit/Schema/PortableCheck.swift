import Foundation

/// A CHECK constraint in a form SQLite and PostgreSQL read alike and judge alike, or the
/// reason it has none.
///
/// A changeset's DDL is a stranger's text, and PostgreSQL never runs it (`createTable`
/// writes its own); SQLite runs it under an authorizer. So a CHECK crosses between the two
/// only as a small grammar read here and written anew: every name a column of the table,
/// quoted; every literal written again; every operator from a fixed list; the whole
/// expression parenthesized, so precedence (SQLite binds `||` tighter than `*`, PostgreSQL
/// looser) never decides. What would judge a row differently in the two stores stays
/// behind and is said: ordering of text (PostgreSQL's collation is the database's, SQLite's
/// is bytes), LIKE and GLOB (case), lower/upper (SQLite folds ASCII only), the time, any
/// other function, CASE, subqueries.
package struct PortableCheck: Equatable, Sendable {
    /// The expression, without `CHECK`, as both stores read it.
    package var expression: String
    /// The text it was read from, for messages.
    package var original: String

    /// A table's CHECK constraints in its CREATE TABLE text: those that cross, and the text
    /// of each that does not.
    package static func checks(inCreateTable sql: String, columns: [ColumnDefinition]) -> (portable: [PortableCheck], notPortable: [String]) {
        guard let tokens = try? Tokenizer(sql).tokens() else {
            return ([], PortableIndexes.hasKeyword("CHECK", in: sql) ? ["its CHECK constraints (the table's text could not be read)"] : [])
        }
        var portable: [PortableCheck] = [], notPortable: [String] = []
        var index = 0
        while index < tokens.count {
            defer { index += 1 }
            guard tokens[index].isWord("CHECK"), index + 1 < tokens.count, tokens[index + 1].kind == .symbol("(") else { continue }
            var depth = 0, end = index + 1
            while end < tokens.count {
                if tokens[end].kind == .symbol("(") { depth += 1 }
                if tokens[end].kind == .symbol(")") { depth -= 1; if depth == 0 { break } }
                end += 1
            }
            guard end < tokens.count else { break }
            let inner = Array(tokens[(index + 2)..<end])
            let text = inner.isEmpty ? "" : String(sql[inner.first!.range.lowerBound..<inner.last!.range.upperBound])
            if let check = translate(inner, original: text, columns: columns) {
                if !portable.contains(check) { portable.append(check) }
            } else {
                notPortable.append("CHECK (\(text.count > 100 ? text.prefix(97) + "…" : Substring(text)))")
            }
            index = end
        }
        return (portable, notPortable)
    }

    /// `pg_get_constraintdef`'s `CHECK ((qty >= 0))`, as PostgreSQL prints it, or nil.
    package static func fromPostgres(_ definition: String, columns: [ColumnDefinition]) -> PortableCheck? {
        guard let tokens = try? Tokenizer(definition, bracketsQuoteNames: false).tokens(), tokens.count >= 3, tokens[0].isWord("CHECK"),
              tokens[1].kind == .symbol("("), tokens.last?.kind == .symbol(")") else { return nil }
        let inner = Array(tokens[2..<(tokens.count - 1)])
        guard !inner.isEmpty else { return nil }
        return translate(inner, original: String(definition[inner.first!.range.lowerBound..<inner.last!.range.upperBound]), columns: columns)
    }

    private static func translate(_ tokens: [Token], original: String, columns: [ColumnDefinition]) -> PortableCheck? {
        var parser = Parser(tokens: tokens, columns: columns)
        guard let expression = parser.parseWhole() else { return nil }
        return PortableCheck(expression: expression.sql, original: original)
    }

    // MARK: Tokens

    struct Token {
        enum Kind: Equatable {
            case word(String), name(String), string(String), number(String), symbol(String)
        }
        var kind: Kind
        var range: Range<String.Index>

        func isWord(_ word: String) -> Bool {
            if case .word(let text) = kind { return text.uppercased() == word }
            return false
        }
    }

    private struct Unreadable: Error {}

    /// SQL text in tokens; comments dropped. `[name]` is SQLite's quoted name, and
    /// PostgreSQL's `ARRAY[…]` (`bracketsQuoteNames` false).
    struct Tokenizer {
        let text: String
        let bracketsQuoteNames: Bool
        init(_ text: String, bracketsQuoteNames: Bool = true) {
            self.text = text
            self.bracketsQuoteNames = bracketsQuoteNames
        }

        func tokens() throws -> [Token] {
            var result: [Token] = []
            var i = text.startIndex
            func peek(_ offset: Int = 0) -> Character? {
                text.index(i, offsetBy: offset, limitedBy: text.endIndex).flatMap { $0 < text.endIndex ? text[$0] : nil }
            }
            while i < text.endIndex {
                let c = text[i], start = i
                if c.isWhitespace { i = text.index(after: i); continue }
                if c == "-", peek(1) == "-" {
                    while i < text.endIndex, text[i] != "\n" { i = text.index(after: i) }
                    continue
                }
                if c == "/", peek(1) == "*" {
                    guard let close = text.range(of: "*/", range: text.index(i, offsetBy: 2)..<text.endIndex) else { throw Unreadable() }
                    i = close.upperBound
                    continue
                }
                if c == "'" || c == "\"" || c == "`" || (c == "[" && bracketsQuoteNames) {
                    let closing: Character = c == "[" ? "]" : c
                    var value = ""
                    i = text.index(after: i)
                    while true {
                        guard i < text.endIndex else { throw Unreadable() }
                        if text[i] == closing {
                            let next = text.index(after: i)
                            if closing != "]", next < text.endIndex, text[next] == closing { value.append(closing); i = text.index(after: next); continue }
                            i = next
                            break
                        }
                        value.append(text[i])
                        i = text.index(after: i)
                    }
                    result.append(Token(kind: c == "'" ? .string(value) : .name(value), range: start..<i))
                    continue
                }
                if c.isNumber || (c == "." && peek(1)?.isNumber == true) {
                    while i < text.endIndex, text[i].isLetter || text[i].isNumber || text[i] == "." ||
                            ((text[i] == "+" || text[i] == "-") && "eE".contains(text[text.index(before: i)])) {
                        i = text.index(after: i)
                    }
                    result.append(Token(kind: .number(String(text[start..<i])), range: start..<i))
                    continue
                }
                if c.isLetter || c == "_" {
                    while i < text.endIndex, text[i].isLetter || text[i].isNumber || text[i] == "_" || text[i] == "$" { i = text.index(after: i) }
                    result.append(Token(kind: .word(String(text[start..<i])), range: start..<i))
                    continue
                }
                let pair = peek(1).map { String([c, $0]) } ?? ""
                if ["<=", ">=", "<>", "!=", "==", "||", "::"].contains(pair) {
                    i = text.index(i, offsetBy: 2)
                    result.append(Token(kind: .symbol(pair), range: start..<i))
                    continue
                }
                guard "()=<>+-*/%,.;[]".contains(c) else { throw Unreadable() }
                i = text.index(after: i)
                result.append(Token(kind: .symbol(String(c)), range: start..<i))
            }
            return result
        }
    }

    // MARK: Grammar

    /// An expression written for both stores, and whether it may be text (ordering text is
    /// a matter of collation, which the two stores do not share).
    struct Written {
        var sql: String
        var mayBeText: Bool
        var isStringLiteral = false
    }

    struct Parser {
        let tokens: [Token]
        let columns: [ColumnDefinition]
        var position = 0

        init(tokens: [Token], columns: [ColumnDefinition]) {
            self.tokens = tokens
            self.columns = columns
        }

        mutating func parseWhole() -> Written? {
            guard let expression = or(), position == tokens.count else { return nil }
            return expression
        }

        private var current: Token? { position < tokens.count ? tokens[position] : nil }
        private func isWord(_ word: String, at offset: Int = 0) -> Bool {
            position + offset < tokens.count && tokens[position + offset].isWord(word)
        }
        private func isSymbol(_ symbol: String) -> Bool { current?.kind == .symbol(symbol) }
        private mutating func take(word: String) -> Bool {
            guard isWord(word) else { return false }
            position += 1
            return true
        }
        private mutating func take(symbol: String) -> Bool {
            guard isSymbol(symbol) else { return false }
            position += 1
            return true
        }

        private mutating func or() -> Written? { chain(words: ["OR"]) { $0.and() } }
        private mutating func and() -> Written? { chain(words: ["AND"]) { $0.not() } }

        /// One level of left-associative operators, `next (operator next)*`, each pair in
        /// parentheses: `words` spelt as keywords, `symbols` as they are.
        private mutating func chain(words: [String] = [], symbols: [String] = [], text: Bool = false, _ next: (inout Parser) -> Written?) -> Written? {
            guard var left = next(&self) else { return nil }
            while let spelled = operatorHere(words: words, symbols: symbols) {
                position += 1
                guard let right = next(&self) else { return nil }
                left = Written(sql: "(\(left.sql) \(spelled) \(right.sql))", mayBeText: text)
            }
            return left
        }

        private func operatorHere(words: [String], symbols: [String]) -> String? {
            if let word = words.first(where: { isWord($0) }) { return word }
            if case .symbol(let symbol)? = current?.kind, symbols.contains(symbol) { return symbol }
            return nil
        }

        private mutating func not() -> Written? {
            if take(word: "NOT") {
                guard let operand = not() else { return nil }
                return Written(sql: "(NOT \(operand.sql))", mayBeText: false)
            }
            return predicate()
        }

        private mutating func predicate() -> Written? {
            guard let left = additive() else { return nil }
            if case .symbol(let symbol)? = current?.kind, ["=", "==", "!=", "<>", "<", "<=", ">", ">="].contains(symbol) {
                position += 1
                // PostgreSQL's `x = ANY (ARRAY[…])` and `x <> ALL (ARRAY[…])`: an IN list.
                if (symbol == "=" && isWord("ANY")) || (symbol == "<>" && isWord("ALL")) {
                    position += 1
                    guard let list = array() else { return nil }
                    return Written(sql: "(\(left.sql) \(symbol == "=" ? "IN" : "NOT IN") (\(list)))", mayBeText: false)
                }
                guard let right = additive() else { return nil }
                let ordering = ["<", "<=", ">", ">="].contains(symbol)
                if ordering && (left.mayBeText || right.mayBeText) { return nil }
                let spelled = symbol == "==" ? "=" : symbol == "!=" ? "<>" : symbol
                return Written(sql: "(\(left.sql) \(spelled) \(right.sql))", mayBeText: false)
            }
            if take(word: "ISNULL") { return Written(sql: "(\(left.sql) IS NULL)", mayBeText: false) }
            if take(word: "NOTNULL") { return Written(sql: "(\(left.sql) IS NOT NULL)", mayBeText: false) }
            if isWord("IS") {
                // Only IS [NOT] NULL: SQLite's `a IS b` is PostgreSQL's IS NOT DISTINCT FROM.
                let negated = isWord("NOT", at: 1)
                guard isWord("NULL", at: negated ? 2 : 1) else { return nil }
                position += negated ? 3 : 2
                return Written(sql: "(\(left.sql) IS \(negated ? "NOT " : "")NULL)", mayBeText: false)
            }
            let negated = isWord("NOT") && (isWord("IN", at: 1) || isWord("BETWEEN", at: 1) || isWord("NULL", at: 1))
            if negated { position += 1 }
            if take(word: "NULL") {
                guard negated else { return nil }
                return Written(sql: "(\(left.sql) IS NOT NULL)", mayBeText: false)
            }
            if take(word: "IN") {
                guard let list = list(open: "(", close: ")") else { return nil }
                return Written(sql: "(\(left.sql) \(negated ? "NOT IN" : "IN") (\(list)))", mayBeText: false)
            }
            if take(word: "BETWEEN") {
                guard let low = additive(), take(word: "AND"), let high = additive(),
                      !(left.mayBeText || low.mayBeText || high.mayBeText) else { return nil }
                return Written(sql: "(\(left.sql) \(negated ? "NOT BETWEEN" : "BETWEEN") \(low.sql) AND \(high.sql))", mayBeText: false)
            }
            if negated { return nil }
            return left
        }

        /// `ARRAY[a, b]` as PostgreSQL prints it after ANY or ALL: in parentheses, cast to an
        /// array of text (`(ARRAY['a'::character varying])::text[]`). Its items, joined.
        private mutating func array() -> String? {
            let items: String
            if take(symbol: "(") {
                guard let inner = array(), take(symbol: ")") else { return nil }
                items = inner
            } else {
                guard take(word: "ARRAY"), let list = list(open: "[", close: "]") else { return nil }
                items = list
            }
            if take(symbol: "::") {
                var words: [String] = []
                while case .word(let word)? = current?.kind { words.append(word.lowercased()); position += 1 }
                guard Self.textTypes.contains(words.joined(separator: " ")) || Self.numberTypes.contains(words.joined(separator: " ")),
                      take(symbol: "["), take(symbol: "]") else { return nil }
            }
            return items
        }

        static let textTypes: Set<String> = ["text", "character varying", "varchar", "character", "bpchar", "char"]
        static let numberTypes: Set<String> = ["integer", "bigint", "smallint", "numeric", "real", "double precision"]

        /// `( a, b, … )` or `[ a, b, … ]`, its items written and joined.
        private mutating func list(open: String, close: String) -> String? {
            guard take(symbol: open) else { return nil }
            var items: [String] = []
            repeat {
                guard let item = additive() else { return nil }
                items.append(item.sql)
            } while take(symbol: ",")
            guard take(symbol: close), !items.isEmpty else { return nil }
            return items.joined(separator: ", ")
        }

        private mutating func additive() -> Written? { chain(symbols: ["+", "-"]) { $0.multiplicative() } }
        private mutating func multiplicative() -> Written? { chain(symbols: ["*", "/", "%"]) { $0.concatenation() } }
        private mutating func concatenation() -> Written? { chain(symbols: ["||"], text: true) { $0.unary() } }

        private mutating func unary() -> Written? {
            if case .symbol(let symbol)? = current?.kind, symbol == "-" || symbol == "+" {
                position += 1
                guard let operand = unary(), !operand.mayBeText else { return nil }
                return Written(sql: "(\(symbol)\(operand.sql))", mayBeText: false)
            }
            return cast()
        }

        /// PostgreSQL prints casts it added (`(name)::text`, `(0)::numeric`): one to a text
        /// type is the value itself in both stores, as is a number cast to a number type.
        /// Any other cast changes what the value is, and stays behind.
        private mutating func cast() -> Written? {
            guard var value = primary() else { return nil }
            while take(symbol: "::") {
                var words: [String] = []
                while case .word(let word)? = current?.kind { words.append(word.lowercased()); position += 1 }
                if take(symbol: "(") {
                    guard case .number? = current?.kind else { return nil }
                    position += 1
                    guard take(symbol: ")") else { return nil }
                }
                let type = words.joined(separator: " ")
                if Self.textTypes.contains(type) {
                    value.mayBeText = true
                } else if Self.numberTypes.contains(type), value.sql.first.map({ $0.isNumber || $0 == "(" }) == true, Double(value.sql.filter { $0 != "(" && $0 != ")" }) != nil {
                    continue
                } else {
                    return nil
                }
            }
            return value
        }

        private mutating func primary() -> Written? {
            guard let token = current else { return nil }
            position += 1
            switch token.kind {
            case .number(let text):
                // Decimal digits, a point and an exponent: both stores read those alike.
                guard text.first?.isNumber == true || text.first == ".", Double(text) != nil,
                      text.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }) else { return nil }
                return Written(sql: text, mayBeText: false)
            case .string(let text):
                guard !text.contains("\u{0}") else { return nil }
                return Written(sql: "'" + text.replacingOccurrences(of: "'", with: "''") + "'", mayBeText: true, isStringLiteral: true)
            case .name(let name):
                return column(name)
            case .word(let word):
                switch word.uppercased() {
                case "NULL": return Written(sql: "NULL", mayBeText: false)
                case "TRUE", "FALSE": return Written(sql: word.uppercased(), mayBeText: false)
                default: break
                }
                if isSymbol("(") { return function(word) }
                return column(word)
            case .symbol("("):
                guard let inner = or(), take(symbol: ")") else { return nil }
                return inner
            default:
                return nil
            }
        }

        private func column(_ name: String) -> Written? {
            guard let column = columns.first(where: { $0.name == name }) ?? columns.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
            // A column that is not a number may hold text, which the two stores order
            // differently: by SQLite's affinity, or by PostgreSQL's type as Ferry names it
            // (`pg:numeric(10,2)`; a `pg:date` has numeric affinity but is no number).
            let type = column.type.lowercased()
            let mayBeText: Bool
            if type.hasPrefix("pg:") {
                let numbers = ["smallint", "integer", "bigint", "numeric", "real", "double precision", "boolean"]
                mayBeText = !numbers.contains { type.dropFirst(3).hasPrefix($0) }
            } else {
                mayBeText = column.affinity == .text || column.affinity == .blob
            }
            return Written(sql: Identifier.quote(column.name), mayBeText: mayBeText)
        }

        /// The functions both stores define alike for the values a CHECK sees: length in
        /// characters (PostgreSQL's char_length), abs, trim of spaces.
        private mutating func function(_ name: String) -> Written? {
            let spelled: String
            switch name.lowercased() {
            case "length", "char_length", "character_length": spelled = "length"
            case "abs": spelled = "abs"
            case "trim", "btrim": spelled = "trim"
            default: return nil
            }
            guard take(symbol: "("), let argument = or(), take(symbol: ")") else { return nil }
            return Written(sql: "\(spelled)(\(argument.sql))", mayBeText: spelled == "trim")
        }
    }
}
