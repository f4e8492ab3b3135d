import FerryKit
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
            let changeset = directory.appendingPathComponent("cs")
            #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "--quiet"]).status == 0)
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
            let changeset = directory.appendingPathComponent("cs")
            #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "--quiet"]).status == 0)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--rejects", rejects.path, "--quiet"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            let lines = String(decoding: try fileBytes(rejects), as: UTF8.self).split(separator: "\n")
            #expect(lines.count == 2, "the owner and its pet: \(lines)")
            let pet = try #require(lines.first { $0.contains("\"rex\"") })
            #expect(pet.contains("points at the row of owners on line 1 of this changeset, which was itself rejected (constraint)"), "\(pet)")
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
        let changeset = directory.appendingPathComponent("cs")
        #expect(try ferry(["export", "--db", source.path, "--out", changeset.path, "--profile", profile.path, "--quiet"]).status == 0)
        return (changeset, target)
    }

    @Test func anAmbiguousRowsRejectNamesTheCandidatesAndThePin() throws {
        try withTemporaryDirectory { directory in
            let (changeset, target) = try scenario(directory)
            let rejects = directory.appendingPathComponent("rejects.ndjson")
            #expect(try ferry(["import", changeset.path, "--db", target.path, "--rejects", rejects.path, "--quiet"]).status == 3)
            let text = String(decoding: try fileBytes(rejects), as: UTF8.self)
            #expect(text.contains("(id = 11), (id = 12)"), "the candidates: \(text)")
            #expect(text.contains("--pin playlist:1=11"), "the pin that settles it: \(text)")
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
