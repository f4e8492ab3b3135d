/// A reused byte buffer that JSON is written into, one record line at a time.
///
/// Byte-level on purpose: Foundation's JSONSerialization encodes ~30k rows/s and loses
/// ~1.6% of doubles; this writer is exact and ~80x faster (../shared/MEASURED.md).
public struct JSONBuffer {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always) public mutating func append(_ byte: UInt8) { bytes.append(byte) }

    public mutating func append(raw: StaticString) {
        raw.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func appendInteger(_ value: Int64) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        // Magnitude as UInt64 so Int64.min has no overflow.
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0) // 32 bytes of scratch, enough for 20 digits
        let count = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var n = 0
            while magnitude > 0 {
                scratch[31 - n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            }
            bytes.append(contentsOf: scratch[(32 - n)...])
            return n
        }
        _ = count
    }

    /// A REAL, always with a `.` or an exponent so it reads back as a REAL.
    /// Swift's description is the shortest string that round-trips; non-finite values
    /// take the `{"$real":"inf"}` form since JSON has no literal for them.
    public mutating func appendReal(_ value: Double) {
        if value.isNaN { append(raw: #"{"$real":"nan"}"#); return }
        if value.isInfinite { value < 0 ? append(raw: #"{"$real":"-inf"}"#) : append(raw: #"{"$real":"inf"}"#); return }
        let text = value.description
        var sawMarker = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { sawMarker = true }
            bytes.append(byte)
        }
        if !sawMarker { append(raw: ".0") }
    }

    /// A JSON string from bytes known to be valid UTF-8.
    public mutating func appendString(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        let count = utf8.count
        while index < count {
            let byte = utf8[index]
            let escape: StaticString?
            switch byte {
            case UInt8(ascii: "\""): escape = #"\""#
            case UInt8(ascii: "\\"): escape = #"\\"#
            case 0x0A: escape = #"\n"#
            case 0x0D: escape = #"\r"#
            case 0x09: escape = #"\t"#
            case 0x08: escape = #"\b"#
            case 0x0C: escape = #"\f"#
            case 0x00..<0x20, 0x7F: escape = nil
            case 0xE2 where index + 2 < count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                // U+2028 / U+2029 are legal JSON but break JavaScript and line-oriented tools.
                escape = nil
            default:
                index += 1
                continue
            }
            if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
            if let escape {
                append(raw: escape)
                index += 1
            } else if byte == 0xE2 {
                append(raw: "\\u")
                appendHex4(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                index += 3
            } else {
                append(raw: "\\u")
                appendHex4(UInt16(byte))
                index += 1
            }
            runStart = index
        }
        if runStart < count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count])) }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func appendString(_ string: String) {
        var copy = string
        copy.withUTF8 { appendString($0) }
    }

    private mutating func appendHex4(_ value: UInt16) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { hex in
            bytes.append(hex[Int(value >> 12) & 0xF])
            bytes.append(hex[Int(value >> 8) & 0xF])
            bytes.append(hex[Int(value >> 4) & 0xF])
            bytes.append(hex[Int(value) & 0xF])
        }
    }

    /// A BLOB in the `{"$base64":true,"encoded":"…"}` form sqlite-utils and Datasette use.
    /// `asText` marks a TEXT cell that is not valid UTF-8, so it round-trips as TEXT.
    public mutating func appendBase64Object(_ data: UnsafeBufferPointer<UInt8>, asText: Bool = false) {
        append(raw: #"{"$base64":true,"encoded":""#)
        Base64.encode(data, into: &bytes)
        if asText { append(raw: #"","type":"text"}"#) } else { append(raw: #""}"#) }
    }

    /// A TEXT cell: a JSON string when valid UTF-8, else the tagged base64 form.
    public mutating func appendText(_ utf8: UnsafeBufferPointer<UInt8>) {
        if Self.isPlainASCII(utf8) {
            // Most cells: valid UTF-8 with nothing to escape, copied in one go.
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
        } else if UTF8Validation.isValid(utf8) {
            appendString(utf8)
        } else {
            appendBase64Object(utf8, asText: true)
        }
    }

    /// Printable ASCII without `"` or `\\`: bytes a JSON string holds as they are.
    /// Eight bytes at a time (a tenth of an export's encoding thread went to this check
    /// byte by byte); the rest one by one.
    static func isPlainASCII(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let count = utf8.count
        var index = 0
        while index + 8 <= count {
            if !isPlainASCII(word: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) { return false }
            index += 8
        }
        while index < count {
            let byte = base[index]
            if byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            index += 1
        }
        return true
    }

    /// Whether none of a word's eight bytes is a control byte, non-ASCII, DEL, `"` or `\\`
    /// (the "has a zero byte" and "has a byte less than n" tests, exact as booleans).
    @inline(__always) static func isPlainASCII(word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        if word & highs != 0 { return false } // a byte >= 0x80
        if (word &- ones &* 0x20) & ~word & highs != 0 { return false } // a byte < 0x20
        return !hasZeroByte(word ^ (ones &* 0x7F)) && !hasZeroByte(word ^ (ones &* 0x22)) && !hasZeroByte(word ^ (ones &* 0x5C))
    }

    public mutating func appendValue(_ value: Value) {
        switch value {
        case .null: append(raw: "null")
        case .integer(let v): appendInteger(v)
        case .real(let v): appendReal(v)
        case .text(let v): v.withUnsafeBufferPointer { appendText($0) }
        case .blob(let v): v.withUnsafeBufferPointer { appendBase64Object($0) }
        }
    }

    /// `{"a":1,"b":"x"}` from ordered pairs.
    public mutating func appendObject(_ pairs: [(String, Value)]) {
        append(UInt8(ascii: "{"))
        for (index, pair) in pairs.enumerated() {
            if index > 0 { append(UInt8(ascii: ",")) }
            appendString(pair.0)
            append(UInt8(ascii: ":"))
            appendValue(pair.1)
        }
        append(UInt8(ascii: "}"))
    }

    /// Any parsed JSON value, re-encoded.
    public mutating func appendJSON(_ value: JSONValue) {
        switch value {
        case .null: append(raw: "null")
        case .bool(let flag): flag ? append(raw: "true") : append(raw: "false")
        case .integer(let v): appendInteger(v)
        case .real(let v): appendReal(v)
        case .string(let bytes): bytes.withUnsafeBufferPointer { appendString($0) }
        case .array(let items):
            append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { append(UInt8(ascii: ",")) }
                appendJSON(item)
            }
            append(UInt8(ascii: "]"))
        case .object(let pairs):
            append(UInt8(ascii: "{"))
            for (index, pair) in pairs.enumerated() {
                if index > 0 { append(UInt8(ascii: ",")) }
                appendString(pair.key)
                append(UInt8(ascii: ":"))
                appendJSON(pair.value)
            }
            append(UInt8(ascii: "}"))
        }
    }
}
