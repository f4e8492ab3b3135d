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

/// Another new database on the test server, named with `suffix`, dropped after `body`.
func withPostgresDatabaseNamed<T>(_ suffix: String, _ body: (String) throws -> T) throws -> T {
    let server = try #require(ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"])
    let name = "ferry_cli_\(suffix)_\(UUID().uuidString.prefix(8).lowercased())"
    let admin = try PostgresConnection(uri: server)
    try admin.execute("CREATE DATABASE \(Identifier.quote(name))")
    defer { try? admin.execute("DROP DATABASE IF EXISTS \(Identifier.quote(name)) WITH (FORCE)") }
    return try body(server.replacingOccurrences(of: "///postgres?", with: "///\(name)?"))
}

let postgresEnabled: Bool = {
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
            defer { removeDemoFolder(named: result.stdout) }
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("1 row updated, nothing else touched"))
            let again = try ferry(["demo", "--postgres", uri, "--quiet"])
            #expect(again.status == 1)
            #expect(again.stderr.contains("already has the sample's tables"))
        }
    }

    /// Another session holds the table: the import waits --busy-timeout, as on SQLite, then
    /// stops with nothing written (PostgreSQL's own default waited for ever; found by a tester).
    @Test func aLockedTableIsWaitedForAsLongAsBusyTimeoutSays() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabase { uri in
                let changeset = try exportSample(in: directory)
                #expect(try ferry(["import", changeset.path, "--db", uri, "-q"]).status == 0)
                let holder = try PostgresConnection(uri: uri)
                // The holder goes after 30 s, so a Ferry that waits for ever fails here instead of hanging.
                try holder.execute("SET idle_in_transaction_session_timeout = '30s'; BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
                defer { try? holder.execute("ROLLBACK") }
                let started = Date()
                let result = try ferry(["import", changeset.path, "--db", uri, "--busy-timeout", "0.5", "--on-conflict", "source-wins"])
                #expect(Date().timeIntervalSince(started) < 20, "the wait ends")
                expectCleanRefusal(result, mentions: ["another session holds it", "waited 0.5 s", "Nothing was written", "--busy-timeout"])
            }
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

    /// Found by a tester: pseudonyms and masks must be values the PostgreSQL column takes (a
    /// 63-bit hash into an integer, hex into a uuid); a type no pseudonym fits is refused.
    @Test func redactedValuesFitPostgresColumnTypes() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabase { uri in
                let connection = try PostgresConnection(uri: uri)
                try connection.execute("""
                    CREATE TABLE org (id serial PRIMARY KEY, code smallint NOT NULL, name varchar(12) NOT NULL, UNIQUE (id, code));
                    CREATE TABLE person (id integer PRIMARY KEY, org integer NOT NULL, org_code smallint NOT NULL, uid uuid UNIQUE, meta jsonb,
                        salary numeric(12,2), born timestamptz, email varchar(30), token uuid, FOREIGN KEY (org, org_code) REFERENCES org (id, code));
                    INSERT INTO org (code, name) VALUES (7, 'Acme'), (8, 'Bravo');
                    INSERT INTO person VALUES (1, 1, 7, gen_random_uuid(), '{"a": 1}', 1234.5, now(), 'ann@secret.example', gen_random_uuid()),
                                              (2, 2, 8, gen_random_uuid(), '{"b": 2}', 99, now(), 'bob@secret.example', gen_random_uuid());
                    """)
                let key = directory.appendingPathComponent("redact.key")
                try Data("sixteen bytes or more of secret".utf8).write(to: key)
                let ticket = directory.appendingPathComponent("ticket")
                let exported = try ferry(["export", "--db", uri, "--out", ticket.path, "-q", "--where", "person:id = 1", "--redact-key", key.path,
                                          "--redact", "org.id=hash", "--redact", "org.code=hash", "--redact", "org.name=mask", "--redact", "person.id=hash",
                                          "--redact", "person.uid=hash", "--redact", "person.meta=hash", "--redact", "person.salary=mask", "--redact", "person.email=hash"])
                #expect(exported.status == 0, "\(exported.stderr)")
                try withPostgresDatabaseNamed("empty") { empty in
                    let imported = try ferry(["import", ticket.path, "--db", empty, "-q", "--rejects", directory.appendingPathComponent("r.ndjson").path])
                    #expect(imported.status == 0, "every redacted value fits its column: \(imported.stderr)")
                    let target = try PostgresConnection(uri: empty)
                    #expect(try target.scalar("SELECT count(*) FROM person JOIN org ON (org.id, org.code) = (person.org, person.org_code)") == .integer(1))
                    #expect(try target.scalar("SELECT salary::text FROM person") == .text("0.00"))
                    #expect(try target.scalar("SELECT email FROM person")?.string?.contains("secret") == false)
                }
                for (rule, mentions) in [("person.born=hash", "use null or drop"), ("person.salary=hash", "use mask"), ("person.meta=mask", "JSON"), ("person.token=mask", "uuid")] {
                    let refused = try ferry(["export", "--db", uri, "--out", directory.appendingPathComponent("x").path, "--redact", rule, "--redact-key", key.path])
                    expectCleanRefusal(refused, rule, mentions: [mentions])
                }
            }
        }
    }

    /// Found by a tester: in a schema whose foreign keys are checked at once (not
    /// DEFERRABLE), taking out a row of a cycle whose partner was rejected failed with the
    /// server's own foreign-key error. Now the rows pointing at it are taken out first, each
    /// rejected, and the rest applies.
    @Test func aCycleRowTakenOutUnderImmediateForeignKeysTakesItsDependentsWithIt() throws {
        try withTemporaryDirectory { directory in
            let schema = """
                CREATE TABLE person (id serial PRIMARY KEY, email text NOT NULL UNIQUE, manager_id int REFERENCES person(id));
                """
            try withPostgresDatabase { source in
                try withPostgresDatabaseNamed("target") { target in
                    try PostgresConnection(uri: source).execute(schema + """
                        INSERT INTO person (email) VALUES ('alice@acme.com');
                        INSERT INTO person (email, manager_id) VALUES ('bob@acme.com', 1), ('carol@acme.com', 2);
                        """)
                    let connection = try PostgresConnection(uri: target)
                    try connection.execute(schema + "ALTER TABLE person ADD CONSTRAINT no_alice CHECK (email <> 'alice@acme.com');")
                    let changeset = directory.appendingPathComponent("cs")
                    #expect(try ferry(["export", "--db", source, "--out", changeset.path, "-q"]).status == 0)
                    let result = try ferry(["import", changeset.path, "--db", target, "--rejects", directory.appendingPathComponent("r.ndjson").path])
                    #expect(result.status == 3, "\(result.stderr)")
                    #expect(result.stderr.contains("3 records rejected"), "alice, bob whom she manages, carol whom he manages: \(result.stderr)")
                    #expect(try connection.scalar("SELECT count(*) FROM person") == .integer(0))
                }
            }
        }
    }

    /// `compact --applied` on a PostgreSQL book removes only the tombstones the named
    /// changeset carried, as on SQLite (CompactCommandTests).
    @Test func compactOnPostgresRemovesOnlyWhatThePeerHasSeen() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabase { cloud in
                try PostgresConnection(uri: cloud).execute("CREATE TABLE t (id text PRIMARY KEY, code text NOT NULL UNIQUE); INSERT INTO t VALUES ('1','a'),('2','b'),('3','c')")
                try #require(try ferry(["prepare", "--db", cloud, "-q"]).status == 0)
                let laptop = directory.appendingPathComponent("laptop.db")
                func exportAndApply(_ name: String, apply: Bool) throws -> URL {
                    let out = directory.appendingPathComponent(name)
                    try #require(try ferry(["export", "--db", cloud, "--out", out.path, "-q"]).status == 0)
                    if apply { try #require(try ferry(["import", out.path, "--db", laptop.path, "-q"]).status == 0) }
                    return out
                }
                _ = try exportAndApply("first", apply: true)
                try PostgresConnection(uri: cloud).execute("DELETE FROM t WHERE id = '1'")
                let second = try exportAndApply("second", apply: true)
                try PostgresConnection(uri: cloud).execute("DELETE FROM t WHERE id = '2'")
                _ = try exportAndApply("third", apply: false)
                #expect(try ferry(["inspect", "--db", cloud]).stdout.contains("1 row tracked, 2 tombstones"))
                let compact = try ferry(["compact", "--db", cloud, "--applied", second.path])
                #expect(compact.status == 0, "\(compact.stderr)")
                #expect(compact.stderr.contains("removed 1 tombstone, 1 kept"), "\(compact.stderr)")
                #expect(try ferry(["inspect", "--db", cloud]).stdout.contains("1 row tracked, 1 tombstone"))
                #expect(try PostgresConnection(uri: cloud).scalar("SELECT count(*) FROM t") == .integer(1), "application rows untouched")
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
