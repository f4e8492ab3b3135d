import FerryKit

/// A row of `COPY … TO STDOUT` in text format: fields split at tabs, `\N` for NULL,
/// backslash escapes undone into a buffer of its own, each field then read as the cursor
/// of a query result reads it (by the column's type, then its converting affinity).
///
/// A class over memory it owns: the exporter hands the cursor on as a `RowCursor` several
/// times a row, and a struct of five arrays was copied (five retains and releases) each
/// time; arrays held by a class cost an exclusivity check and a retain per access instead.
final class PostgresCopyRowCursor: RowCursor {
    let types: [UInt32]
    let modifiers: [Int32]
    let affinities: [PostgresTypes.Affinity?]
    /// The row's bytes with escapes undone; never longer than the line they came from.
    private var bytes: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Each field's start in `bytes` and its length, -1 for NULL; `types.count` of them.
    private let starts: UnsafeMutablePointer<Int>
    private let counts: UnsafeMutablePointer<Int>

    init(types: [UInt32], modifiers: [Int32], affinities: [PostgresTypes.Affinity?]) {
        self.types = types
        self.modifiers = modifiers
        self.affinities = affinities
        capacity = 4096
        bytes = .allocate(capacity: capacity)
        starts = .allocate(capacity: max(types.count, 1))
        counts = .allocate(capacity: max(types.count, 1))
    }

    deinit {
        bytes.deallocate()
        starts.deallocate()
        counts.deallocate()
    }

    func read(_ line: UnsafeBufferPointer<UInt8>) throws {
        if line.count > capacity {
            bytes.deallocate()
            capacity = max(line.count, capacity * 2)
            bytes = .allocate(capacity: capacity)
        }
        // Locals, not the properties, inside the loop: no access checks per byte.
        let out = bytes, width = types.count
        var length = 0, start = 0, escapedNull = false, fieldCount = 0
        func endField() {
            if fieldCount < width {
                starts[fieldCount] = start
                counts[fieldCount] = escapedNull ? -1 : length - start
            }
            fieldCount += 1
            start = length
            escapedNull = false
        }
        if let base = line.baseAddress {
            let count = line.count
            var index = 0
            while true {
                // The run up to the next tab or backslash goes in whole.
                var end = index
                while end < count, base[end] != 0x09, base[end] != 0x5C { end += 1 }
                if end > index {
                    (out + length).update(from: base + index, count: end - index)
                    length += end - index
                }
                guard end < count else { break }
                index = end + 1
                if base[end] == 0x09 { endField(); continue }
                guard index < count else { out[length] = 0x5C; length += 1; break }
                let escaped = base[index]
                index += 1
                var byte = escaped
                switch escaped {
                case UInt8(ascii: "N") where length == start && (index == count || base[index] == 0x09):
                    escapedNull = true
                    continue
                case UInt8(ascii: "b"): byte = 8
                case UInt8(ascii: "f"): byte = 12
                case UInt8(ascii: "n"): byte = 10
                case UInt8(ascii: "r"): byte = 13
                case UInt8(ascii: "t"): byte = 9
                case UInt8(ascii: "v"): byte = 11
                case UInt8(ascii: "0")...UInt8(ascii: "7"):
                    // Up to three octal digits; COPY writes none today, but the format allows them.
                    var value = Int(escaped - UInt8(ascii: "0")), digits = 1
                    while digits < 3, index < count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(base[index]) {
                        value = value * 8 + Int(base[index] - UInt8(ascii: "0"))
                        index += 1
                        digits += 1
                    }
                    byte = UInt8(truncatingIfNeeded: value)
                case UInt8(ascii: "x") where index < count && base[index].isHexDigit:
                    var value = Int(base[index].hexValue)
                    index += 1
                    if index < count, base[index].isHexDigit {
                        value = value * 16 + Int(base[index].hexValue)
                        index += 1
                    }
                    byte = UInt8(value)
                default: break
                }
                // An escape is two bytes or more in the line and one here: `out` keeps up.
                out[length] = byte
                length += 1
            }
        }
        endField()
        guard fieldCount == width else {
            throw FerryError(.store, "PostgreSQL's COPY gave a row of \(fieldCount) fields for a scan of \(width) columns. This is a fault in Ferry: please report it, with the table's definition.")
        }
    }

    func isNull(at index: Int) -> Bool { counts[checked(index)] < 0 }

    private func checked(_ index: Int) -> Int {
        precondition(index >= 0 && index < types.count, "column \(index) of a scan of \(types.count)")
        return index
    }

    private func affinity(_ index: Int) -> PostgresTypes.Affinity? { index < affinities.count ? affinities[index] : nil }

    /// Field `index`'s bytes (NULL: none).
    private func field(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let index = checked(index)
        return UnsafeBufferPointer(start: bytes + starts[index], count: max(counts[index], 0))
    }

    func value(at index: Int) -> Value {
        guard !isNull(at: index) else { return .null }
        return PostgresTypes.cell(field(index), type: types[index], modifier: modifiers[index], affinity: affinity(index))
    }

    func appendJSON(at index: Int, to buffer: inout JSONBuffer) {
        if !isNull(at: index), PostgresTypes.appendVerbatim(field(index), type: types[index], affinity: affinity(index), to: &buffer) { return }
        buffer.appendValue(value(at: index))
    }
}

private extension UInt8 {
    var isHexDigit: Bool { (48...57).contains(self) || (65...70).contains(self) || (97...102).contains(self) }
    var hexValue: UInt8 { self <= 57 ? self - 48 : (self | 0x20) - 87 }
}
