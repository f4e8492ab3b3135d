import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// What `ferry export` writes conforms to the published JSON Schemas (Schemas/*.schema.json),
/// checked by an independent validator: scripts/validate-changeset.py (Python + jsonschema).
@Suite struct SchemaValidationTests {
    func python(_ arguments: [String]) throws -> CommandResult {
        try runTool("/usr/bin/env", ["python3"] + arguments, in: packageRoot)
    }

    /// Fails (never skips) when the validator cannot run here.
    func requireJsonschema() throws {
        let probe = try python(["-c", "import jsonschema, referencing"])
        try #require(probe.status == 0, "python3 cannot import jsonschema (\(probe.stderr.trimmingCharacters(in: .whitespacesAndNewlines))). Run .ci/run, or `pip install jsonschema`, then run the tests again.")
    }

    func expectValid(_ changeset: URL, records: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try python(["scripts/validate-changeset.py", changeset.path])
        #expect(result.status == 0, "validate-changeset.py failed:\n\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.contains("validated"), "\(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stdout.contains("\(records) records"), "\(result.stdout)", sourceLocation: sourceLocation)
    }

    @Test func theSampleExportConformsToTheSchemas() throws {
        try requireJsonschema()
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try expectValid(changeset, records: 98)
        }
    }

    /// A support ticket's manifest (a selection, redacted columns, a profile's redact rules)
    /// conforms too; so does a signed one (the signature is a file beside the manifest).
    @Test func aRedactedSignedTicketConformsToTheSchemas() throws {
        try requireJsonschema()
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try buildSampleLocal(at: source)
            let key = directory.appendingPathComponent("redact.key")
            try Data("sixteen bytes or more of secret".utf8).write(to: key)
            let profile = directory.appendingPathComponent("profile.json")
            try Data(#"{"tables": {"customers": {"redact": {"phone": "mask"}}}}"#.utf8).write(to: profile)
            #expect(try ferry(["keygen", "--out", directory.appendingPathComponent("ops").path, "-q"]).status == 0)
            let ticket = directory.appendingPathComponent("ticket")
            let exported = try ferry(["export", "--db", source.path, "--out", ticket.path, "-q", "--profile", profile.path,
                                      "--where", "customers:email = 'contact@testcompanyxyz.com'", "--with-children",
                                      "--redact", "users.id=hash", "--redact-key", key.path, "--sign", directory.appendingPathComponent("ops.key").path])
            #expect(exported.status == 0, "\(exported.stderr)")
            try expectValid(ticket, records: 8)
            let profileCheck = try python(["-c", """
                import json, jsonschema, sys
                schema = json.load(open('Schemas/profile.schema.json'))
                jsonschema.validate(json.load(open(sys.argv[1])), schema)
                print('profile ok')
                """, profile.path])
            #expect(profileCheck.stdout.contains("profile ok"), "\(profileCheck.stderr)")
        }
    }

    /// A prepared store's records carry hash and base (foreign keys as identities), and an
    /// incremental export carries tombstones: all of it conforms too.
    @Test func syncRecordsWithBasesAndTombstonesConformToTheSchemas() throws {
        try requireJsonschema()
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("local.db")
            try buildSampleLocal(at: db)
            #expect(try ferry(["prepare", "--db", db.path, "--quiet"]).status == 0)
            let full = directory.appendingPathComponent("full")
            #expect(try ferry(["export", "--db", db.path, "--out", full.path, "--quiet"]).status == 0)
            let database = try SQLiteDatabase(path: db.path, mode: .readWrite)
            try database.execute("UPDATE customers SET phone = 'changed' WHERE company = 'Pinecrest Realty'; DELETE FROM proposals WHERE rowid = (SELECT min(rowid) FROM proposals)")
            let second = directory.appendingPathComponent("second")
            #expect(try ferry(["export", "--db", db.path, "--out", second.path, "--quiet"]).status == 0)
            let incremental = directory.appendingPathComponent("incremental")
            try database.execute("UPDATE customers SET phone = 'again' WHERE company = 'Pinecrest Realty'; DELETE FROM proposals WHERE rowid = (SELECT min(rowid) FROM proposals)")
            #expect(try ferry(["export", "--db", db.path, "--out", incremental.path, "--incremental", "--quiet"]).status == 0)
            try expectValid(full, records: 98)
            try expectValid(second, records: 98) // 97 rows, each with its base, and 1 tombstone
            try expectValid(incremental, records: 2)
            let proposals = try runTool("/bin/gzip", ["-dc", second.appendingPathComponent("proposals.ndjson.gz").path]).stdout
            #expect(proposals.contains(#""op":"delete""#))
            #expect(proposals.range(of: #""base":"([0-9a-f]{8})+""#, options: .regularExpression) != nil, "bases are column digests: \(proposals.prefix(400))")
        }
    }

    /// A join table's delete names its rows by their parents' identities (`{"$ref":…}` in
    /// `keys`), and records carry `versions`: both in the schema.
    @Test func aJoinTableDeleteWithParentIdentitiesConformsToTheSchema() throws {
        try requireJsonschema()
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("app.db")
            try database(db, """
                CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);
                CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL UNIQUE);
                CREATE TABLE user_tags (user_id INTEGER NOT NULL REFERENCES users(id), tag_id INTEGER NOT NULL REFERENCES tags(id), PRIMARY KEY (user_id, tag_id));
                INSERT INTO users (email) VALUES ('ann@x'); INSERT INTO tags (label) VALUES ('vip'); INSERT INTO user_tags VALUES (1, 1);
                """)
            #expect(try ferry(["prepare", "--db", db.path, "--quiet"]).status == 0)
            #expect(try ferry(["export", "--db", db.path, "--out", directory.appendingPathComponent("full").path, "--quiet"]).status == 0)
            try database(db, "DELETE FROM user_tags")
            let incremental = directory.appendingPathComponent("incremental")
            #expect(try ferry(["export", "--db", db.path, "--out", incremental.path, "--incremental", "--quiet"]).status == 0)
            try expectValid(incremental, records: 1)
            let links = try runTool("/bin/gzip", ["-dc", incremental.appendingPathComponent("user_tags.ndjson.gz").path]).stdout
            #expect(links.contains(#""op":"delete","keys":{"user_id":{"$ref":{"keys":{"email":"ann@x"}}}"#), "\(links)")
            #expect(links.contains(#""versions":{"#))
        }
    }

    /// `edge`: every storage class at its limits, in typed and untyped columns.
    static let edgeSQL = """
        CREATE TABLE edge(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, any);
        INSERT INTO edge VALUES (1, -9223372036854775808, -0.0, '', X'', NULL);
        INSERT INTO edge VALUES (2, 9223372036854775807, 5e-324, 'a' || char(0) || 'b', X'\((0...255).map { String(format: "%02X", $0) }.joined())', -9223372036854775808);
        INSERT INTO edge VALUES (3, 0, 1e300, 'Zoë "quoted" \\ back\\slash / tab' || char(9) || 'nl' || char(10) || '😀', X'00', 9223372036854775807);
        INSERT INTO edge VALUES (4, -1, 9e999, char(0), X'FF', 9e999);
        INSERT INTO edge VALUES (5, 1, -9e999, '{"json":"stays text"}', X'7B7D', -9e999);
        INSERT INTO edge VALUES (6, NULL, NULL, NULL, NULL, X'');
        INSERT INTO edge VALUES (7, 2, 1.5, '9223372036854775808', X'DEADBEEF', 'text in any');
        INSERT INTO edge VALUES (8, 3, 0.1, '1e999', NULL, 1.0);
        INSERT INTO edge VALUES (9, 4, 2.2250738585072014e-308, '-0.0', NULL, -0.0);
        INSERT INTO edge VALUES (10, 5, 1.7976931348623157e308, 'null', NULL, 5e-324);
        """

    func buildEdgeDatabase(at path: URL) throws {
        let database = try SQLiteDatabase(path: path.path, mode: .readWriteCreate)
        try database.execute(Self.edgeSQL)
    }

    func exportEdge(in directory: URL) throws -> URL {
        let db = directory.appendingPathComponent("edge.db")
        try buildEdgeDatabase(at: db)
        let out = directory.appendingPathComponent("edge-changeset")
        let result = try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"])
        try #require(result.status == 0, "export failed: \(result.stderr)")
        return out
    }

    @Test func edgeValuesConformToTheSchemas() throws {
        try requireJsonschema()
        try withTemporaryDirectory { directory in
            let changeset = try exportEdge(in: directory)
            try expectValid(changeset, records: 10)
        }
    }

    @Test func edgeValuesAreWrittenInTheDocumentedJSONForms() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportEdge(in: directory)
            let lines = try tableLines(changeset, "edge")
            #expect(lines.count == 10)
            let text = lines.joined(separator: "\n")
            #expect(text.contains("\"i\":-9223372036854775808"), "Int64.min as a JSON integer")
            #expect(text.contains("\"i\":9223372036854775807"), "Int64.max as a JSON integer")
            #expect(text.contains(#"{"$real":"inf"}"#))
            #expect(text.contains(#"{"$real":"-inf"}"#))
            #expect(text.contains(#""t":"a\u0000b""#), "NUL inside TEXT escaped as \\u0000")
            #expect(text.contains(#""b":{"$base64":true,"encoded":""}"#), "empty blob")
            #expect(text.contains(#""t":"{\"json\":\"stays text\"}""#), "JSON stored in TEXT stays a string")
            // REAL always has a '.' or an exponent, so it never reads back as INTEGER.
            for line in lines {
                let row = try #require(line.range(of: "\"r\":"), "\(line)")
                let value = line[row.upperBound...].prefix { $0 != "," && $0 != "}" }
                #expect(value == "null" || value.hasPrefix("{") || value.contains(".") || value.contains("e") || value.contains("E"), "REAL written as \(value) in \(line)")
            }
        }
    }

    @Test func edgeValuesRoundTripExactly() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportEdge(in: directory)
            let target = directory.appendingPathComponent("replay.db")
            let result = try ferry(["import", changeset.path, "--db", target.path, "--quiet"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            let query = "SELECT id, i, r, t, b, any, typeof(i), typeof(r), typeof(t), typeof(b), typeof(any) FROM edge ORDER BY id"
            let source = try SQLiteDatabase(path: directory.appendingPathComponent("edge.db").path, mode: .readOnly).rows(query)
            let replay = try SQLiteDatabase(path: target.path, mode: .readOnly).rows(query)
            #expect(source.count == 10)
            #expect(replay == source) // Value compares reals by bit pattern
            // SQLite itself keeps -0.0 only in a column without REAL affinity (a REAL column
            // stores it as the integer 0): row 9's untyped `any` holds it.
            let row9 = try #require(source.first { $0.first == .integer(9) })
            guard case .real(let sourceZero) = row9[5], sourceZero == 0, sourceZero.sign == .minus else {
                Issue.record("the source does not hold -0.0 in edge.any of row 9: \(row9)")
                return
            }
            if case .real(let zero)? = replay.first(where: { $0.first == .integer(9) })?[5] {
                #expect(zero == 0 && zero.sign == .minus, "-0.0 lost its sign")
            } else {
                Issue.record("row 9's any is not a REAL after the round trip")
            }
        }
    }
}
