import Foundation
import FerryKit
import Testing

extension String {
    /// Left-padded with "0" to `width` characters.
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Signed changesets for air gaps: `ferry keygen`, `export --sign`, and `verify`/`import`
/// `--trust`. With --trust, an unsigned changeset, another key's signature, or any changed
/// byte is refused before anything is written.
@Suite struct SignatureTests {
    /// A key pair `NAME.key`/`NAME.pub` in `directory`.
    func keygen(_ name: String, in directory: URL) throws -> (key: URL, pub: URL) {
        let result = try ferry(["keygen", "--out", directory.appendingPathComponent(name).path])
        #expect(result.status == 0, "\(result.stderr)")
        return (directory.appendingPathComponent(name + ".key"), directory.appendingPathComponent(name + ".pub"))
    }

    func signedExport(in directory: URL, key: URL, name: String = "ticket.ferry") throws -> URL {
        let db = directory.appendingPathComponent("source.db")
        if !FileManager.default.fileExists(atPath: db.path) { try buildSampleLocal(at: db) }
        let out = directory.appendingPathComponent(name)
        let result = try ferry(["export", "--db", db.path, "--out", out.path, "--sign", key.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        return out
    }

    @Test func keygenWritesBothFilesOwnerOnlyAndNeverPrintsThePrivateKey() throws {
        try withTemporaryDirectory { directory in
            let result = try ferry(["keygen", "--out", directory.appendingPathComponent("ops").path, "--name", "ops laptop"])
            #expect(result.status == 0, "\(result.stderr)")
            for file in ["ops.key", "ops.pub"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(file).path)
                #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file) mode \(String(describing: attributes[.posixPermissions]))")
            }
            let privateText = try String(contentsOf: directory.appendingPathComponent("ops.key"), encoding: .utf8)
            let secret = try #require(privateText.split(separator: " ").dropFirst().first)
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "keygen printed the private key")
            #expect(try String(contentsOf: directory.appendingPathComponent("ops.pub"), encoding: .utf8).hasSuffix(" ops laptop\n"))
            // A key is never replaced.
            let again = try ferry(["keygen", "--out", directory.appendingPathComponent("ops").path])
            expectCleanRefusal(again, mentions: ["ops.key", "already exists"])
            #expect(try String(contentsOf: directory.appendingPathComponent("ops.key"), encoding: .utf8) == privateText)
        }
    }

