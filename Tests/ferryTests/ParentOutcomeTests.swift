import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// Issue 14, "Children of a parent that was not applied".
@Suite struct ParentOutcomeTests {
    static let schema = """
        CREATE TABLE owners (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL CHECK (length(name) > 0));
        CREATE TABLE pets (id TEXT PRIMARY KEY, tag TEXT NOT NULL UNIQUE, ownerId TEXT NOT NULL REFERENCES owners(id));
        """

    /// Both sides have the owner under other ids; the owner was edited on both sides.
    @Test func aChildOfAParentInConflictIsApplied() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("a.db")
            let target = directory.appendingPathComponent("b.db")
            try database(source, Self.schema + "INSERT INTO owners VALUES ('o1', 'ann@example.com', 'Ann S'); INSERT INTO pets VALUES ('p1', 'rex', 'o1');")
            try database(target, Self.schema + "INSERT INTO owners VALUES ('x1', 'ann@example.com', 'Ann T');")
            let changeset = try exportChangeset(source, in: directory)
            let report = directory.appendingPathComponent("r.json")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--report", report.path, "--quiet"])
            #expect(result.status == 3, "the owner's first contact is a deferred conflict: \(result.stderr)")
            #expect(try scalar(target, "SELECT ownerId FROM pets WHERE tag = 'rex'") == .text(Array("x1".utf8)), "the pet points at the target's owner")
        }
    }

    @Test func aChildOfARejectedParentSaysWhichRecordToFix() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("a.db")
            let target = directory.appendingPathComponent("b.db")
            try database(source, Self.schema.replacingOccurrences(of: " CHECK (length(name) > 0)", with: "")
                         + "INSERT INTO owners VALUES ('o1', 'ann@example.com', ''); INSERT INTO pets VALUES ('p1', 'rex', 'o1');")
            try database(target, Self.schema)
            let changeset = try exportChangeset(source, in: directory)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--rejects", rejects.path, "--quiet"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let lines = String(decoding: try fileBytes(rejects), as: UTF8.self).split(separator: "\n")
            #expect(lines.count == 2, "the owner and its pet: \(lines)")
            let pet = try #require(lines.first { $0.contains("\"rex\"") })
            #expect(pet.contains("points at the row of owners on line 1 of this changeset, which was itself rejected (constraint)"), "\(pet)")
        }
    }

    /// A source whose foreign key dangles (checks off, the owner deleted): the record carries
    /// an identity of NULLs, and the reject says the source lacked the row, by the key it
    /// names, not "points at owners email null".
    @Test func aReferenceDanglingAtTheSourceSaysSo() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("a.db")
            let target = directory.appendingPathComponent("b.db")
            try database(source, Self.schema + "PRAGMA foreign_keys = OFF; INSERT INTO pets VALUES ('p1', 'rex', 'o-gone');")
            try database(target, Self.schema)
            let changeset = try exportChangeset(source, in: directory)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--rejects", rejects.path, "--quiet"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let pet = String(decoding: try fileBytes(rejects), as: UTF8.self)
            #expect(pet.contains(#"= \"o-gone\" points at a row of owners that the source did not hold either"#), "\(pet)")
        }
    }
}

/// Issue 14, "Settling ambiguity once": a person pins which target row a source row is.
@Suite struct PinTests {
    static let schema = """
        CREATE TABLE playlist (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE track (id INTEGER PRIMARY KEY, title TEXT NOT NULL UNIQUE);
        CREATE TABLE playlist_track (playlist INTEGER NOT NULL REFERENCES playlist(id), track INTEGER NOT NULL REFERENCES track(id), PRIMARY KEY (playlist, track));
        """

