import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// What public sample databases and a Django project found (issue 14's checks, run early).
@Suite struct RealDataFindingsTests {
    /// Django's `UNIQUE(parent_id, name)` with NULL parents for the roots: the natural key
    /// identifies no root, the profile's identical `match` line does (NULL equals NULL).
    @Test func aMatchLineRepeatingANullableUniqueKeyStillMatches() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE g (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE cat (id INTEGER PRIMARY KEY, name TEXT NOT NULL, g_id INTEGER REFERENCES g(id), UNIQUE (g_id, name));"
            let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
                source: "INSERT INTO cat VALUES (1, 'A', NULL), (2, 'B', NULL);",
                target: "INSERT INTO cat VALUES (11, 'A', NULL), (12, 'B', NULL);")
            let profile = directory.appendingPathComponent("p.json")
            try Data(#"{"tables": {"cat": {"match": [["g_id", "name"]]}}}"#.utf8).write(to: profile)
            let changeset = try exportChangeset(source, in: directory, profile: profile)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--profile", profile.path, "--quiet"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try scalar(target, "SELECT count(*) FROM cat") == .integer(2), "matched, not duplicated")
        }
    }

    /// A table without a primary key, a primary key of NULLs, an integer id whose only
    /// UNIQUE key is NULL: nothing identifies these rows, yet importing the same changeset
    /// again must change nothing.
    @Test func reimportingAnAppliedChangesetDuplicatesNothing() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("s.db"), target = directory.appendingPathComponent("t.db")
            try database(source, """
                CREATE TABLE alias (object TEXT, alt TEXT);
                CREATE TABLE usage (auth_name TEXT, code TEXT, scope TEXT, PRIMARY KEY (auth_name, code));
                CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);
                INSERT INTO alias VALUES ('a', 'x'), ('a', 'x'), ('b', NULL);
                INSERT INTO usage VALUES (NULL, NULL, 'world'), (NULL, NULL, 'europe');
                INSERT INTO people VALUES (1, 'a@x', 'A'), (2, NULL, 'B');
                """)
            let changeset = try exportChangeset(source, in: directory)
            #expect(try ferry(["import", changeset.path, "--db", target.path, "--quiet"]).status == 0)
            let before = try rowCounts(ofDatabase: target)
            #expect(before == ["alias": 3, "usage": 2, "people": 2])
            let again = try ferry(["import", changeset.path, "--db", target.path, "--quiet"])
            #expect(again.status == 0, "stderr: \(again.stderr)")
            #expect(try rowCounts(ofDatabase: target) == before, "a replay of an applied changeset changes nothing")
        }
    }

    /// Both stores prepared, each edits another row, the target has exported once (a
    /// backup, say): the first import must not take the target's own export for a base
    /// shared with the source, which fast-forwarded over the target's edit.
    @Test func theTargetsOwnExportIsNoBaseForTheSource() throws {
        try withTemporaryDirectory { directory in
            let a = directory.appendingPathComponent("a.db"), b = directory.appendingPathComponent("b.db")
            let schema = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);"
            try database(a, schema + "INSERT INTO users VALUES (1, 'ann@x', 'Ann'), (2, 'bob@x', 'Bob');")
            try database(b, schema + "INSERT INTO users VALUES (11, 'ann@x', 'Ann'), (12, 'bob@x', 'Bob');")
            for path in [a, b] { #expect(try ferry(["prepare", "--db", path.path, "--quiet"]).status == 0) }
            try database(a, "UPDATE users SET name = 'Ann-A' WHERE id = 1")
            try database(b, "UPDATE users SET name = 'Bob-B' WHERE id = 12")
            #expect(try ferry(["export", "--db", a.path, "--out", directory.appendingPathComponent("from-a").path, "--quiet"]).status == 0)
            #expect(try ferry(["export", "--db", b.path, "--out", directory.appendingPathComponent("backup").path, "--quiet"]).status == 0)
            let result = try ferry(["import", directory.appendingPathComponent("from-a").path, "--db", b.path, "--quiet"])
            #expect(result.status == 3, "first contact with different values is a conflict: \(result.stderr)")
            #expect(try scalar(b, "SELECT name FROM users WHERE email = 'bob@x'") == .text(Array("Bob-B".utf8)), "B's edit is not lost")
        }
    }

    /// SQL's MATCH SIMPLE: a composite foreign key with a NULL column points at nothing.
    @Test func aCompositeForeignKeyWithANullColumnIsNoReference() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("s.db")
            try database(source, """
                CREATE TABLE unit (auth_name TEXT NOT NULL, code TEXT NOT NULL, name TEXT, PRIMARY KEY (auth_name, code));
                CREATE TABLE op (id INTEGER PRIMARY KEY, uom_auth TEXT, uom_code TEXT, FOREIGN KEY (uom_auth, uom_code) REFERENCES unit (auth_name, code));
                INSERT INTO unit VALUES ('EPSG', '9001', 'metre');
                INSERT INTO op VALUES (1, 'EPSG', '9001'), (2, 'EPSG', NULL), (3, NULL, NULL);
                """)
            let changeset = try exportChangeset(source, in: directory)
            let target = directory.appendingPathComponent("t.db")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--quiet"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try scalar(target, "SELECT count(*) FROM op") == .integer(3))
            #expect(try scalar(target, "SELECT uom_auth FROM op WHERE id = 2") == .text(Array("EPSG".utf8)))
        }
    }

    @Test func profileWarnsOnlyAboutIdsADatabaseHandsOut() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("app.db")
            try database(db, """
                CREATE TABLE usage (auth_name TEXT NOT NULL, code TEXT NOT NULL, scope TEXT, PRIMARY KEY (auth_name, code));
                CREATE TABLE artist (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                CREATE TABLE album (id INTEGER PRIMARY KEY, title TEXT NOT NULL, artist_id INTEGER NOT NULL REFERENCES artist(id), price REAL NOT NULL);
                INSERT INTO usage VALUES ('EPSG', '1', 'x'); INSERT INTO artist VALUES (1, 'AC/DC'); INSERT INTO album VALUES (1, 'Highway', 1, 9.99);
                """)
            let result = try ferry(["profile", "--db", db.path])
            #expect(!result.stderr.contains("table usage"), "a composite of codes is a name, not an id made here: \(result.stderr)")
            #expect(result.stderr.contains(#""match": [["title", "artist_id"]]"#), "an album is its title and its artist, not its price: \(result.stderr)")
        }
    }

    /// Migration bookkeeping stays home unless asked for: `export --tables` or the profile's
    /// `include` names it, and then it travels and imports like any table.
    @Test(arguments: ["--tables", "include"])
    func migrationBookkeepingTravelsWhenAsked(how: String) throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("s.db")
            try database(source, """
                CREATE TABLE django_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, name TEXT NOT NULL, applied TEXT NOT NULL);
                CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE);
                INSERT INTO django_migrations (app, name, applied) VALUES ('notes', '0001_initial', '2026-01-01');
                INSERT INTO notes VALUES (1, 'hello');
                """)
            let plain = directory.appendingPathComponent("plain")
            let told = try ferry(["export", "--db", source.path, "--out", plain.path])
            #expect(!FileManager.default.fileExists(atPath: plain.appendingPathComponent("django_migrations.ndjson.gz").path), "not synced unless asked")
            #expect(told.stderr.contains("left out: django_migrations"), "and said so: \(told.stderr)")
            let asked = directory.appendingPathComponent("asked")
            var arguments = ["export", "--db", source.path, "--out", asked.path, "--quiet"]
            if how == "--tables" {
                arguments += ["--tables", "notes,django_migrations"]
            } else {
                let profile = directory.appendingPathComponent("p.json")
                try Data(#"{"include": ["django_migrations"]}"#.utf8).write(to: profile)
                arguments += ["--profile", profile.path]
            }
            #expect(try ferry(arguments).status == 0)
            let target = directory.appendingPathComponent("t.db")
            let result = try ferry(["import", asked.path, "--db", target.path, "--quiet"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try scalar(target, "SELECT name FROM django_migrations") == .text(Array("0001_initial".utf8)))
        }
    }
}
