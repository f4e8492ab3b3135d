import Foundation
import Testing

/// `ferry verify CHANGESET` checks a changeset without a database: exit 0 and "ok" when it
/// is intact, exit 1 and a message naming the file when it is not.
@Suite struct VerifyCommandTests {
    func expectVerifyFails(_ changeset: URL, mentions: [String], anyOf alternatives: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        expectCleanRefusal(try ferry(["verify", changeset.path]), mentions: mentions, anyOf: alternatives, sourceLocation: sourceLocation)
    }

    @Test func aFreshExportVerifiesOk() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let result = try ferry(["verify", changeset.path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("ok"), "\(result.stdout)")
            #expect(result.stdout.contains("7 files, 98 records"), "\(result.stdout)")
            for table in ["roles", "users", "permissions", "products", "customers", "proposals", "content"] {
                #expect(result.stdout.contains("ok  \(table).ndjson.gz"), "\(table) not listed: \(result.stdout)")
            }
        }
    }

    @Test func quietVerifyPrintsNothingAndExitsZero() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let result = try ferry(["verify", changeset.path, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.isEmpty, "\(result.stdout)")
        }
    }

    @Test func aFlippedByteIsAChecksumMismatch() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try flipByte(in: changeset.appendingPathComponent("users.ndjson.gz"))
            try expectVerifyFails(changeset, mentions: ["users.ndjson.gz", "checksum mismatch"])
        }
    }

    @Test func aFileCutInHalfIsAChecksumMismatch() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let file = changeset.appendingPathComponent("users.ndjson.gz")
            let whole = try fileBytes(file)
            try whole.prefix(whole.count / 2).write(to: file)
            try expectVerifyFails(changeset, mentions: ["users.ndjson.gz", "checksum mismatch"])
        }
    }

    @Test func aFileCutInHalfWithAMatchingManifestIsTruncated() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let file = changeset.appendingPathComponent("users.ndjson.gz")
            let whole = try fileBytes(file)
            try whole.prefix(whole.count / 2).write(to: file)
            try fixUpManifest(changeset)
            try expectVerifyFails(changeset, mentions: ["users.ndjson.gz"], anyOf: ["truncated", "ends early"])
        }
    }

    @Test func aWrongRowCountInTheManifestFails() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            try editManifestTable(changeset, "roles") { $0["rows"] = 7 }
            try expectVerifyFails(changeset, mentions: ["roles.ndjson.gz", "holds 6 records but the manifest says 7"])
            try editManifestTable(changeset, "roles") { $0["rows"] = 5 }
            try expectVerifyFails(changeset, mentions: ["roles.ndjson.gz", "holds 6 records but the manifest says 5"])
        }
    }

    @Test func aBadLineIsReportedWithFileAndLine() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            var lines = try tableLines(changeset, "permissions")
            lines[41] = "not json"
            try writeTableLines(changeset, "permissions", lines)
            try expectVerifyFails(changeset, mentions: ["permissions.ndjson.gz line 42"])
        }
    }

    @Test func everyManifestChecksumIsWhatSha256sumPrintsAndBytesIsTheFileSize() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let tables = try #require(try readManifest(changeset)["tables"] as? [[String: Any]])
            #expect(tables.count == 7)
            for table in tables {
                let file = changeset.appendingPathComponent(try #require(table["file"] as? String))
                #expect(table["sha256"] as? String == (try sha256sum(file)), "\(file.lastPathComponent)")
                #expect(table["bytes"] as? Int == (try fileBytes(file).count), "\(file.lastPathComponent)")
                #expect(table["rows"] as? Int == (try tableLines(changeset, try #require(table["name"] as? String)).count), "\(file.lastPathComponent)")
            }
        }
    }
}
