/// A version of a row as one 4-byte digest per column of its portable form, each of the
/// column's name and value: what a three-way merge needs of its base ("did this column
/// change since?"), in a tenth of the row's bytes. The book keeps these instead of the
/// row, and a record carries its source's as `base` (docs/decisions.md, "Sync book v2").
///
/// A digest names its column, so the set needs no order and survives columns added or
/// dropped on either side: "column c still holds the base's value" is "the digest of
/// (c, value) is in the set". Two different values of one column share a digest with
/// probability 2^-32, the chance that a merge takes a changed column for unchanged.
public struct ColumnDigests: Sendable, Equatable {
    public private(set) var digests: [UInt32]

    public init(_ digests: [UInt32] = []) {
        self.digests = digests
    }

    public var isEmpty: Bool { digests.isEmpty }

    public func contains(_ digest: UInt32) -> Bool {
        digests.contains(digest)
    }

    /// Whether every digest of `other` is in this set: `other` is the same version.
    public func containsAll(_ other: ColumnDigests) -> Bool {
        other.digests.allSatisfy(contains)
    }

    /// The digest of one cell: `"name":` (escaped as in the portable form) and the cell's
    /// JSON. A REAL with an integral value counts as the integer (a REAL column turns an
    /// incoming 5 into 5.0; the stores hold the same number).
    package static func digest(_ pair: UnsafeRawBufferPointer) -> UInt32 {
        // The value after the name's colon, canonical as the portable form writes numbers.
        var colon = pair.count - 1
        while colon > 0, pair[colon] != UInt8(ascii: ":") { colon -= 1 }
        guard colon > 0, pair[pair.count - 1] == UInt8(ascii: "0") else {
            return UInt32(truncatingIfNeeded: XXHash64.hash(pair))
        }
        var canonical = JSONBuffer(capacity: pair.count)
        canonical.append(contentsOf: pair.bindMemory(to: UInt8.self))
        canonical.canonicalizeNumber(from: colon + 1)
        return canonical.withBytes { UInt32(truncatingIfNeeded: XXHash64.hash(UnsafeRawBufferPointer($0))) }
    }

    /// The digest of a column holding `value`.
    public static func digest(column: String, value: Value) -> UInt32 {
        var pair = JSONBuffer(capacity: 64)
        pair.appendString(column)
        pair.append(UInt8(ascii: ":"))
        pair.appendValue(value)
        return pair.withBytes { digest(UnsafeRawBufferPointer($0)) }
    }

    /// The digest of a foreign-key column pointing at the row with identity `parent`.
    package static func digest(column: String, parent: Record.ReferenceIdentity) -> UInt32 {
        var pair = JSONBuffer(capacity: 96)
        pair.appendString(column)
        pair.append(UInt8(ascii: ":"))
        PortableRow.appendReference(parent, to: &pair)
        return pair.withBytes { digest(UnsafeRawBufferPointer($0)) }
    }

    /// 8 lowercase hex digits per digest, as a record's `base` carries them.
    public var hex: String { blob.hexString }

    public init?(hex: String) {
        guard hex.utf8.count % 8 == 0, let blob = hex.utf8.hexDecoded else { return nil }
        self.init(blob: blob)
    }

    /// 4 bytes per digest, big-endian: the book's column.
    package var blob: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(digests.count * 4)
        for digest in digests {
            out.append(UInt8(digest >> 24))
            out.append(UInt8(truncatingIfNeeded: digest >> 16))
            out.append(UInt8(truncatingIfNeeded: digest >> 8))
            out.append(UInt8(truncatingIfNeeded: digest))
        }
        return out
    }

    package init(blob: [UInt8]) {
        var digests: [UInt32] = []
        digests.reserveCapacity(blob.count / 4)
        var index = 0
        while index + 4 <= blob.count {
            digests.append(UInt32(blob[index]) << 24 | UInt32(blob[index + 1]) << 16 | UInt32(blob[index + 2]) << 8 | UInt32(blob[index + 3]))
            index += 4
        }
        self.digests = digests
    }

    /// The digests of a portable form written before digests were kept (a version 1 book's
    /// `base`, a version 1 record's): each pair re-encoded as the form writes it.
    package init(portableForm json: JSONValue) {
        guard case .object(let pairs) = json else { self.init(); return }
        self.init(pairs.map { name, value in
            var pair = JSONBuffer(capacity: 64)
            pair.appendString(name)
            pair.append(UInt8(ascii: ":"))
            pair.appendJSON(value)
            return pair.withBytes { Self.digest(UnsafeRawBufferPointer($0)) }
        })
    }
}