    @Test func aSignedChangesetVerifiesAndShowsItsSigner() throws {
        try withTemporaryDirectory { directory in
            let (key, pub) = try keygen("ops", in: directory)
            let bundle = try signedExport(in: directory, key: key)
            let verified = try ferry(["verify", bundle.path, "--trust", pub.path])
            #expect(verified.status == 0, "\(verified.stderr)")
            #expect(verified.stdout.contains("signed by ops"), "\(verified.stdout)")
            #expect(verified.stdout.contains("trusted"), "\(verified.stdout)")
            let inspected = try ferry(["inspect", bundle.path, "--rows", "0"])
            #expect(inspected.stdout.contains("signature  signed by ops"), "\(inspected.stdout)")
            let json = try ferry(["inspect", bundle.path, "--json", "--trust", pub.path])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let signature = try #require(object["signature"] as? [String: Any])
            #expect(signature["signer"] as? String == "ops" && signature["trusted"] as? Bool == true, "\(signature)")
            // A trust folder holding the key works as the key does.
            let folder = directory.appendingPathComponent("trusted")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
            try FileManager.default.copyItem(at: pub, to: folder.appendingPathComponent("ops.pub"))
            #expect(try ferry(["verify", bundle.path, "--trust", folder.path, "-q"]).status == 0)
            // And it imports.
            let target = directory.appendingPathComponent("target.db")
            let imported = try ferry(["import", bundle.path, "--db", target.path, "--trust", pub.path, "-q"])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
    }

    @Test func unsignedOrOtherKeysChangesetsAreRefusedAndTheTargetIsUnchanged() throws {
        try withTemporaryDirectory { directory in
            let (key, opsPub) = try keygen("ops", in: directory)
            let (_, strangerPub) = try keygen("stranger", in: directory)
            let target = directory.appendingPathComponent("target.db")
            try buildSampleLocal(at: target)
            let before = try fileBytes(target)
            let unsigned = try exportSample(in: directory, name: "plain.ferry")
            for command in [["verify", unsigned.path], ["import", unsigned.path, "--db", target.path]] {
                expectCleanRefusal(try ferry(command + ["--trust", opsPub.path]), mentions: ["not signed", "--sign"])
            }
            let signed = try signedExport(in: directory, key: key)
            for command in [["verify", signed.path], ["import", signed.path, "--db", target.path]] {
                expectCleanRefusal(try ferry(command + ["--trust", strangerPub.path]), mentions: ["not among the 1 trusted key", "ops"])
            }
            #expect(try fileBytes(target) == before, "a refused import changed the target")
            // A manifest too damaged to read is named for what it means under --trust.
            let damaged = directory.appendingPathComponent("damaged.ferry")
            var bytes = [UInt8](try fileBytes(signed))
            bytes[700] ^= 0x01
            try Data(bytes).write(to: damaged)
            expectCleanRefusal(try ferry(["verify", damaged.path, "--trust", opsPub.path]), mentions: ["not the one that was signed"])
            let fresh = directory.appendingPathComponent("fresh.db")
            expectCleanRefusal(try ferry(["import", signed.path, "--db", fresh.path, "--trust", strangerPub.path]), mentions: ["not among"])
            #expect(!FileManager.default.fileExists(atPath: fresh.path), "a refused import left a new database behind")
            // A private key where a public one belongs (and the other way round) is named.
            expectCleanRefusal(try ferry(["verify", signed.path, "--trust", key.path]), mentions: ["private key"])
            expectCleanRefusal(try ferry(["export", "--db", target.path, "--out", directory.appendingPathComponent("x.ferry").path, "--sign", opsPub.path]),
                               mentions: ["public key", "--sign"])
        }
    }

    @Test func aHundredRandomByteChangesAreAllRefusedAndTheTargetIsUnchanged() throws {
        try withTemporaryDirectory { directory in
            let (key, pub) = try keygen("ops", in: directory)
            let bundle = try signedExport(in: directory, key: key)
            let original = try fileBytes(bundle)
            let target = directory.appendingPathComponent("target.db")
            try buildSampleLocal(at: target)
            let before = try fileBytes(target)
            var generator = SystemRandomNumberGenerator()
            let changed = directory.appendingPathComponent("changed.ferry")
            for _ in 0..<100 {
                var bytes = original
                let offset = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[offset] = bytes[offset] &+ UInt8.random(in: 1...255, using: &generator)
                try bytes.write(to: changed)
                let verified = try ferry(["verify", changed.path, "--trust", pub.path, "-q"])
                #expect(verified.status == 1, "verify accepted a change at byte \(offset) of \(bytes.count)")
                let imported = try ferry(["import", changed.path, "--db", target.path, "--trust", pub.path, "-q"])
                #expect(imported.status == 1 && !looksLikeACrash(imported.stderr), "import accepted a change at byte \(offset): \(imported.stderr)")
            }
            #expect(try fileBytes(target) == before, "a refused import changed the target")
        }
    }

    /// Every byte the manifest's checksums do not cover (tar headers, padding, the closing
    /// blocks, the signature file): a change to any one of them is refused.
    @Test func everyByteOutsideTheTablesDataIsCoveredToo() throws {
        try withTemporaryDirectory { directory in
            let (key, pub) = try keygen("ops", in: directory)
            let bundle = try signedExport(in: directory, key: key)
            let original = [UInt8](try fileBytes(bundle))
            let trusted = try SignerKey.load(trust: pub.path)
            // Offsets inside table files' data: their sha256 in the manifest covers them.
            var covered = Set<Int>()
            var offset = 0
            while offset + 512 <= original.count, original[offset..<offset + 512].contains(where: { $0 != 0 }) {
                let name = String(decoding: original[offset..<offset + 100].prefix { $0 != 0 }, as: UTF8.self)
                let size = Int(String(decoding: original[offset + 124..<offset + 135], as: UTF8.self), radix: 8)!
                // The manifest's bytes are the signed message: every 50th of them is enough to show it.
                if name.hasSuffix(".ndjson.gz") || name == "manifest.json" {
                    covered.formUnion((offset + 512..<offset + 512 + size).filter { name.hasSuffix(".gz") || $0 % 50 != 0 })
                }
                offset += 512 + (size + 511) / 512 * 512
            }
            let changed = directory.appendingPathComponent("changed.ferry")
            var checked = 0
            for position in 0..<original.count where !covered.contains(position) {
                var bytes = original
                bytes[position] = bytes[position] == 0 ? 0x20 : 0
                try Data(bytes).write(to: changed)
                let refused: Bool
                do {
                    let reader = try ChangesetReader(path: changed.path)
                    _ = try reader.checkSignature(trusting: trusted)
                    try reader.verifyChecksums()
                    refused = false
                } catch is FerryError {
                    refused = true
                }
                #expect(refused, "a change at byte \(position) of \(original.count) was accepted")
                checked += 1
            }
            #expect(checked > 5000, "only \(checked) positions checked")
        }
    }

    /// Found by a tester: members in another order, or every mtime rewritten with its header
    /// checksum, left the archive's content whole and passed.
    @Test func reorderedMembersOrRewrittenTimesAreRefused() throws {
        try withTemporaryDirectory { directory in
            let (key, pub) = try keygen("ops", in: directory)
            let bundle = try signedExport(in: directory, key: key)
            let original = [UInt8](try fileBytes(bundle))
            var members: [[UInt8]] = []
            var offset = 0
            while original[offset..<offset + 512].contains(where: { $0 != 0 }) {
                let size = Int(String(decoding: original[offset + 124..<offset + 135], as: UTF8.self), radix: 8)!
                let end = offset + 512 + (size + 511) / 512 * 512
                members.append(Array(original[offset..<end]))
                offset = end
            }
            let trailer = Array(original[offset...])
            var swapped = members
            swapped.swapAt(0, 1)
            var retimed = members
            for index in retimed.indices {
                var header = Array(retimed[index][0..<512])
                header.replaceSubrange(136..<147, with: Array(String(0o1_000_000, radix: 8).leftPadded(11).utf8))
                header.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
                let sum = header.reduce(0) { $0 + Int($1) }
                header.replaceSubrange(148..<155, with: Array(String(sum, radix: 8).leftPadded(6).utf8) + [0])
                retimed[index].replaceSubrange(0..<512, with: header)
            }
            for (label, parts) in [("reordered", swapped), ("retimed", retimed)] {
                let changed = directory.appendingPathComponent("\(label).ferry")
                try Data(parts.flatMap { $0 } + trailer).write(to: changed)
                expectCleanRefusal(try ferry(["verify", changed.path, "--trust", pub.path]), label, mentions: ["not the one that was signed"])
            }
        }
    }

    /// Found by a tester: inspect showed a swapped table's rows as "trusted", and replay
    /// applied the changesets before a tampered one.
    @Test func inspectAndReplayUnderTrustCheckEveryTableFirst() throws {
        try withTemporaryDirectory { directory in
            let (key, pub) = try keygen("ops", in: directory)
            let good = try signedExport(in: directory, key: key, name: "good")
            let bad = try signedExport(in: directory, key: key, name: "bad")
            try gzip(#"{"op":"upsert","keys":{"name":"admin"},"row":{"id":"x","name":"EVIL","description":null,"createdAt":"2026"}}"# + "\n",
                     to: bad.appendingPathComponent("roles.ndjson.gz"))
            expectCleanRefusal(try ferry(["inspect", bad.path, "--trust", pub.path]), mentions: ["roles.ndjson.gz", "checksum mismatch"])
            let target = directory.appendingPathComponent("replayed.db")
            expectCleanRefusal(try ferry(["replay", good.path, bad.path, "--db", target.path, "--trust", pub.path]), mentions: ["checksum mismatch", "Nothing was applied"])
            #expect(!FileManager.default.fileExists(atPath: target.path), "replay applied the good changeset before refusing the bad one")
        }
    }

    @Test func aSignedFolderWithAFileTheManifestDoesNotNameIsRefusedUnderTrust() throws {
        try withTemporaryDirectory { directory in
            let (key, pub) = try keygen("ops", in: directory)
            let folder = try signedExport(in: directory, key: key, name: "signed")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("manifest.sig").path))
            #expect(try ferry(["verify", folder.path, "--trust", pub.path, "-q"]).status == 0)
            try Data("#!/bin/sh\n".utf8).write(to: folder.appendingPathComponent("install.sh"))
            expectCleanRefusal(try ferry(["verify", folder.path, "--trust", pub.path]), mentions: ["install.sh", "does not name"])
            // A broken signature is refused even without --trust.
            try FileManager.default.removeItem(at: folder.appendingPathComponent("install.sh"))
            let manifest = folder.appendingPathComponent("manifest.sig")
            var text = try String(contentsOf: manifest, encoding: .utf8)
            text = text.replacingOccurrences(of: "signer ops", with: "signer boss")
            try Data(text.utf8).write(to: manifest)
            expectCleanRefusal(try ferry(["verify", folder.path]), mentions: ["signature does not match"])
        }
    }
}
