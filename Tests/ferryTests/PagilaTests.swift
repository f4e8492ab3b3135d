import FerryKit
import FerryPostgres
import Foundation
import Testing

/// The pagila fixture (Tests/Fixtures/pagila.sql): the shape of PostgreSQL's public sample
/// database, with its enum, domain, arrays, partitioned payments, triggers, and store and
/// staff pointing at each other through NOT NULL foreign keys.
private func loadPagila(into uri: String) throws {
    let sql = try String(contentsOf: packageRoot.appendingPathComponent("Tests/Fixtures/pagila.sql"), encoding: .utf8)
    try PostgresConnection(uri: uri).execute(sql)
}

/// Every column of every table of `uri`, as text in UTC, in primary-key order: one digest
/// per column, with the row count. Two databases that print alike hold the same values.
private func fingerprint(_ uri: String) throws -> [String: String] {
    let connection = try PostgresConnection(uri: uri)
    try connection.execute("SET TIME ZONE 'UTC'")
    let tables = try connection.query("""
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT LIKE '\\_ferry%' ORDER BY 1
        """)
    var digests: [String: String] = [:]
    for row in 0..<tables.rowCount {
        let table = try #require(tables.string(row: row, column: 0))
        let qualified = "public.\(Identifier.quote(table))"
        let key = try connection.scalar("""
            SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey, a.attnum)) FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary
            """, [.text(qualified)])?.string ?? "1"
        let columns = try connection.query("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'cloudId'", [.text(qualified)])
        for column in 0..<columns.rowCount {
            let name = try #require(columns.string(row: column, column: 0))
            let type = columns.string(row: column, column: 1) ?? ""
            let text = type == "bytea" ? "encode(\(Identifier.quote(name)), 'hex')" : "\(Identifier.quote(name))::text"
            digests["\(table).\(name)"] = try connection.scalar("SELECT md5(coalesce(string_agg(coalesce(\(text), '<NULL>'), '|' ORDER BY \(key)), '')) || ' ' || count(*) FROM \(qualified)")?.string
        }
    }
    return digests
}

