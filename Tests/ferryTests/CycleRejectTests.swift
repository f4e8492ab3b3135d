import Foundation
import Testing

/// A row of a self-referencing cycle is inserted with its reference NULL and linked at the
/// end; when its parent was rejected, it is taken out again. The rows this import inserted
/// that point at it go with it, each rejected with the row as written, so the rejects file,
/// once the first record is fixed, brings every one of them back.
@Suite struct CycleRejectTests {
    @Test func aRejectedManagerTakesTheRowsBelowItOutAndTheFixedRejectsBringThemBack() throws {
        try withTemporaryDirectory { directory in
            let schema = """
                CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, manager_id INTEGER REFERENCES person(id));
                CREATE TABLE project (id INTEGER PRIMARY KEY, title TEXT NOT NULL UNIQUE);
                CREATE TABLE person_project (person_id INTEGER NOT NULL REFERENCES person(id), project_id INTEGER NOT NULL REFERENCES project(id),
                    PRIMARY KEY (person_id, project_id));
                """
            let (source, target) = try sourceAndTarget(in: directory, "source.db", "target.db", schema: schema, source: """
                INSERT INTO person VALUES (1, 'alice@acme.com', NULL), (2, 'bob@acme.com', 1), (3, 'carol@acme.com', 2), (4, 'dan@acme.com', NULL);
                INSERT INTO project VALUES (1, 'p1');
                INSERT INTO person_project VALUES (1, 1), (2, 1), (3, 1), (4, 1);
                """, target: "")
            // The target refuses alice: bob (whom she manages) waits for her, carol for bob.
            try database(target, "CREATE TRIGGER no_alice BEFORE INSERT ON person WHEN NEW.email = 'alice@acme.com' BEGIN SELECT RAISE(ABORT, 'alice is not welcome'); END;")
            let changeset = try exportChangeset(source, in: directory)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--rejects", rejects.path])
            #expect(result.status == 3, "\(result.stderr)")
            #expect(try sqlite3(target, "SELECT group_concat(email) FROM person") == "dan@acme.com\n", "only dan stands alone")
            #expect(try sqlite3(target, "SELECT group_concat(person_id) FROM person_project") == "4\n")
            #expect(try sqlite3(target, "PRAGMA foreign_key_check").isEmpty)
            let lines = try String(contentsOf: rejects, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 6, "alice, bob, carol and their three project rows: \(lines)")
            // Fixed: the target lets alice in; the rejects file brings everyone back, linked.
            try database(target, "DROP TRIGGER no_alice")
            let again = try ferry(["import", rejects.path, "--db", target.path, "-q"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try sqlite3(target, "SELECT p.email, m.email FROM person p LEFT JOIN person m ON m.id = p.manager_id ORDER BY p.id")
                    == "alice@acme.com|\nbob@acme.com|alice@acme.com\ncarol@acme.com|bob@acme.com\ndan@acme.com|\n")
            #expect(try sqlite3(target, "SELECT count(*) FROM person_project") == "4\n")
            #expect(try sqlite3(target, "PRAGMA foreign_key_check").isEmpty)
        }
    }
}
