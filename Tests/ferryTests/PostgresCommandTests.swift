import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// A new database on the server `scripts/test` started (`FERRY_TEST_POSTGRES`), dropped
/// after `body`. The CLI tests' copy of FerryKitTests' PostgresTestServer (test targets
/// share no code).
private func withPostgresDatabase<T>(_ body: (String) throws -> T) throws -> T {
    let server = try #require(ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"], "CI=true: the PostgreSQL tests must run, and no server is at hand")
    let name = "ferry_cli_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
    let admin = try PostgresConnection(uri: server)
    try admin.execute("CREATE DATABASE \(Identifier.quote(name))")
    defer { try? admin.execute("DROP DATABASE IF EXISTS \(Identifier.quote(name)) WITH (FORCE)") }
    return try body(server.replacingOccurrences(of: "///postgres?", with: "///\(name)?"))
}

private let postgresEnabled: Bool = {
    let enabled = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"] != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    if !enabled { FileHandle.standardError.write(Data("WARNING: FERRY_TEST_POSTGRES is not set; the PostgreSQL CLI tests are SKIPPED. Run scripts/test.\n".utf8)) }
    return enabled
}()

@Suite(.enabled(if: postgresEnabled)) struct PostgresCommandTests {
    /// The field scenario with the cloud on PostgreSQL: local SQLite → PostgreSQL (other
    /// ids) → back, and bringing the cloud's changeset back changes only the edited row.
    @Test func demoWithThePostgresCloudRunsTheFieldScenario() throws {
        try withPostgresDatabase { uri in
            let result = try ferry(["demo", "--postgres", uri, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("1 row updated, nothing else touched"))
            let again = try ferry(["demo", "--postgres", uri, "--quiet"])
            #expect(again.status == 1)
            #expect(again.stderr.contains("already has the sample's tables"))
        }
    }

    @Test func exportImportAndInspectTakeAConnectionURI() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabase { uri in
                let changeset = try exportSample(in: directory)
                let imported = try ferry(["import", changeset.path, "--db", uri, "--rejects", directory.appendingPathComponent("r.ndjson").path])
                #expect(imported.status == 0, "\(imported.stderr)")
                #expect(imported.stderr.contains("total              98"))
                let out = directory.appendingPathComponent("back.ferry").path
                let exported = try ferry(["export", "--db", uri, "--out", out, "--quiet"])
                #expect(exported.status == 0, "\(exported.stderr)")
                let replayed = try ferry(["import", out, "--db", directory.appendingPathComponent("back.db").path, "--quiet"])
                #expect(replayed.status == 0, "\(replayed.stderr)")
                let log = try ferry(["inspect", "--db", uri])
                #expect(log.status == 0)
                #expect(log.stdout.contains("98"))
            }
        }
    }

    /// A support ticket from the PostgreSQL cloud: --where with its closure, redacted and
    /// signed, into an empty SQLite file; a condition reading another table is refused.
    @Test func aTicketFromPostgresCarriesTheCaseAndRefusesOtherTables() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabase { uri in
                let changeset = try exportSample(in: directory)
                #expect(try ferry(["import", changeset.path, "--db", uri, "-q"]).status == 0)
                let key = directory.appendingPathComponent("redact.key")
                try Data("sixteen bytes or more of secret".utf8).write(to: key)
                let ticket = directory.appendingPathComponent("ticket.ferry")
                let exported = try ferry(["export", "--db", uri, "--out", ticket.path, "-q", "--where", "customers:email = 'contact@testcompanyxyz.com'",
                                          "--with-children", "--redact", "users.email=hash", "--redact", "customers.phone=mask", "--redact-key", key.path])
                #expect(exported.status == 0, "\(exported.stderr)")
                let target = directory.appendingPathComponent("support.db")
                let imported = try ferry(["import", ticket.path, "--db", target.path, "-q"])
                #expect(imported.status == 0, "\(imported.stderr)")
                let counts = try rowCounts(ofDatabase: target)
                #expect(counts["customers"] == 1 && counts["proposals"] == 2 && counts["users"] == 2 && counts["roles"] == 2 && counts["products"] == 1, "\(counts)")
                #expect(try sqlite3(target, "PRAGMA foreign_key_check").isEmpty)
                #expect(try sqlite3(target, "SELECT phone FROM customers") == "+* *** **00\n")
                // Conditions real tickets use: casts, IN lists, CASE, date functions, a subquery on the table itself.
                let ordinary = try ferry(["export", "--db", uri, "--out", directory.appendingPathComponent("ordinary.ferry").path, "-q", "--where",
                                          "customers:lower(email) IN ('contact@testcompanyxyz.com', 'x') AND CASE WHEN phone IS NULL THEN false ELSE true END AND \"createdAt\"::text > '2020' AND id IN (SELECT c.id FROM customers c)"])
                #expect(ordinary.status == 0, "\(ordinary.stderr)")
                // Another table; a second statement; a function scan; built-ins that run a
                // query of their own or read the server's files.
                for condition in ["customers:\"createdBy\" IN (SELECT id FROM users)", "customers:1 = 1; DELETE FROM users", "customers:EXISTS (SELECT 1 FROM generate_series(1, 2))",
                                  "customers:query_to_xml('select * from users', true, true, '') IS NOT NULL", "customers:pg_read_file('/etc/hostname') IS NOT NULL",
                                  "customers:nextval('customers_seq') > 0"] {
                    let refused = try ferry(["export", "--db", uri, "--out", directory.appendingPathComponent("x.ferry").path, "--where", condition])
                    expectCleanRefusal(refused, condition, mentions: ["was refused"])
                }
            }
        }
    }

    @Test func aBadURIIsOneClearLineWithoutThePassword() throws {
        let unreachable = try ferry(["export", "--db", "postgresql://ann:hunter2@/crm?host=/nonexistent-socket-folder", "--out", "/tmp/never.ferry"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot connect to PostgreSQL"))
        #expect(!unreachable.stderr.contains("hunter2"))
        let schemaOnSQLite = try ferry(["export", "--db", "local.db", "--schema", "crm", "--out", "/tmp/never.ferry"])
        #expect(schemaOnSQLite.status == 1)
        #expect(schemaOnSQLite.stderr.contains("--schema names a PostgreSQL schema"))
    }
}
