import Crypto

/// The digest `manifest.json` carries of itself, in its top-level `manifestSha256` field.
///
/// The digest is the sha256 of the file's exact bytes with that field's 64 hex digits
/// replaced by 64 ASCII `0`, so `sed` and `sha256sum` can check it (README, "The changeset
/// format"). Working on bytes, not on re-encoded JSON, means any edit anywhere in the file,
/// even one that leaves the JSON valid (`INTEGER` → `INTEGES`), changes the digest.
enum ManifestDigest {
    static let field = "manifestSha256"
    /// What the writer puts in the field before hashing, and what the reader puts back.
    static let placeholder = String(repeating: "0", count: 64)

    /// The bytes of `encoded` (which holds the placeholder in the field) with the digest in place.
    static func seal(_ encoded: [UInt8]) throws -> [UInt8] {
        let ranges = valueRanges(in: encoded, value: placeholder)
        guard ranges.count == 1, let range = ranges.first else {
            throw FerryError(.format, "cannot seal \(Manifest.fileName): its \"\(field)\" field was found \(ranges.count) times instead of once. This is a bug in Ferry; please report it.")
        }
        var sealed = encoded
        sealed.replaceSubrange(range, with: Array(SHA256.hash(data: encoded).hexString.utf8))
        return sealed
    }

    /// Checks `bytes` against the digest `claimed` (the field's parsed value), before anything is written.
    static func check(_ bytes: [UInt8], claimed: String?, place: String) throws {
        let advice = "Copy the changeset again, or ask its sender for a new export."
        guard let claimed else {
            throw FerryError(.checksum, "\(place) has no \"\(field)\" field, so Ferry cannot tell whether the manifest was changed or damaged. \(advice)")
        }
        guard claimed.utf8.count == 64, claimed.utf8.allSatisfy({ isLowercaseHex($0) }) else {
            throw FerryError(.checksum, "\(place): \"\(field)\" is not 64 lowercase hex digits; the manifest was changed or damaged. \(advice)")
        }
        let ranges = valueRanges(in: bytes, value: claimed)
        guard ranges.count == 1, let range = ranges.first else {
            throw FerryError(.checksum, "\(place): the \"\(field)\" field appears \(ranges.count) times in the file instead of once; the manifest was changed or damaged. \(advice)")
        }
        var zeroed = bytes
        zeroed.replaceSubrange(range, with: Array(placeholder.utf8))
        let actual = SHA256.hash(data: zeroed).hexString
        guard actual == claimed else {
            throw FerryError(.checksum, "\(place): the manifest does not match its own digest (\"\(field)\" \(claimed.prefix(12))…, content \(actual.prefix(12))…); it was changed or damaged in transit. \(advice)")
        }
    }

    /// The ranges of the 64 hex digits in each `"manifestSha256"` ws `:` ws `"VALUE"` of `bytes`.
    static func valueRanges(in bytes: [UInt8], value: String) -> [Range<Int>] {
        let key = Array("\"\(field)\"".utf8)
        let expected = Array(value.utf8)
        var ranges: [Range<Int>] = []
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        var index = 0
        while index + key.count <= bytes.count {
            defer { index += 1 }
            guard bytes[index] == key[0], bytes[index..<(index + key.count)].elementsEqual(key) else { continue }
            var cursor = index + key.count
            while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") else { continue }
            cursor += 1
            while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { continue }
            let start = cursor + 1
            let end = start + expected.count
            guard end < bytes.count, bytes[end] == UInt8(ascii: "\""), bytes[start..<end].elementsEqual(expected) else { continue }
            ranges.append(start..<end)
        }
        return ranges
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