    func scenario(_ directory: URL) throws -> (changeset: URL, target: URL) {
        let source = directory.appendingPathComponent("a.db")
        let target = directory.appendingPathComponent("b.db")
        try database(source, Self.schema + """
            INSERT INTO playlist VALUES (1, 'Music'), (2, 'Music'), (3, 'Jazz'); INSERT INTO track VALUES (1, 'a'), (2, 'b');
            INSERT INTO playlist_track VALUES (1, 1), (2, 2), (3, 1);
            """)
        try database(target, Self.schema + "INSERT INTO playlist VALUES (11, 'Music'), (12, 'Music'), (13, 'Jazz'); INSERT INTO track VALUES (21, 'a'), (22, 'b');")
        let profile = directory.appendingPathComponent("profile.json")
        try Data(#"{"tables": {"playlist": {"match": [["name"]]}}}"#.utf8).write(to: profile)
        let changeset = try exportChangeset(source, in: directory, profile: profile)
        return (changeset, target)
    }

    @Test func anAmbiguousRowsRejectNamesTheCandidatesAndThePin() throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try scenario(directory)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            #expect(try ferry(["import", changeset.path, "--db", target.path, "--rejects", rejects.path, "--quiet"]).status == 3)
            let text = String(decoding: try fileBytes(rejects), as: UTF8.self)
            #expect(text.contains("(id = 11), (id = 12)"), "the candidates: \(text)")
            #expect(text.contains("--pin 'playlist:1=11'"), "the pin that settles it: \(text)")
        }
    }

    @Test func pinnedRowsMatchAndTheirChildrenFollow() throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try scenario(directory)
            let pins = directory.appendingPathComponent("pins.txt")
            try Data("# which Music is which\nplaylist:2=12\n".utf8).write(to: pins)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--pin", "playlist:1=11", "--pins", pins.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let links = try SQLiteDatabase(path: target.path, mode: .readOnly).rows("SELECT playlist, track FROM playlist_track ORDER BY playlist")
            #expect(links == [[.integer(11), .integer(21)], [.integer(12), .integer(22)], [.integer(13), .integer(21)]], "\(links)")
            #expect(try scalar(target, "SELECT count(*) FROM playlist") == .integer(3), "no playlist inserted")
        }
    }

    @Test(arguments: ["playlist:1=99", "nosuch:1=11", "playlist:1", "playlist:1,2=11"])
    func aBadPinIsRefusedBeforeAnythingIsWritten(pin: String) throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try scenario(directory)
            let before = try fileBytes(target)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--pin", pin])
            expectCleanRefusal(result, mentions: ["pin"])
            #expect(try fileBytes(target) == before)
        }
    }
}

/// What a hostile tester did with pins: every one is refused before anything is written,
/// or rejected with its reason, never a silent loss.
@Suite struct PinSafetyTests {
    func scenario(_ directory: URL, target rows: String = "(17, 'rock', 't17'), (18, 'rock', 't18'), (19, 'jazz', 't19')") throws -> (changeset: URL, target: URL) {
        let schema = "CREATE TABLE pl (id INTEGER PRIMARY KEY, name TEXT, note TEXT); CREATE TABLE tr (id INTEGER PRIMARY KEY, pl_id INT REFERENCES pl(id), t TEXT);"
        let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
            source: "INSERT INTO pl VALUES (1, 'rock', 's1'), (2, 'rock', 's2'), (3, 'jazz', 's3'); INSERT INTO tr VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c');",
            target: "INSERT INTO pl VALUES \(rows);")
        let profile = directory.appendingPathComponent("p.json")
        try Data(#"{"tables": {"pl": {"match": [["name"]]}}}"#.utf8).write(to: profile)
        let changeset = try exportChangeset(source, in: directory, profile: profile)
        return (changeset, target)
    }

