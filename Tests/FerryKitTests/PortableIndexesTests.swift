import Testing
@testable import FerryKit

/// What a store that writes its own DDL carries of a table's keys, and what it says it lacks.
@Suite struct PortableIndexesTests {
    func table(_ create: String, indexes: [String] = [], matchSets: [[String]] = []) -> TableDefinition {
        let names = ["id", "email", "name", "checked", "qty"]
        return TableDefinition(name: "t", columns: names.map { ColumnDefinition(name: $0, type: "TEXT", notNull: false, primaryKey: $0 == "id" ? 1 : 0, default: nil) },
                               primaryKey: ["id"], cloudId: nil, matchSets: matchSets, references: [], create: create, indexes: indexes)
    }

    @Test(arguments: [("lower((\u{1})::text)", "lower(\u{1})"), ("LOWER( \u{1} )", "lower(\u{1})"), ("\u{1} COLLATE NOCASE", "lower(\u{1})"),
                      ("upper(\u{1}::character varying)", "upper(\u{1})"), ("trim(\u{1})", "trim(\u{1})"), ("substr(\u{1}, 1, 3)", "substr(\u{1},1,3)")])
    func templatesAreReadInOneSpelling(template: String, portable: String) {
        #expect(PortableIndexes.portable(template) == portable)
    }

    @Test func aColumnWithoutCaseMakesItsKeyALowerIndex() {
        let portable = PortableIndexes(table(#"CREATE TABLE t ("id" TEXT PRIMARY KEY, email TEXT UNIQUE COLLATE NOCASE, name TEXT, checked INT, qty INT)"#,
                                             matchSets: [["email"], ["name"]]))
        #expect(portable.caseInsensitiveSets == [["email"]])
        #expect(portable.unique == [ExpressionKey(columns: ["email"], templates: ["lower(\u{1})"])])
        #expect(portable.notCarried.isEmpty, "a column named checked is no CHECK")
    }

    @Test func whatCannotBeCarriedIsSaid() {
        let portable = PortableIndexes(table("CREATE TABLE t (id TEXT PRIMARY KEY, email TEXT, name TEXT DEFAULT 'CHECK (x)', checked INT, qty INT CHECK (qty > 0))", indexes: [
            "CREATE UNIQUE INDEX a ON t (lower(email))",
            "CREATE UNIQUE INDEX b ON t (substr(name, 1, 3))",
            "CREATE UNIQUE INDEX c ON t (qty) WHERE checked IS NULL",
            "CREATE INDEX d ON t (lower(name))",
        ]))
        #expect(portable.unique == [ExpressionKey(columns: ["email"], templates: ["lower(\u{1})"])])
        #expect(portable.notCarried.count == 3, "\(portable.notCarried)")
        #expect(portable.notCarried.contains { $0.hasPrefix("CHECK (qty > 0) (only comparisons") }, "text ordered: the stores' collations differ")
        #expect(PortableIndexes(table("CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT DEFAULT 'CHECK (x)')")).notCarried.isEmpty,
                "CHECK inside a string is no constraint")
    }
}
