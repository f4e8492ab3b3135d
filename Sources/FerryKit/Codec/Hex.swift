/// Lowercase hexadecimal, as checksums, hashes, column digests and cloudIds are written.
extension Sequence where Element == UInt8 {
    package var hexString: String {
        let digits: StaticString = "0123456789abcdef"
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        digits.withUTF8Buffer { hex in
            for byte in self {
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes these lowercase hex digits spell; nil for an odd count or any other byte.
    package var hexDecoded: [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount / 2)
        var high: UInt8?
        for digit in self {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            default: return nil
            }
            if let first = high { out.append(first << 4 | nibble); high = nil } else { high = nibble }
        }
        return high == nil ? out : nil
    }
}
