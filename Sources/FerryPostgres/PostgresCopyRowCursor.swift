import FerryKit

/// A row of `COPY … TO STDOUT` in text format: fields split at tabs, `\N` for NULL,
/// backslash escapes undone into a buffer of its own, each field then read as the cursor
/// of a query result reads it (by the column's type, then its converting affinity).
struct PostgresCopyRowCursor: RowCursor {
    let types: [UInt32]
    let modifiers: [Int32]
    let affinities: [PostgresTypes.Affinity?]
    private var bytes: [UInt8] = []
    /// Each field's start and length in `bytes`; a length of -1 is NULL.
    private var fields: [(start: Int, count: Int)] = []

    init(types: [UInt32], modifiers: [Int32], affinities: [PostgresTypes.Affinity?]) {
        self.types = types
        self.modifiers = modifiers
        self.affinities = affinities
        fields.reserveCapacity(types.count)
    }

    mutating func read(_ line: UnsafeBufferPointer<UInt8>) throws {
        bytes.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        var start = 0, escapedNull = false
        func endField() {
            fields.append(escapedNull ? (start, -1) : (start, bytes.count - start))
            start = bytes.count
            escapedNull = false
        }
        if let base = line.baseAddress {
            let count = line.count
            var index = 0
            while true {
                // The run up to the next tab or backslash goes in whole.
                var end = index
                while end < count, base[end] != 0x09, base[end] != 0x5C { end += 1 }
                if end > index { bytes.append(contentsOf: UnsafeBufferPointer(start: base + index, count: end - index)) }
                guard end < count else { break }
                index = end + 1
                if base[end] == 0x09 { endField(); continue }
                guard index < count else { bytes.append(0x5C); break }
                let escaped = base[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "N") where bytes.count == start && (index == count || base[index] == 0x09): escapedNull = true
                case UInt8(ascii: "b"): bytes.append(8)
                case UInt8(ascii: "f"): bytes.append(12)
                case UInt8(ascii: "n"): bytes.append(10)
                case UInt8(ascii: "r"): bytes.append(13)
                case UInt8(ascii: "t"): bytes.append(9)
                case UInt8(ascii: "v"): bytes.append(11)
                case UInt8(ascii: "0")...UInt8(ascii: "7"):
                    // Up to three octal digits; COPY writes none today, but the format allows them.
                    var value = Int(escaped - UInt8(ascii: "0")), digits = 1
                    while digits < 3, index < count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(base[index]) {
                        value = value * 8 + Int(base[index] - UInt8(ascii: "0"))
                        index += 1
                        digits += 1
                    }
                    bytes.append(UInt8(truncatingIfNeeded: value))
                case UInt8(ascii: "x") where index < count && base[index].isHexDigit:
                    var value = Int(base[index].hexValue)
                    index += 1
                    if index < count, base[index].isHexDigit {
                        value = value * 16 + Int(base[index].hexValue)
                        index += 1
                    }
                    bytes.append(UInt8(value))
                default: bytes.append(escaped)
                }
            }
        }
        endField()
        guard fields.count == types.count else {
            throw FerryError(.store, "PostgreSQL's COPY gave a row of \(fields.count) fields for a scan of \(types.count) columns. This is a fault in Ferry: please report it, with the table's definition.")
        }
    }

    func isNull(at index: Int) -> Bool { fields[index].count < 0 }

    private func affinity(_ index: Int) -> PostgresTypes.Affinity? { index < affinities.count ? affinities[index] : nil }

    /// Field `index`'s bytes, for `body` (NULL: none).
    private func withField<T>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        bytes.withUnsafeBufferPointer { all in
            let (start, count) = fields[index]
            return body(UnsafeBufferPointer(rebasing: all[start..<(start + max(count, 0))]))
        }
    }

    func value(at index: Int) -> Value {
        guard !isNull(at: index) else { return .null }
        return withField(index) { PostgresTypes.cell($0, type: types[index], modifier: modifiers[index], affinity: affinity(index)) }
    }

    func appendJSON(at index: Int, to buffer: inout JSONBuffer) {
        if !isNull(at: index), withField(index, { PostgresTypes.appendVerbatim($0, type: types[index], affinity: affinity(index), to: &buffer) }) { return }
        buffer.appendValue(value(at: index))
    }
}

private extension UInt8 {
    var isHexDigit: Bool { (48...57).contains(self) || (65...70).contains(self) || (97...102).contains(self) }
    var hexValue: UInt8 { self <= 57 ? self - 48 : (self | 0x20) - 87 }
}
