import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Expression indexes as natural keys: what Ferry reads from `CREATE UNIQUE INDEX … ON t(…)`.
@Suite struct IndexExpressionsTests {
    let columns = ["id", "email", "Code", "name"]

    @Test func aFunctionOfOneColumnIsAKeyOnThatColumn() throws {
        let key = try #require(IndexExpressions.key(fromCreateIndex: "CREATE UNIQUE INDEX person_email_lower ON person(lower(email))", columns: columns))
        #expect(key.columns == ["email"])
        #expect(key.templates == ["lower(\u{1})"])
    }

    @Test func quotedNamesPlainPartsAndOrderingAreRead() throws {
        let key = try #require(IndexExpressions.key(fromCreateIndex: #"CREATE UNIQUE INDEX "x" ON "t" (trim("Code") DESC, name)"#, columns: columns))
        #expect(key.columns == ["Code", "name"])
        #expect(key.templates == ["trim(\u{1})", nil])
    }

    @Test(arguments: [
        "CREATE UNIQUE INDEX x ON t(email || name)",        // two columns in one part
        "CREATE UNIQUE INDEX x ON t(abs(1))",               // no column at all
        "CREATE UNIQUE INDEX x ON t((SELECT 1) + id)",      // a subquery
        "CREATE UNIQUE INDEX x ON t(lower(email)",          // unbalanced
    ])
    func anythingElseIsNoIdentity(sql: String) {
        #expect(IndexExpressions.key(fromCreateIndex: sql, columns: columns) == nil)
    }

    @Test func aStringLiteralThatLooksLikeAColumnIsNotOne() throws {
        let key = try #require(IndexExpressions.key(fromCreateIndex: "CREATE UNIQUE INDEX x ON t(coalesce(email, 'name'))", columns: columns))
        #expect(key.columns == ["email"])
        #expect(key.templates == ["coalesce(\u{1}, 'name')"])
    }
}
