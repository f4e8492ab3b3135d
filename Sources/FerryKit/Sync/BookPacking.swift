/// How the sync book stores an entry's identity and versions: the common forms packed into
/// a few bytes, anything else as the JSON it is. An entry is kept for every row of a
/// prepared store, and in the identity index a second time: a UUID cloudId as JSON
/// (`{"cloudId":"0190…"}`, 50 bytes) costs 17 packed (docs/decisions.md, "Sync book v2").
package enum BookPacking {
    private static let cloudIdPrefix = Array(#"{"cloudId":""#.utf8)
    private static let cloudIdSuffix = Array(#""}"#.utf8)
    /// The first byte of a packed identity: which text the 16 bytes stand for.
    private static let plainHex: UInt8 = 1, uuid: UInt8 = 2

    /// A BLOB for `{"cloudId":"<32 lowercase hex>"}` or `{"cloudId":"<lowercase UUID>"}`,
    /// TEXT (the identity's JSON) for anything else. Deterministic, so a packed identity
    /// compares equal exactly when the identities do.
    package static func pack(identity: [UInt8]) -> Value {
        let count = identity.count - cloudIdPrefix.count - cloudIdSuffix.count
        guard count == 32 || count == 36, identity.starts(with: cloudIdPrefix), identity.suffix(2).elementsEqual(cloudIdSuffix) else { return .text(identity) }
        // One pass over the digits (a UUID's dashes at 8, 13, 18 and 23): an entry is packed
        // per row of a first export.
        var packed = [UInt8](repeating: count == 32 ? plainHex : uuid, count: 17)
        var digit = 0
        for offset in 0..<count {
            let byte = identity[cloudIdPrefix.count + offset]
            if count == 36, offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return .text(identity) }
                continue
            }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            default: return .text(identity) // uppercase or not hex: kept as written
            }
            packed[1 + digit / 2] = digit % 2 == 0 ? nibble << 4 : packed[1 + digit / 2] | nibble
            digit += 1
        }
        return .blob(packed)
    }

    package static func unpack(identity value: Value) -> [UInt8] {
        switch value {
        case .text(let bytes): return bytes
        case .blob(let packed) where packed.count == 17:
            var text = Array(packed.dropFirst().hexString.utf8)
            if packed[0] == uuid { for offset in [8, 13, 18, 23] { text.insert(UInt8(ascii: "-"), at: offset) } }
            return cloudIdPrefix + text + cloudIdSuffix
        default: return []
        }
    }

    /// A row's key as the book keeps it: a one-column key of an integer or of text that
    /// needs no escape in JSON as the value itself (so SQL compares it with the row's key
    /// directly, and it costs no brackets), any other (several columns, a REAL, a BLOB, an
    /// entry moved aside) as its JSON array in a BLOB. The storage classes differ, so no
    /// two keys pack alike.
    package static func pack(rowKey: [UInt8]) -> Value {
        let count = rowKey.count
        guard count >= 3, rowKey[0] == UInt8(ascii: "["), rowKey[count - 1] == UInt8(ascii: "]") else { return .blob(rowKey) }
        let inner = rowKey[1..<(count - 1)]
        if count >= 5, inner.first == UInt8(ascii: "\""), inner.last == UInt8(ascii: "\""),
           !inner.dropFirst().dropLast().contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
            return .text(Array(inner.dropFirst().dropLast()))
        }
        if let number = Int64(String(decoding: inner, as: UTF8.self)), Array(String(number).utf8) == Array(inner) {
            return .integer(number)
        }
        return .blob(rowKey)
    }

    package static func unpack(rowKey value: Value) -> [UInt8] {
        switch value {
        case .integer(let number): return Array("[\(number)]".utf8)
        case .text(let text): return [UInt8(ascii: "["), UInt8(ascii: "\"")] + text + [UInt8(ascii: "\""), UInt8(ascii: "]")]
        case .blob(let json): return json
        default: return []
        }
    }

    /// A BLOB of (6-byte store id, varint count) per store, in store order, when every store
    /// id is 12 lowercase hex digits (as Ferry makes them); the JSON otherwise; empty
    /// versions as empty text.
    package static func pack(versions: VersionVector) -> Value {
        guard !versions.isEmpty else { return .text([]) }
        var packed: [UInt8] = []
        for store in versions.counters.keys.sorted() {
            guard store.utf8.count == 12, let id = store.utf8.hexDecoded else { return .text(versions.bytes) }
            packed += id
            var count = UInt64(versions.counters[store]!)
            repeat {
                packed.append(UInt8(count & 0x7F) | (count > 0x7F ? 0x80 : 0))
                count >>= 7
            } while count > 0
        }
        return .blob(packed)
    }

    package static func unpack(versions value: Value) -> VersionVector {
        switch value {
        case .text(let bytes): return (try? VersionVector(decoding: bytes)) ?? VersionVector()
        case .blob(let packed):
            var counters: [String: Int64] = [:]
            var index = 0
            while index + 7 <= packed.count {
                let id = packed[index..<(index + 6)].hexString
                index += 6
                var count: UInt64 = 0, shift: UInt64 = 0
                while index < packed.count, shift < 63 {
                    let byte = packed[index]
                    index += 1
                    count |= UInt64(byte & 0x7F) << shift
                    shift += 7
                    if byte & 0x80 == 0 { break }
                }
                counters[id] = Int64(min(count, UInt64(VersionVector.maximumCount)))
            }
            return VersionVector(counters)
        default: return VersionVector()
        }
    }
}
