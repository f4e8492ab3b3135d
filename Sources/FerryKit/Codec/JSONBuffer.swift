/// A reused byte buffer that JSON is written into, one record line at a time.
///
/// Byte-level on purpose: Foundation's JSONSerialization encodes ~30k rows/s and loses
/// ~1.6% of doubles; this writer is exact and ~80x faster (../shared/MEASURED.md).
///
/// The bytes live in memory this buffer owns rather than in a `[UInt8]`: an array's
/// `append(contentsOf:)` spent ~100 instructions per call around its memcpy (uniqueness
/// and capacity checks, a generic copy loop), ~10% of an export (docs/decisions.md,
/// "Export: a byte buffer of its own"). Noncopyable, so its memory has one owner and is
/// freed once.
public struct JSONBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    public private(set) var count = 0
    private var capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// A copy of the bytes written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    public var isEmpty: Bool { count == 0 }

    public var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    /// The bytes written so far, in place; valid only inside `body`.
    public func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    public mutating func removeAll() { count = 0 }

    /// Writes a number token from `start` on as the portable form counts it: an integral
    /// REAL as the integer (`12.0` → `12`, `-0.0` → `0`), so 1 and 1.0, which SQLite holds
    /// as the same value, hash alike on both sides. Anything else is left as it is.
    mutating func canonicalizeNumber(from start: Int) {
        guard count - start >= 3, base[count - 2] == UInt8(ascii: "."), base[count - 1] == UInt8(ascii: "0") else { return }
        var index = start
        if base[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count - 2 else { return }
        for position in index..<(count - 2) where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(base[position]) { return }
        count -= 2
        if count - start == 2, base[start] == UInt8(ascii: "-"), base[start + 1] == UInt8(ascii: "0") {
            base[start] = UInt8(ascii: "0")
            count -= 1
        }
    }

    /// Room for `extra` more bytes past `count`.
    @inline(__always) private mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(toHold: count + extra) }
    }

    @inline(never) private mutating func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always) public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always) public mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// A String's UTF-8 as it is, unquoted: for JSON text built by hand.
    public mutating func append(utf8 text: String) {
        var copy = text
        copy.withUTF8 { append(contentsOf: $0) }
    }

    @inline(__always) public mutating func append(raw: StaticString) {
        raw.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Writes up to `maxCount` bytes straight into the buffer; `body` returns how many it wrote.
    @inline(__always) mutating func appendUninitialized(maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maxCount)
        count += body(base + count)
    }

    public mutating func appendInteger(_ value: Int64) {
        if value == 0 { append(UInt8(ascii: "0")); return }
        // Magnitude as UInt64 so Int64.min has no overflow.
        var magnitude = value.magnitude
        appendUninitialized(maxCount: 20) { out in
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes of scratch, enough for 20 digits
            return withUnsafeMutableBytes(of: &digits) { scratch -> Int in
                var n = 0
                while magnitude > 0 {
                    scratch[23 - n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                    n += 1
                }
                var written = 0
                if value < 0 { out[0] = UInt8(ascii: "-"); written = 1 }
                (out + written).initialize(from: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self) + (24 - n), count: n)
                return written + n
            }
        }
    }

    /// A REAL, always with a `.` or an exponent so it reads back as a REAL.
    /// Swift's description is the shortest string that round-trips; non-finite values
    /// take the `{"$real":"inf"}` form since JSON has no literal for them.
    public mutating func appendReal(_ value: Double) {
        if value.isNaN { append(raw: #"{"$real":"nan"}"#); return }
        if value.isInfinite { value < 0 ? append(raw: #"{"$real":"-inf"}"#) : append(raw: #"{"$real":"inf"}"#); return }
        var text = value.description
        var sawMarker = false
        text.withUTF8 { utf8 in
            for byte in utf8 where byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { sawMarker = true }
            append(contentsOf: utf8)
        }
        if !sawMarker { append(raw: ".0") }
    }

    /// A JSON string from bytes known to be valid UTF-8.
    public mutating func appendString(_ utf8: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
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
            if runStart < index { append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
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
        if runStart < count { append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count])) }
        append(UInt8(ascii: "\""))
    }

    public mutating func appendString(_ string: String) {
        var copy = string
        copy.withUTF8 { appendString($0) }
    }

    private mutating func appendHex4(_ value: UInt16) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { hex in
            append(hex[Int(value >> 12) & 0xF])
            append(hex[Int(value >> 8) & 0xF])
            append(hex[Int(value >> 4) & 0xF])
            append(hex[Int(value) & 0xF])
        }
    }

    /// A BLOB in the `{"$base64":true,"encoded":"…"}` form sqlite-utils and Datasette use.
    /// `asText` marks a TEXT cell that is not valid UTF-8, so it round-trips as TEXT.
    public mutating func appendBase64Object(_ data: UnsafeBufferPointer<UInt8>, asText: Bool = false) {
        append(raw: #"{"$base64":true,"encoded":""#)
        appendUninitialized(maxCount: Base64.encodedCount(data.count)) { Base64.encode(data, into: $0) }
        if asText { append(raw: #"","type":"text"}"#) } else { append(raw: #""}"#) }
    }

    /// A TEXT cell: a JSON string when valid UTF-8, else the tagged base64 form.
    public mutating func appendText(_ utf8: UnsafeBufferPointer<UInt8>) {
        if Self.isPlainASCII(utf8) {
            // Most cells: valid UTF-8 with nothing to escape, copied in one go.
            appendUninitialized(maxCount: utf8.count + 2) { out in
                out[0] = UInt8(ascii: "\"")
                if let source = utf8.baseAddress { (out + 1).initialize(from: source, count: utf8.count) }
                out[utf8.count + 1] = UInt8(ascii: "\"")
                return utf8.count + 2
            }
        } else if UTF8Validation.isValid(utf8) {
            appendString(utf8)
        } else {
            appendBase64Object(utf8, asText: true)
        }
    }

    /// Printable ASCII without `"` or `\\`: bytes a JSON string holds as they are.
    /// Eight bytes at a time (a tenth of an export's encoding thread went to this check
    /// byte by byte): the last word overlaps the one before it, and a text shorter than a
    /// word is padded with spaces, so no byte is looked at alone.
    static func isPlainASCII(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let count = utf8.count
        guard count >= 8 else {
            var padded: UInt64 = 0x2020_2020_2020_2020
            withUnsafeMutableBytes(of: &padded) { $0.baseAddress!.copyMemory(from: raw, byteCount: count) }
            return isPlainASCII(word: padded)
        }
        var index = 0
        while index + 8 < count {
            if !isPlainASCII(word: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) { return false }
            index += 8
        }
        return isPlainASCII(word: raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
    }

    /// Whether none of a word's eight bytes is a control byte, non-ASCII, DEL, `"` or `\\`.
    /// Each test sets a byte's high bit where it finds that byte; a borrow or carry between
    /// bytes only starts at a byte already found, so "any high bit" is exact.
    @inline(__always) static func isPlainASCII(word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroBytes(_ v: UInt64) -> UInt64 { (v &- ones) & ~v }
        var found = word // a byte >= 0x80
        found |= (word &- ones &* 0x20) & ~word // a byte < 0x20
        found |= word &+ ones // 0x7F becomes 0x80
        found |= zeroBytes(word ^ (ones &* 0x22)) | zeroBytes(word ^ (ones &* 0x5C))
        return found & highs == 0
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
