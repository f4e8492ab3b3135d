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
