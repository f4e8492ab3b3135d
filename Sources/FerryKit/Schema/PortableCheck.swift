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
        let collated = PortableIndexes.columnsWithCollation(inCreateTable: sql, columns: columns.map(\.name))
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
            if let check = translate(inner, original: text, columns: columns, collated: collated) {
                if !portable.contains(check) { portable.append(check) }
            } else {
                notPortable.append("CHECK (\(text.count > 100 ? text.prefix(97) + "…" : Substring(text)))")
            }
            index = end
        }
        return (portable, notPortable)
    }

    /// `pg_get_constraintdef`'s `CHECK ((qty >= 0))`, as PostgreSQL prints it, or nil.
    /// `collated`: columns under a nondeterministic collation (equal without case, say).
    package static func fromPostgres(_ definition: String, columns: [ColumnDefinition], collated: Set<String> = []) -> PortableCheck? {
        guard let tokens = try? Tokenizer(definition, bracketsQuoteNames: false).tokens(), tokens.count >= 3, tokens[0].isWord("CHECK"),
              tokens[1].kind == .symbol("("), tokens.last?.kind == .symbol(")") else { return nil }
        let inner = Array(tokens[2..<(tokens.count - 1)])
        guard !inner.isEmpty else { return nil }
        return translate(inner, original: String(definition[inner.first!.range.lowerBound..<inner.last!.range.upperBound]), columns: columns, collated: collated)
    }

    private static func translate(_ tokens: [Token], original: String, columns: [ColumnDefinition], collated: Set<String> = []) -> PortableCheck? {
        var parser = Parser(tokens: tokens, columns: columns, collated: collated)
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

    /// What an expression is, as both stores would judge it. Only values whose comparisons
    /// mean the same in both cross: numbers (SQLite's INTEGER and REAL columns, PostgreSQL's
    /// number types), text compared for equality, and booleans.
    enum Kind: Equatable {
        /// Integers and reals apart: PostgreSQL compares a bigint with a double as doubles,
        /// SQLite exactly. A number written out (`number`) meets either.
        case integer, real, number, text, boolean, null
        /// A column whose values the stores compare apart: only IS [NOT] NULL takes it.
        case other
    }

    /// An expression written for both stores, and its kind.
    struct Written {
        var sql: String
        var kind: Kind
        var isLiteral = false
    }

    struct Parser {
        let tokens: [Token]
        let columns: [ColumnDefinition]
        /// Columns compared under a collation of their own (SQLite's NOCASE, RTRIM), which
        /// the other store would not apply: such a column's comparisons stay behind.
        let collated: Set<String>
        var position = 0

        init(tokens: [Token], columns: [ColumnDefinition], collated: Set<String>) {
            self.tokens = tokens
            self.columns = columns
            self.collated = collated
        }

        mutating func parseWhole() -> Written? {
            guard let expression = or(), position == tokens.count, expression.kind == .boolean else { return nil }
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

        private mutating func or() -> Written? { logical("OR") { $0.and() } }
        private mutating func and() -> Written? { logical("AND") { $0.not() } }

        /// `next (word next)*` over booleans, each pair in parentheses.
        private mutating func logical(_ word: String, _ next: (inout Parser) -> Written?) -> Written? {
            guard var left = next(&self) else { return nil }
            while take(word: word) {
                guard let right = next(&self), left.kind == .boolean, right.kind == .boolean else { return nil }
                left = Written(sql: "(\(left.sql) \(word) \(right.sql))", kind: .boolean)
            }
            return left
        }

        private mutating func not() -> Written? {
            if take(word: "NOT") {
                guard let operand = not(), operand.kind == .boolean else { return nil }
                return Written(sql: "(NOT \(operand.sql))", kind: .boolean)
            }
            return predicate()
        }

        /// Whether `a` and `b` compare alike in both stores: two of one kind (NULL is of
        /// every kind), and for ordering, numbers. Text orders by collation, and a number
        /// meets text by each store's own conversions.
        private static func comparable(_ a: Written, _ b: Written, ordering: Bool) -> Bool {
            if a.kind == .other || b.kind == .other { return false }
            if a.kind == .null || b.kind == .null { return true }
            let numbers: Set<Kind> = [.integer, .real, .number]
            if numbers.contains(a.kind) && numbers.contains(b.kind) { return a.kind == b.kind || a.kind == .number || b.kind == .number }
            return a.kind == b.kind && !ordering
        }

        private mutating func predicate() -> Written? {
            guard let left = operand() else { return nil }
            if case .symbol(let symbol)? = current?.kind, ["=", "==", "!=", "<>", "<", "<=", ">", ">="].contains(symbol) {
                position += 1
                // PostgreSQL's `x = ANY (ARRAY[…])` and `x <> ALL (ARRAY[…])`: an IN list.
                if (symbol == "=" && isWord("ANY")) || (symbol == "<>" && isWord("ALL")) {
                    position += 1
                    guard let list = array(), list.allSatisfy({ Self.comparable(left, $0, ordering: false) }) else { return nil }
                    return Written(sql: "(\(left.sql) \(symbol == "=" ? "IN" : "NOT IN") (\(list.map(\.sql).joined(separator: ", "))))", kind: .boolean)
                }
                guard let right = operand(), Self.comparable(left, right, ordering: ["<", "<=", ">", ">="].contains(symbol)) else { return nil }
                let spelled = symbol == "==" ? "=" : symbol == "!=" ? "<>" : symbol
                return Written(sql: "(\(left.sql) \(spelled) \(right.sql))", kind: .boolean)
            }
            if take(word: "ISNULL") { return Written(sql: "(\(left.sql) IS NULL)", kind: .boolean) }
            if take(word: "NOTNULL") { return Written(sql: "(\(left.sql) IS NOT NULL)", kind: .boolean) }
            if isWord("IS") {
                // Only IS [NOT] NULL: SQLite's `a IS b` is PostgreSQL's IS NOT DISTINCT FROM.
                let negated = isWord("NOT", at: 1)
                guard isWord("NULL", at: negated ? 2 : 1) else { return nil }
                position += negated ? 3 : 2
                return Written(sql: "(\(left.sql) IS \(negated ? "NOT " : "")NULL)", kind: .boolean)
            }
            let negated = isWord("NOT") && (isWord("IN", at: 1) || isWord("BETWEEN", at: 1) || isWord("NULL", at: 1))
            if negated { position += 1 }
            if take(word: "NULL") {
                guard negated else { return nil }
                return Written(sql: "(\(left.sql) IS NOT NULL)", kind: .boolean)
            }
            if take(word: "IN") {
                guard take(symbol: "("), let list = list(close: ")"), list.allSatisfy({ Self.comparable(left, $0, ordering: false) }) else { return nil }
                return Written(sql: "(\(left.sql) \(negated ? "NOT IN" : "IN") (\(list.map(\.sql).joined(separator: ", "))))", kind: .boolean)
            }
            if take(word: "BETWEEN") {
                guard let low = operand(), take(word: "AND"), let high = operand(),
                      Self.comparable(left, low, ordering: true), Self.comparable(left, high, ordering: true) else { return nil }
                return Written(sql: "(\(left.sql) \(negated ? "NOT BETWEEN" : "BETWEEN") \(low.sql) AND \(high.sql))", kind: .boolean)
            }
            if negated { return nil }
            return left
        }

        /// `ARRAY[a, b]` as PostgreSQL prints it after ANY or ALL: in parentheses, cast to an
        /// array of text (`(ARRAY['a'::character varying])::text[]`).
        private mutating func array() -> [Written]? {
            let items: [Written]
            if take(symbol: "(") {
                guard let inner = array(), take(symbol: ")") else { return nil }
                items = inner
            } else {
                guard take(word: "ARRAY"), take(symbol: "["), let list = list(close: "]") else { return nil }
                items = list
            }
            if take(symbol: "::") {
                let type = typeName()
                guard take(symbol: "["), take(symbol: "]"), Self.castKinds[type] == .text, items.allSatisfy({ $0.kind == .text || $0.kind == .null }) else { return nil }
            }
            return items
        }

        /// `a, b, …` up to `close`.
        private mutating func list(close: String) -> [Written]? {
            var items: [Written] = []
            repeat {
                guard let item = operand() else { return nil }
                items.append(item)
            } while take(symbol: ",")
            guard take(symbol: close), !items.isEmpty else { return nil }
            return items
        }

        /// A value: no arithmetic (SQLite's integers overflow into reals and divide by zero
        /// into NULL, where PostgreSQL raises; its decimals add exactly, SQLite's do not).
        private mutating func operand() -> Written? {
            if isSymbol("-") || isSymbol("+") {
                let sign = isSymbol("-") ? "-" : ""
                position += 1
                // Only a number's sign: `-5` is the same constant in both stores.
                guard case .number? = current?.kind, let number = primary() else { return nil }
                return Written(sql: sign + number.sql, kind: .number, isLiteral: true)
            }
            return cast()
        }

        private mutating func typeName() -> String {
            var words: [String] = []
            while case .word(let word)? = current?.kind { words.append(word.lowercased()); position += 1 }
            return words.joined(separator: " ")
        }

        /// The casts PostgreSQL prints that leave a value as it was: to a text type, of a
        /// value that is text; to an integer type, of an integer written out; to numeric or
        /// double precision, of a number written out. Never with a length or a scale
        /// (`varchar(3)` cuts, `numeric(5,1)` rounds), never to real (a float4 rounds).
        static let castKinds: [String: Kind] = [
            "text": .text, "character varying": .text, "varchar": .text,
            "integer": .integer, "bigint": .integer, "smallint": .integer, "numeric": .number, "double precision": .number,
        ]

        private mutating func cast() -> Written? {
            guard let value = primary() else { return nil }
            while take(symbol: "::") {
                let type = typeName()
                guard !isSymbol("("), let kind = Self.castKinds[type] else { return nil }
                switch kind {
                case .text: guard value.kind == .text else { return nil }
                case .integer: guard value.isLiteral, value.kind == .number, !value.sql.contains(where: { ".eE".contains($0) }) else { return nil }
                default: guard value.isLiteral, value.kind == .number else { return nil }
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
                // At most 15 significant digits: a double holds such a number closely enough
                // that SQLite's comparison and PostgreSQL's exact one agree.
                guard text.first?.isNumber == true || text.first == ".", Double(text) != nil,
                      text.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }),
                      Self.significantDigits(text) <= 15 else { return nil }
                return Written(sql: text, kind: .number, isLiteral: true)
            case .string(let text):
                guard !text.contains("\u{0}") else { return nil }
                return Written(sql: "'" + text.replacingOccurrences(of: "'", with: "''") + "'", kind: .text, isLiteral: true)
            case .name(let name):
                return column(name)
            case .word(let word):
                switch word.uppercased() {
                case "NULL": return Written(sql: "NULL", kind: .null, isLiteral: true)
                case "TRUE", "FALSE":
                    // SQLite reads a bare TRUE as a column of that name where there is one,
                    // PostgreSQL as the literal: the two stores would read it apart.
                    guard !columns.contains(where: { Identifier.asciiLowercased($0.name) == Identifier.asciiLowercased(word) }) else { return nil }
                    return Written(sql: word.uppercased(), kind: .boolean, isLiteral: true)
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
            // Names match without case as SQLite matches them: ASCII letters only.
            guard let column = columns.first(where: { $0.name == name }) ?? columns.first(where: { Identifier.asciiLowercased($0.name) == Identifier.asciiLowercased(name) }) else { return nil }
            return Written(sql: Identifier.quote(column.name), kind: collated.contains(column.name) ? .other : Self.kind(of: column) ?? .other)
        }

        /// What a column's values are in both stores, nil when they differ: a SQLite column
        /// of NUMERIC affinity (DECIMAL, DATE, BOOLEAN) is text or a boolean in the table
        /// PostgreSQL creates for it; PostgreSQL's character(n) pads, and its citext ignores
        /// case, where SQLite's copy does neither.
        static func kind(of column: ColumnDefinition) -> Kind? {
            let type = column.type.lowercased()
            guard type.hasPrefix("pg:") else {
                switch column.affinity {
                case .integer: return .integer
                case .real: return .real
                case .text: return .text
                case .numeric, .blob: return nil
                }
            }
            // numeric is exact in PostgreSQL and a double in SQLite; real is a float4, which
            // PostgreSQL widens to compare; varchar(n) drops trailing spaces past n.
            switch type.dropFirst(3).prefix(while: { $0 != "(" && $0 != "[" }) {
            case "smallint", "integer", "bigint": return type.contains("[") ? nil : .integer
            case "double precision": return type.contains("[") ? nil : .real
            case "text": return type.contains("[") ? nil : .text
            case "character varying": return type.contains("(") || type.contains("[") ? nil : .text
            case "boolean": return type.contains("[") ? nil : .boolean
            default: return nil
            }
        }

        /// Digits of a number written out, without leading zeros and the exponent.
        static func significantDigits(_ text: String) -> Int {
            let mantissa = text.prefix(while: { $0 != "e" && $0 != "E" }).filter(\.isNumber)
            return max(1, mantissa.drop(while: { $0 == "0" }).count)
        }

        /// The functions both stores define alike for the values a CHECK sees: length of
        /// text in characters (PostgreSQL's char_length), abs of a number, trim of spaces.
        private mutating func function(_ name: String) -> Written? {
            let spelled: String, takes: Kind, gives: Kind
            switch name.lowercased() {
            case "length", "char_length", "character_length": (spelled, takes, gives) = ("length", .text, .number)
            // abs of an integer only: SQLite holds a real's NaN as text, whose abs is 0.
            case "abs": (spelled, takes, gives) = ("abs", .integer, .integer)
            case "trim", "btrim": (spelled, takes, gives) = ("trim", .text, .text)
            default: return nil
            }
            guard take(symbol: "("), let argument = operand(), argument.kind == takes || (takes == .integer && argument.kind == .number && !argument.sql.contains(where: { ".eE".contains($0) })),
                  take(symbol: ")") else { return nil }
            return Written(sql: "\(spelled)(\(argument.sql))", kind: gives)
        }
    }
}