    @Test(arguments: [
        (["pl:1=17", "pl:2=17"], "both name target row 17"),
        (["pl:1=17", "pl:1=18"], "is already pinned"),
        (["pl:9=17"], "has no row with that source key"),
    ])
    func aContradictoryOrUnusedPinIsRefused(pins: [String], mentions: String) throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try scenario(directory)
            let before = try fileBytes(target)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins"] + pins.flatMap { ["--pin", $0] })
            expectCleanRefusal(result, mentions: [mentions])
            #expect(try fileBytes(target) == before)
        }
    }

    /// Source row 1 matches 17 by name, but a pin gives 17 to source row 3: the person's pin
    /// stands and row 1 is rejected with the reason, never both merged into one row.
    @Test func aPinNeverTakesARowAnotherRecordMatched() throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try scenario(directory, target: "(17, 'rock', 't17'), (19, 'jazz', 't19')")
            let rejects = directory.appendingPathComponent("r.ndjson")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--pin", "pl:2=19", "--pin", "pl:3=17", "--on-conflict", "source-wins", "--rejects", rejects.path, "--quiet"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let text = String(decoding: try fileBytes(rejects), as: UTF8.self)
            #expect(text.contains("One target row can stand for one source row only"), "\(text)")
            #expect(try scalar(target, "SELECT note FROM pl WHERE id = 17") == .text(Array("s3".utf8)), "row 17 is the pinned source row 3")
            #expect(text.contains("which a pin gives to source row 3"), "\(text)")
        }
    }

    @Test func keysWithSeparatorsArePinnedQuoted() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE k (code TEXT PRIMARY KEY, name TEXT, v INT);"
            let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
                source: #"INSERT INTO k VALUES ('a:b=c,d', 'dup', 1), ('x"y', 'dup', 2);"#,
                target: #"INSERT INTO k VALUES ('T:1=2', 'dup', 10), ('T,2', 'dup', 20);"#)
            let profile = directory.appendingPathComponent("p.json")
            try Data(#"{"tables": {"k": {"match": [["name"]]}}}"#.utf8).write(to: profile)
            let changeset = try exportChangeset(source, in: directory, profile: profile)
            let rejects = directory.appendingPathComponent("r.ndjson")
            #expect(try ferry(["import", changeset.path, "--db", target.path, "--rejects", rejects.path, "--quiet"]).status == 3)
            // The reject prints a pin that parses.
            let text = String(decoding: try fileBytes(rejects), as: UTF8.self)
            #expect(text.contains(#"--pin 'k:\"a:b=c,d\"=\"T:1=2\"'"#), "\(text)")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins",
                                    "--pin", #"k:"a:b=c,d"="T:1=2""#, "--pin", #"k:"x""y"="T,2""#])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try scalar(target, "SELECT v FROM k WHERE code = 'T:1=2'") == .integer(1))
            #expect(try scalar(target, "SELECT v FROM k WHERE code = 'T,2'") == .integer(2))
        }
    }
}

/// Tables with no key at all, and expression keys over NULL-able columns.
@Suite struct KeylessTableTests {
    /// Two stores exchanging a log table each round: a row equal in every column is the
    /// same row, so the table does not double every round.
    @Test func aTableWithNoKeyDoesNotGrowOnEveryExchange() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE tag (label TEXT, v INT);"
            let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
                source: "INSERT INTO tag VALUES ('u', 2), ('t', 1), ('t', 1), ('n', NULL);",
                target: "INSERT INTO tag VALUES ('t', 1), ('u', 2), ('n', NULL);")
            for round in 1...3 {
                let changeset = directory.appendingPathComponent("cs\(round)")
                #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "--quiet"]).status == 0)
                #expect(try ferry(["import", changeset.path, "--db", target.path, "--quiet"]).status == 0)
                #expect(try scalar(target, "SELECT count(*) FROM tag") == .integer(4), "round \(round): the source's two equal rows are two rows, no more")
            }
        }
    }

    @Test func anExpressionKeyMatchesWhereItsColumnIsNull() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE w (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL, n INT); CREATE UNIQUE INDEX w_ab ON w (coalesce(a, ''), lower(b));"
            let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
                source: "INSERT INTO w VALUES (1, NULL, 'FOO', 1);",
                target: "INSERT INTO w VALUES (9, '', 'foo', 0);")
            let changeset = try exportChangeset(source, in: directory)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins", "--quiet"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try scalar(target, "SELECT count(*) FROM w") == .integer(1), "matched through coalesce, not inserted")
        }
    }

    @Test func anExpressionKeyOnQuotedNamesIsRead() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("app.db")
            try database(db, #"CREATE TABLE "we""ird" (id INTEGER PRIMARY KEY, "e m""ail" TEXT NOT NULL); CREATE UNIQUE INDEX "i""dx" ON "we""ird" (upper("e m""ail"));"#)
            let result = try ferry(["profile", "--db", db.path])
            let tables = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])["tables"] as? [String: [String: Any]]
            let steps = tables?[#"we"ird"#]?["recognisedBy"] as? [String] ?? []
            #expect(steps.first?.hasPrefix("unique expression (upper(") == true, "\(steps)")
        }
    }
}

