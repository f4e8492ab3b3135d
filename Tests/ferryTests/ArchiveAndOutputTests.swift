import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation
import Testing

/// `--out x.ferry` writes one POSIX tar file that other tools read; an output appears
/// complete or not at all, and an existing one is only replaced with `--force`.
@Suite struct ArchiveAndOutputTests {
    func exportArchive(in directory: URL, name: String = "x.ferry") throws -> URL {
        try exportSample(in: directory, name: name)
    }

    /// Every entry of `directory` (hidden ones too).
    func entries(of directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test func anArchiveIsOneTarFileWithTheManifestFirst() throws {
        try withTemporaryDirectory { directory in
            let archive = try exportArchive(in: directory)
            var isDirectory: ObjCBool = true
            #expect(FileManager.default.fileExists(atPath: archive.path, isDirectory: &isDirectory) && !isDirectory.boolValue)
            let listing = try runTool("/usr/bin/tar", ["-tf", archive.path])
            #expect(listing.status == 0, "tar -tf failed: \(listing.stderr)")
            let members = listing.stdout.split(separator: "\n").map(String.init)
            // The manifest's own order of tables (apply order) follows manifest.json.
            let extracted = directory.appendingPathComponent("extracted")
            try FileManager.default.createDirectory(at: extracted, withIntermediateDirectories: true)
            let untar = try runTool("/usr/bin/tar", ["-xf", archive.path, "-C", extracted.path])
            #expect(untar.status == 0, "\(untar.stderr)")
            let tables = try #require(try readManifest(extracted)["tables"] as? [[String: Any]])
            #expect(members == ["manifest.json"] + tables.compactMap { $0["file"] as? String })
            #expect(members.count == 8)
            // The extracted folder is itself a valid changeset.
            let verify = try ferry(["verify", extracted.path])
            #expect(verify.status == 0, "\(verify.stderr)")
        }
    }

    @Test func anArchiveVerifiesInspectsAndImportsLikeAFolder() throws {
        try withTemporaryDirectory { directory in
            let archive = try exportArchive(in: directory)
            let verify = try ferry(["verify", archive.path])
            #expect(verify.status == 0, "\(verify.stderr)")
            #expect(verify.stdout.contains("ok"), "\(verify.stdout)")

            let inspect = try ferry(["inspect", archive.path])
            #expect(inspect.status == 0, "\(inspect.stderr)")
            #expect(inspect.stdout.contains("7, 98 rows"), "\(inspect.stdout)")

            let target = directory.appendingPathComponent("replay.db")
            let result = try ferry(["import", archive.path, "--db", target.path, "--quiet"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            let source = try rowCounts(ofDatabase: directory.appendingPathComponent("source.db"))
            let replay = try rowCounts(ofDatabase: target)
            #expect(replay == source)
            #expect(replay.count == 7)
            #expect(replay.values.reduce(0, +) == 98)
        }
    }

    @Test(arguments: ["out", "out.ferry"])
    func exportingOverAnExistingOutputNeedsForce(name: String) throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("source.db")
            try buildSampleLocal(at: db)
            let out = directory.appendingPathComponent(name)
            #expect(try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"]).status == 0)
            let before = try snapshot(out)

            let again = try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"])
            #expect(again.status == 1, "\(again.stderr)")
            #expect(again.stderr.hasPrefix("error: "), "\(again.stderr)")
            #expect(again.stderr.contains("already exists"), "\(again.stderr)")
            #expect(again.stderr.contains("--force"), "\(again.stderr)")
            #expect(try snapshot(out) == before, "the existing output changed")
            #expect(try entries(of: directory) == [name, "source.db"].sorted(), "staging left behind")

            let forced = try ferry(["export", "--db", db.path, "--out", out.path, "--force", "--quiet"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try snapshot(out) != before, "--force did not write a new changeset (its id and time differ)")
            #expect(try ferry(["verify", out.path, "--quiet"]).status == 0)
            #expect(try entries(of: directory) == [name, "source.db"].sorted(), "staging left behind")
        }
    }

    @Test(arguments: ["out", "out.ferry"])
    func aFailedExportLeavesNothingBehind(name: String) throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("source.db")
            try buildSampleLocal(at: db)
            let out = directory.appendingPathComponent(name)
            let result = try ferry(["export", "--db", db.path, "--out", out.path, "--tables", "users,nosuchtable", "--quiet"])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
            #expect(result.stderr.contains("nosuchtable"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
            let left = try entries(of: directory)
            #expect(left == ["source.db"], "left behind: \(left)")
            #expect(!left.contains { $0.contains(".tmp-") })
        }
    }

