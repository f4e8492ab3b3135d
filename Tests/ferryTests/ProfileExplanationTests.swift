import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// Issue 14: `ferry profile` explains each table's identity, and names the fix where there is none.
@Suite struct ProfileExplanationTests {
    @Test func everyTableSaysHowItsRowsAreRecognised() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("app.db")
            try database(db, """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
                CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
                CREATE UNIQUE INDEX people_email ON people (lower(email));
                CREATE TABLE tag_user (tag TEXT NOT NULL, user INTEGER NOT NULL REFERENCES users(id), PRIMARY KEY (tag, user));
                CREATE TABLE post_user (post INTEGER NOT NULL REFERENCES users(id), user INTEGER NOT NULL REFERENCES users(id), PRIMARY KEY (post, user));
                CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
                CREATE TABLE log (at TEXT, line TEXT);
                INSERT INTO notes (body) VALUES ('x');
                """)
            let result = try ferry(["profile", "--db", db.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let tables = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])["tables"] as? [String: [String: Any]]
            func steps(_ table: String) -> [String] { tables?[table]?["recognisedBy"] as? [String] ?? [] }
            #expect(steps("users") == ["natural key (email)"])
            #expect(steps("people") == ["unique expression (lower(email))"])
            #expect(steps("post_user") == ["primary key (post, user), the parents' identities"])
            #expect(steps("notes").first == "primary key (id)")
            #expect(steps("notes").last?.contains(#""match": [["body"]]"#) == true, "the fix is named: \(steps("notes"))")
            #expect(steps("log").first?.hasPrefix("every column: a row equal to a target row in every column is that row") == true, "\(steps("log"))")
            #expect(result.stderr.contains("warning: table notes"), "a table with rows and only an integer id is warned about: \(result.stderr)")
        }
    }
}
