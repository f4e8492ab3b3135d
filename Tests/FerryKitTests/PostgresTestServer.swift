import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// The PostgreSQL server the tests run against: the throwaway one `scripts/test` starts
/// and stops (`scripts/pg-server`), named by `FERRY_TEST_POSTGRES`. A server started from
/// inside a test process could outlive it when the run is killed, so `swift test` run
/// directly skips the PostgreSQL tests, loudly; on CI (`CI=true`) they fail instead.
extension PostgresConnection {
    /// Every row of `sql`'s result, each value as the store reads it.
    func rows(_ sql: String) throws -> [[Value]] {
        let result = try query(sql)
        return (0..<result.rowCount).map { row in (0..<result.columnCount).map { result.value(row: row, column: $0) } }
    }
}

enum PostgresTestServer {
    static let uri: String? = {
        if let given = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"], !given.isEmpty { return given }
        FileHandle.standardError.write(Data("WARNING: FERRY_TEST_POSTGRES is not set; the PostgreSQL tests are SKIPPED. Run scripts/test, which starts a server.\n".utf8))
        return nil
    }()

    /// Whether the PostgreSQL tests run: a server is at hand, or CI demands them.
    static var enabled: Bool { uri != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// A new, empty database on the server for `body` (its URI), dropped afterwards.
    static func withDatabase<T>(_ body: (String) throws -> T) throws -> T {
        var drops: [() -> Void] = []
        defer { drops.forEach { $0() } }
        return try body(try newDatabase(dropping: &drops))
    }

    /// A new, empty database's URI; `drops` gets what drops it, to run once the caller is done.
    static func newDatabase(dropping drops: inout [() -> Void]) throws -> String {
        let server = try #require(uri, "CI=true: the PostgreSQL tests must run, and no server is at hand")
        let name = "ferry_test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try PostgresConnection(uri: server)
        try admin.execute("CREATE DATABASE \(Identifier.quote(name))")
        drops.append { try? admin.execute("DROP DATABASE IF EXISTS \(Identifier.quote(name)) WITH (FORCE)") }
        return server.replacingOccurrences(of: "///postgres?", with: "///\(name)?")
    }
}