    @Test func aTamperedArchiveHeaderIsRefused() throws {
        try withTemporaryDirectory { directory in
            let archive = try exportArchive(in: directory)
            var bytes = try fileBytes(archive)
            // The second member's header follows the manifest's data, padded to 512 bytes.
            let manifestSize = try #require(Int(String(decoding: bytes[124..<135], as: UTF8.self), radix: 8))
            let secondHeader = 512 + (manifestSize + 511) / 512 * 512
            #expect(bytes[secondHeader..<secondHeader + 15].elementsEqual("permissions.ndj".utf8), "unexpected layout")
            bytes[secondHeader + 130] ^= 0x01 // a digit of its size field
            try bytes.write(to: archive)

            let verify = try ferry(["verify", archive.path])
            #expect(verify.status == 1, "\(verify.stderr)")
            #expect(verify.stderr.hasPrefix("error: "), "\(verify.stderr)")
            #expect(verify.stderr.contains(archive.path), "\(verify.stderr)")
            #expect(verify.stderr.contains("damaged"), "\(verify.stderr)")
            #expect(!looksLikeACrash(verify.stderr))

            let target = directory.appendingPathComponent("target.db")
            try buildSampleLocal(at: target)
            let before = try fileBytes(target)
            let result = try ferry(["import", archive.path, "--db", target.path, "--quiet"], in: directory)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("damaged"), "\(result.stderr)")
            #expect(try fileBytes(target) == before)
        }
    }

    @Test func aTamperedArchiveMemberIsAChecksumMismatch() throws {
        try withTemporaryDirectory { directory in
            let archive = try exportArchive(in: directory)
            var bytes = try fileBytes(archive)
            let manifestSize = try #require(Int(String(decoding: bytes[124..<135], as: UTF8.self), radix: 8))
            let secondData = 1024 + (manifestSize + 511) / 512 * 512
            bytes[secondData + 100] ^= 0xFF
            try bytes.write(to: archive)
            let verify = try ferry(["verify", archive.path])
            #expect(verify.status == 1, "\(verify.stderr)")
            #expect(verify.stderr.contains("permissions.ndjson.gz: checksum mismatch"), "\(verify.stderr)")
        }
    }

    @Test func aTruncatedArchiveIsRefused() throws {
        try withTemporaryDirectory { directory in
            let archive = try exportArchive(in: directory)
            let bytes = try fileBytes(archive)
            try bytes.prefix(bytes.count / 2).write(to: archive)
            let verify = try ferry(["verify", archive.path])
            #expect(verify.status == 1, "\(verify.stderr)")
            #expect(verify.stderr.hasPrefix("error: "), "\(verify.stderr)")
            #expect(!looksLikeACrash(verify.stderr))
        }
    }

    @Test func anArchiveCutAtAMemberBoundaryIsRefused() throws {
        try withTemporaryDirectory { directory in
            let archive = try exportArchive(in: directory)
            let bytes = try fileBytes(archive)
            // Keep the manifest and the first table file, whole: the other tables are missing.
            let manifestSize = try #require(Int(String(decoding: bytes[124..<135], as: UTF8.self), radix: 8))
            let secondHeader = 512 + (manifestSize + 511) / 512 * 512
            let secondSize = try #require(Int(String(decoding: bytes[(secondHeader + 124)..<(secondHeader + 135)], as: UTF8.self), radix: 8))
            try bytes.prefix(secondHeader + 512 + (secondSize + 511) / 512 * 512).write(to: archive)
            for command in [["verify", archive.path], ["inspect", archive.path, "--rows", "1"]] {
                let result = try ferry(command)
                #expect(result.status == 1, "\(command[0]): \(result.stderr)")
                #expect(result.stderr.hasPrefix("error: "), "\(command[0]): \(result.stderr)")
                #expect(result.stderr.contains(".ndjson.gz"), "\(command[0]) does not name the missing file: \(result.stderr)")
            }
            let target = directory.appendingPathComponent("new.db")
            #expect(try ferry(["import", archive.path, "--db", target.path, "--quiet"], in: directory).status == 1)
            #expect(!FileManager.default.fileExists(atPath: target.path))
        }
    }

    /// A file's bytes, or every file of a folder by name.
    func snapshot(_ url: URL) throws -> [String: Data] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return [:] }
        guard isDirectory.boolValue else { return ["": try fileBytes(url)] }
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
            result[name] = try fileBytes(url.appendingPathComponent(name))
        }
        return result
    }

    /// Export compresses 1 MiB blocks as separate gzip members on two threads; standard
    /// tools must read the file as one stream, every line in order, and the sha256 must hold.
    @Test func aLargeTableIsSeveralGzipMembersThatReadAsOneStream() throws {
        try withTemporaryDirectory { directory in
            let db = directory.appendingPathComponent("big.db")
            let create = try runTool("/usr/bin/sqlite3", [db.path, """
                CREATE TABLE events (id INTEGER PRIMARY KEY, label TEXT NOT NULL, payload TEXT NOT NULL);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
                INSERT INTO events SELECT i, 'event ' || i, hex(randomblob(40)) FROM n;
                """])
            #expect(create.status == 0, "\(create.stderr)")
            let out = directory.appendingPathComponent("out")
            let export = try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"])
            #expect(export.status == 0, "\(export.stderr)")
            let file = out.appendingPathComponent("events.ndjson.gz")

            let members = try runTool("/usr/bin/python3", ["-c", """
                import sys, zlib
                data = open(sys.argv[1], "rb").read(); count = 0
                while data:
                    d = zlib.decompressobj(31); d.decompress(data); data = d.unused_data; count += 1
                print(count)
                """, file.path])
            #expect((Int(members.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 3, "\(members.stdout) \(members.stderr)")

            let lines = try runTool("/bin/sh", ["-c", "zcat '\(file.path)' | sed -n 's/.*\"row\":{\"id\":\\([0-9]*\\),.*/\\1/p'"])
            #expect(lines.stdout.split(separator: "\n").map { Int($0) ?? 0 } == Array(1...40000))
            #expect(try manifestTable(out, "events")["sha256"] as? String == sha256sum(file))
            #expect(try ferry(["verify", out.path]).status == 0)
        }
    }
}