extension KeylessTableTests {
    /// A text id taken by a row whose unique `lower(email)` differs is another logical row:
    /// a pk_collision, never a merge into that row (source-wins overwrote it before).
    @Test func aTakenIdWhoseExpressionKeyDiffersIsACollision() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE person (id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT); CREATE UNIQUE INDEX person_email ON person (lower(email));"
            let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
                source: "INSERT INTO person VALUES ('p1', 'cy@x', 'Cy'), ('p2', 'BO@x', 'Bo B.');",
                target: "INSERT INTO person VALUES ('p1', 'ann@x', 'Ann'), ('p2', 'bo@x', 'Bo');")
            let changeset = try exportChangeset(source, in: directory)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins", "--rejects", rejects.path, "--quiet"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            #expect(try String(contentsOf: rejects, encoding: .utf8).contains(#""reason":"pk_collision""#))
            #expect(try scalar(target, "SELECT name FROM person WHERE id = 'p1'") == .text("Ann"))
            #expect(try scalar(target, "SELECT name FROM person WHERE id = 'p2'") == .text("Bo B."))
        }
    }

    /// A record whose two natural keys name two target rows: written to the one its first
    /// key found, it collides on the other. The reject says so, as the identity drift it
    /// is, instead of asking for a `match` line on a column that is a natural key already.
    /// The second key as a plain UNIQUE column, and as a unique index on `lower(amail)`.
    @Test(arguments: ["amail TEXT UNIQUE NOT NULL, name TEXT);", "amail TEXT NOT NULL, name TEXT); CREATE UNIQUE INDEX users_amail ON users (lower(amail));"])
    func twoNaturalKeysOnTwoTargetRowsAreAnIdentityDrift(secondKey: String) throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, " + secondKey
            let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
                source: "INSERT INTO users VALUES (9, 'a@x', 'b@x', 'Src');",
                target: "INSERT INTO users VALUES (1, 'a@x', 'z@x', 'T1'), (2, 'q@x', 'b@x', 'T2');")
            let changeset = try exportChangeset(source, in: directory)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins", "--rejects", rejects.path, "--quiet"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let text = try String(contentsOf: rejects, encoding: .utf8)
            #expect(text.contains(#""reason":"identity_drift""#) && text.contains("Two target rows hold this record's identities"), "\(text)")
            #expect(!text.contains("\"match\""), "no match line for a natural key")
            #expect(try scalar(target, "SELECT group_concat(name) FROM (SELECT name FROM users ORDER BY id)") == .text("T1,T2"))
        }
    }

    /// --prune keeps a row that a rejected record stands for by its unique `lower(email)`:
    /// the record was refused before it matched (a parent nowhere), and the row it would
    /// have updated was deleted as absent from the changeset.
    @Test func pruneKeepsARowARejectedRecordNamesByItsExpressionKey() throws {
        try withTemporaryDirectory { directory in
            let schema = """
                PRAGMA foreign_keys = OFF;
                CREATE TABLE team (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                CREATE TABLE person (id TEXT PRIMARY KEY, email TEXT NOT NULL, teamId TEXT REFERENCES team (id));
                CREATE UNIQUE INDEX person_email ON person (lower(email));
                """
            let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
                source: "INSERT INTO person VALUES ('p1', 'Ann@x', 'nowhere'), ('p2', 'bo@x', NULL);",
                target: "INSERT INTO person VALUES ('q1', 'ann@X', NULL), ('q2', 'cy@x', NULL), ('q3', 'di@x', NULL), ('q4', 'ed@x', NULL), ('q5', 'fa@x', NULL);")
            let changeset = try exportChangeset(source, in: directory)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--prune", "--yes", "--quiet"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            #expect(try scalar(target, "SELECT group_concat(id, ',') FROM (SELECT id FROM person ORDER BY id)") == .text("p2,q1"))
        }
    }

    /// `CREATE UNIQUE INDEX … ON x(k COLLATE NOCASE)` over a column that compares as BINARY:
    /// the index's collation decides what is the same key.
    @Test func anIndexCollationDecidesTheMatch() throws {
        try withTemporaryDirectory { directory in
            let schema = "CREATE TABLE x (id INTEGER PRIMARY KEY, k TEXT NOT NULL, n INT); CREATE UNIQUE INDEX x_k ON x (k COLLATE NOCASE);"
            let (source, target) = try sourceAndTarget(in: directory, "s.db", "t.db", schema: schema,
                source: "INSERT INTO x VALUES (1, 'KEY', 1);",
                target: "INSERT INTO x VALUES (7, 'key', 0);")
            let changeset = try exportChangeset(source, in: directory)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins", "--quiet"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try scalar(target, "SELECT count(*) FROM x") == .integer(1))
            #expect(try scalar(target, "SELECT n FROM x WHERE id = 7") == .integer(1), "the source's row, matched case-insensitively")
        }
    }
}