@Suite(.enabled(if: postgresEnabled)) struct PagilaTests {
    /// PostgreSQL's public sample, carried PostgreSQL → SQLite → a new PostgreSQL database:
    /// every value of every column comes back, the store/staff cycle included, and neither
    /// changeset finds anything to change a second time.
    @Test func pagilaCrossesSQLiteIntoANewDatabaseWithEveryValue() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabaseNamed("source") { source in
                try withPostgresDatabaseNamed("copy") { copy in
                    try loadPagila(into: source)
                    let first = directory.appendingPathComponent("pg.changeset"), second = directory.appendingPathComponent("sqlite.changeset")
                    let local = directory.appendingPathComponent("local.db")
                    #expect(try ferry(["export", "--db", source, "--out", first.path, "-q"]).status == 0)
                    let intoSQLite = try ferry(["import", first.path, "--db", local.path, "-q"], in: directory)
                    #expect(intoSQLite.status == 0, "\(intoSQLite.stderr)")
                    #expect(try sqlite3(local, "SELECT count(*) FROM store JOIN staff ON staff.staff_id = store.manager_staff_id AND staff.store_id = store.store_id") == "2\n")
                    #expect(try sqlite3(local, "PRAGMA foreign_key_check").isEmpty)
                    #expect(try ferry(["export", "--db", local.path, "--out", second.path, "-q"]).status == 0)
                    let intoCopy = try ferry(["import", second.path, "--db", copy, "-q"], in: directory)
                    #expect(intoCopy.status == 0, "\(intoCopy.stderr)")

                    let original = try fingerprint(source), copied = try fingerprint(copy)
                    #expect(original.count > 80)
                    for (column, digest) in original.sorted(by: { $0.key < $1.key }) {
                        #expect(copied[column] == digest, "\(column)")
                    }
                    let sums = "SELECT sum(amount)::text || ' ' || count(*) FROM payment"
                    #expect(try PostgresConnection(uri: copy).scalar(sums) == PostgresConnection(uri: source).scalar(sums))

                    for (changeset, target) in [(second, copy), (first, copy), (first, local.path)] {
                        let again = try ferry(["import", changeset.path, "--db", target, "--report", directory.appendingPathComponent("r-\(UUID()).json").path, "-q"], in: directory)
                        #expect(again.status == 0, "\(again.stderr)")
                    }
                    #expect(try fingerprint(copy) == copied, "a second import changed nothing")
                    // A row the application adds later is stamped as in the original (DEFAULT now()).
                    #expect(try PostgresConnection(uri: copy).scalar("INSERT INTO language (language_id, name) VALUES (99, 'Klingon') RETURNING last_update IS NOT NULL") == .integer(1))
                    // …and a payment gets the next id, though payment_id is a serial inside a composite key.
                    let next = try PostgresConnection(uri: copy).scalar("SELECT max(payment_id) + 1 FROM payment")
                    #expect(try PostgresConnection(uri: copy).scalar("INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (1, 1, 1, 1.00, '2022-01-05') RETURNING payment_id") == next)
                }
            }
        }
    }

    /// pagila's `last_updated` triggers stamp every updated row with the time. Two prepared
    /// copies swapping full exports: the first meeting stamps each row with the other side's
    /// cloudId, which must not move a single `last_update`, and the next round ships nothing.
    @Test func stampingTriggersDoNotRewriteImportedRows() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabaseNamed("a") { a in
                try withPostgresDatabaseNamed("b") { b in
                    try loadPagila(into: a)
                    try loadPagila(into: b)
                    let before = try fingerprint(a)
                    for side in [a, b] { #expect(try ferry(["prepare", "--db", side, "--tables", "actor,country", "-q"]).status == 0) }
                    func exchange(_ from: String, _ to: String, _ name: String, incremental: Bool) throws -> CommandResult {
                        let out = directory.appendingPathComponent(name)
                        let export = try ferry(["export", "--db", from, "--out", out.path, "--tables", "actor,country", "-q"] + (incremental ? ["--incremental"] : []))
                        #expect(export.status == 0, "\(export.stderr)")
                        return try ferry(["import", out.path, "--db", to], in: directory)
                    }
                    let ab = try exchange(a, b, "ab", incremental: false), ba = try exchange(b, a, "ba", incremental: false)
                    #expect(ab.status == 0 && ba.status == 0, "\(ab.stderr)\n\(ba.stderr)")
                    #expect(ba.stderr.contains("triggers set aside"), "\(ba.stderr)")
                    let after = try fingerprint(a)
                    for column in ["actor.last_update", "country.last_update"] {
                        #expect(after[column] == before[column], "\(column) was rewritten by a trigger")
                    }
                    #expect(try fingerprint(b)["actor.last_update"] == before["actor.last_update"])
                    try PostgresConnection(uri: a).execute("UPDATE actor SET first_name = 'EDITED' WHERE actor_id = 3")
                    _ = try exchange(a, b, "ab2", incremental: true)
                    _ = try exchange(b, a, "ba2", incremental: true)
                    let quiet = directory.appendingPathComponent("ab3")
                    #expect(try ferry(["export", "--db", a, "--out", quiet.path, "--tables", "actor,country", "--incremental", "-q"]).status == 0)
                    let summary = try ferry(["inspect", quiet.path])
                    #expect(summary.stdout.contains("0 rows"), "the exchange settled: \(summary.stdout)")
                    // The triggers are in place again, enabled.
                    #expect(try PostgresConnection(uri: a).scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'last_updated' AND tgenabled = 'O'") == .integer(14))
                }
            }
        }
    }

    /// pagila's payments are partitioned by date, and PostgreSQL takes a UNIQUE index on a
    /// partitioned table only over the partition key too: `prepare` gives the table its
    /// cloudIds with a plain index, and the prepared database syncs as any other.
    @Test func preparingPagilaGivesThePartitionedPaymentsCloudIds() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabaseNamed("prepared") { source in
                try withPostgresDatabaseNamed("peer") { peer in
                    try loadPagila(into: source)
                    let prepared = try ferry(["prepare", "--db", source])
                    #expect(prepared.status == 0, "\(prepared.stderr)")
                    let connection = try PostgresConnection(uri: source)
                    #expect(try connection.scalar("SELECT count(*) FILTER (WHERE \"cloudId\" IS NULL) FROM payment") == .integer(0))
                    #expect(try connection.scalar("SELECT count(*) FROM payment_p2022_01 WHERE \"cloudId\" IS NOT NULL") != .integer(0))
                    let changeset = directory.appendingPathComponent("cs")
                    #expect(try ferry(["export", "--db", source, "--out", changeset.path, "-q"]).status == 0)
                    let imported = try ferry(["import", changeset.path, "--db", peer, "-q"], in: directory)
                    #expect(imported.status == 0, "\(imported.stderr)")
                    let cloudIds = "SELECT count(DISTINCT \"cloudId\") || ' ' || count(*) FROM payment"
                    #expect(try PostgresConnection(uri: peer).scalar(cloudIds) == connection.scalar(cloudIds))
                }
            }
        }
    }

    /// Two tables whose NOT NULL foreign keys point at each other, both checked at once:
    /// no row can go in first. Each record is rejected saying so, not "not in the changeset".
    @Test func aCycleOfImmediateNotNullKeysIsRejectedSayingWhy() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabaseNamed("cycle") { source in
                try withPostgresDatabaseNamed("strict") { target in
                    let schema = """
                        CREATE TABLE store (store_id int PRIMARY KEY, manager_staff_id int NOT NULL, name text);
                        CREATE TABLE staff (staff_id int PRIMARY KEY, name text, store_id int NOT NULL REFERENCES store);
                        ALTER TABLE store ADD FOREIGN KEY (manager_staff_id) REFERENCES staff
                        """
                    try PostgresConnection(uri: source).execute("""
                        \(schema) DEFERRABLE INITIALLY DEFERRED;
                        BEGIN; INSERT INTO store VALUES (1, 1, 's1'); INSERT INTO staff VALUES (1, 'a', 1); COMMIT;
                        """)
                    try PostgresConnection(uri: target).execute(schema + ";")
                    let changeset = directory.appendingPathComponent("cs")
                    #expect(try ferry(["export", "--db", source, "--out", changeset.path, "-q"]).status == 0)
                    let rejects = directory.appendingPathComponent("rejects.ndjson")
                    let result = try ferry(["import", changeset.path, "--db", target, "--rejects", rejects.path, "-q"], in: directory)
                    #expect(result.status == 3, "\(result.stderr)")
                    let text = try String(contentsOf: rejects, encoding: .utf8)
                    #expect(text.contains("cycle of foreign keys"), "\(text)")
                    #expect(!text.contains("neither in the target nor in the changeset"), "\(text)")
                    // Into a new database Ferry declares the keys itself (deferrable): both arrive.
                    try withPostgresDatabaseNamed("fresh") { fresh in
                        let imported = try ferry(["import", changeset.path, "--db", fresh, "-q"], in: directory)
                        #expect(imported.status == 0, "\(imported.stderr)")
                        #expect(try PostgresConnection(uri: fresh).scalar("SELECT count(*) FROM store JOIN staff ON staff.store_id = store.store_id AND store.manager_staff_id = staff.staff_id") == .integer(1))
                    }
                }
            }
        }
    }
    /// A server database has no folder to put side files beside: they go in the current
    /// folder under the database's name, so two targets' rejects never replace each other.
    @Test func rejectsOfTwoServerDatabasesNeverReplaceEachOther() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, "CREATE TABLE item (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL); INSERT INTO item VALUES (1, 5), (2, -1), (3, -2);")
            let changeset = directory.appendingPathComponent("cs")
            #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "-q"]).status == 0)
            try withPostgresDatabaseNamed("one") { one in
                try withPostgresDatabaseNamed("two") { two in
                    for (target, bad) in [(one, "qty < 0"), (two, "qty < -1")] {
                        try PostgresConnection(uri: target).execute("CREATE TABLE item (id bigint PRIMARY KEY, qty bigint NOT NULL CHECK (NOT (\(bad))))")
                        #expect(try ferry(["import", changeset.path, "--db", target, "-q"], in: directory).status == 3)
                    }
                    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".rejects-") }.sorted()
                    #expect(files.count == 2, "\(files)")
                    let lines = try files.map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8).split(separator: "\n").count }
                    #expect(lines.sorted() == [1, 2], "\(files): \(lines)")
                }
            }
        }
    }
    /// SQLite keeps any number in a NUMERIC column; PostgreSQL's numeric(5,2) rounds 1.555
    /// to 1.56 without a word, and every later import would meet the row as changed. The
    /// record is rejected alone, saying so; values that fit go in.
    @Test func aValuePostgresWouldRoundIsRejectedAlone() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, """
                CREATE TABLE price (id INTEGER PRIMARY KEY, amount NUMERIC NOT NULL, hundreds NUMERIC, tiers TEXT);
                INSERT INTO price VALUES (1, 1.555, 100, NULL), (2, '2.50', 1200, '{1.50,2}'), (3, 3, 1300, NULL), (4, 4.1, 1250, NULL), (5, 1e-3, 0, NULL),
                                         (6, 12.250000, NULL, NULL), (7, '1.555' || char(10), 100, NULL), (8, 8, NULL, '{{1.5,NULL},{2.125,3}}');
                """)
            let changeset = directory.appendingPathComponent("cs")
            #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "-q"]).status == 0)
            try withPostgresDatabaseNamed("numeric") { target in
                // A domain over a domain over numeric(5,2), and a negative scale (hundreds).
                try PostgresConnection(uri: target).execute("""
                    CREATE DOMAIN money2 AS numeric(5,2); CREATE DOMAIN price2 AS money2 CHECK (VALUE >= 0);
                    CREATE TABLE price (id bigint PRIMARY KEY, amount price2 NOT NULL, hundreds numeric(5,-2), tiers numeric(6,2)[])
                    """)
                let rejects = directory.appendingPathComponent("rejects.ndjson")
                let result = try ferry(["import", changeset.path, "--db", target, "--rejects", rejects.path, "-q"], in: directory)
                #expect(result.status == 3, "\(result.stderr)")
                let text = try String(contentsOf: rejects, encoding: .utf8)
                #expect(text.split(separator: "\n").count == 5 && text.contains("would round it"), "1, 4 (1250 in hundreds), 5, 7 and 8 (2.125 in an array): \(text)")
                #expect(try PostgresConnection(uri: target).scalar("SELECT string_agg(amount::text || '/' || coalesce(hundreds::text, '-'), ' ' ORDER BY id) FROM price")
                        == .text("2.50/1200 3.00/1300 12.25/-"))
            }
        }
    }
    /// SQLite stores a NaN double as NULL; the NaN of a PostgreSQL float is kept as the text
    /// NaN in a REAL column and read back as NaN, so it crosses SQLite into a new database,
    /// and neither side sees a change on the next import.
    @Test func aFloatNaNCrossesSQLiteAndBack() throws {
        try withTemporaryDirectory { directory in
            try withPostgresDatabaseNamed("nan") { source in
                try withPostgresDatabaseNamed("nancopy") { copy in
                    try PostgresConnection(uri: source).execute("""
                        CREATE TABLE m (id int PRIMARY KEY, f float8, r real, t text, n numeric);
                        INSERT INTO m VALUES (1, 'NaN', 'NaN', 'NaN', 'NaN'), (2, 'Infinity', '-Infinity', 'x', 2.5), (3, 1.5, NULL, NULL, NULL);
                        """)
                    let first = directory.appendingPathComponent("pg"), second = directory.appendingPathComponent("sqlite")
                    let local = directory.appendingPathComponent("local.db")
                    #expect(try ferry(["export", "--db", source, "--out", first.path, "-q"]).status == 0)
                    #expect(try ferry(["import", first.path, "--db", local.path, "-q"], in: directory).status == 0)
                    #expect(try sqlite3(local, "SELECT count(*) FROM m WHERE f IS NULL OR r IS NULL") == "1\n", "only row 3's r is NULL")
                    #expect(try ferry(["export", "--db", local.path, "--out", second.path, "-q"]).status == 0)
                    #expect(try ferry(["import", second.path, "--db", copy, "-q"], in: directory).status == 0)
                    let values = "SELECT string_agg(concat_ws('|', id, f, r, t, n), ' ' ORDER BY id) FROM m"
                    #expect(try PostgresConnection(uri: copy).scalar(values) == PostgresConnection(uri: source).scalar(values))
                    for (changeset, target, name) in [(first, local.path, "a"), (first, copy, "b"), (second, source, "c")] {
                        let report = directory.appendingPathComponent("\(name).json")
                        #expect(try ferry(["import", changeset.path, "--db", target, "--report", report.path, "-q"], in: directory).status == 0)
                        let text = try String(contentsOf: report, encoding: .utf8)
                        #expect(text.contains("\"unchanged\": 3"), "\(name): \(text.prefix(300))")
                    }
                }
            }
        }
    }
    /// Only a function that sets NEW's columns to the time is a stamp: a check and a derived
    /// column keep firing (a check's RAISE rejects the one record), and a partitioned
    /// table's partitions keep their own trigger states (one disabled, one ENABLE ALWAYS).
    @Test func onPostgresOnlyStampsAreSetAsideAndEveryPartitionKeepsItsState() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, """
                CREATE TABLE p (id INTEGER, region INTEGER, name TEXT, v INTEGER, slug TEXT, updated_at TEXT, PRIMARY KEY (id, region));
                INSERT INTO p VALUES (1, 1, 'One', 5, NULL, '2020-01-01 00:00:00+00'), (2, 2, 'Two', -1, NULL, '2020-01-01 00:00:00+00'),
                                     (3, 3, 'Three', 7, NULL, '2020-01-01 00:00:00+00');
                """)
            let changeset = directory.appendingPathComponent("cs")
            #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "-q"]).status == 0)
            try withPostgresDatabaseNamed("partitions") { target in
                let connection = try PostgresConnection(uri: target)
                try connection.execute("""
                    CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
                    CREATE FUNCTION checked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.v < 0 THEN RAISE EXCEPTION 'v must be >= 0'; END IF; RETURN NEW; END $$;
                    CREATE FUNCTION slugged() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.slug = lower(NEW.name); RETURN NEW; END $$;
                    CREATE TABLE p (id bigint, region bigint, name text, v bigint, slug text, updated_at timestamptz, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
                    CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);
                    CREATE TABLE p2 PARTITION OF p FOR VALUES IN (2);
                    CREATE TABLE p3 PARTITION OF p FOR VALUES IN (3);
                    CREATE TRIGGER a_stamp BEFORE INSERT OR UPDATE ON p FOR EACH ROW EXECUTE FUNCTION stamp();
                    CREATE TRIGGER b_check BEFORE INSERT OR UPDATE ON p FOR EACH ROW EXECUTE FUNCTION checked();
                    CREATE TRIGGER c_slug BEFORE INSERT OR UPDATE ON p FOR EACH ROW EXECUTE FUNCTION slugged();
                    ALTER TABLE p1 DISABLE TRIGGER a_stamp;
                    ALTER TABLE p3 ENABLE ALWAYS TRIGGER a_stamp;
                    """)
                let states = "SELECT string_agg(tgrelid::regclass::text || '.' || tgname || '=' || tgenabled::text, ' ' ORDER BY tgrelid::regclass::text, tgname) FROM pg_trigger WHERE NOT tgisinternal"
                let before = try connection.scalar(states)
                let rejects = directory.appendingPathComponent("rejects.ndjson")
                let result = try ferry(["import", changeset.path, "--db", target, "--rejects", rejects.path], in: directory)
                #expect(result.status == 3, "\(result.stderr)")
                #expect(result.stderr.contains("p.a_stamp") && !result.stderr.contains("b_check") && !result.stderr.contains("c_slug"), "\(result.stderr)")
                #expect(try String(contentsOf: rejects, encoding: .utf8).contains("v must be >= 0"))
                #expect(try connection.scalar("SELECT string_agg(id || ':' || slug || ':' || (updated_at = '2020-01-01 00:00:00+00'), ' ' ORDER BY id) FROM p")
                        == .text("1:one:true 3:three:false"), "the slug derived; the stamp set aside, except where it fires ALWAYS (p3)")
                let after = try connection.scalar(states)
                #expect(after == before, "\(String(describing: before)) → \(String(describing: after))")
            }
        }
    }
    /// Only a table's owner may disable its triggers. Another user's import goes on with
    /// the stamp firing, and says so, naming why.
    @Test func aUserWhoDoesNotOwnTheTableIsToldTheStampStillFired() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT); INSERT INTO note VALUES (1, 'hello', '2020-01-01 00:00:00+00');")
            let changeset = directory.appendingPathComponent("cs")
            #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "-q"]).status == 0)
            let server = try #require(ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"])
            let clerk = "ferry_clerk_\(UUID().uuidString.prefix(8).lowercased())"
            let admin = try PostgresConnection(uri: server)
            try admin.execute("CREATE ROLE \(clerk) LOGIN")
            defer { try? admin.execute("DROP ROLE IF EXISTS \(clerk)") }
            try withPostgresDatabaseNamed("owner") { target in
                let owner = try PostgresConnection(uri: target)
                try owner.execute("""
                    CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
                    CREATE TABLE note (id bigint PRIMARY KEY, body text, updated_at timestamptz);
                    CREATE TRIGGER note_stamp BEFORE INSERT OR UPDATE ON note FOR EACH ROW EXECUTE FUNCTION stamp();
                    GRANT USAGE, CREATE ON SCHEMA public TO \(clerk);
                    GRANT SELECT, INSERT, UPDATE, DELETE ON note TO \(clerk);
                    """)
                defer { try? owner.execute("DROP OWNED BY \(clerk)") }
                let asClerk = target.contains("user=") ? target.replacingOccurrences(of: #"user=[^&]*"#, with: "user=\(clerk)", options: .regularExpression)
                    : target + (target.contains("?") ? "&" : "?") + "user=\(clerk)"
                let result = try ferry(["import", changeset.path, "--db", asClerk], in: directory)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("note_stamp (only the table's owner may set it aside)"), "\(result.stderr)")
                #expect(try owner.scalar("SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'note_stamp'") == .text("O"))
            }
        }
    }
}
