import Foundation

/// A moment written as PostgreSQL prints one (`2024-01-05 10:30:00.123`, with an optional
/// `+02`/`+05:30` offset) or as ISO 8601 (`2024-01-05T10:30:00.123Z`), as milliseconds
/// since 1970 in UTC. A time without an offset is UTC (Ferry's PostgreSQL sessions run in
/// UTC). Anything else, a date alone included, is no moment: nil.
package enum EpochMilliseconds {
    package static func parse(_ text: String) -> Int64? {
        var scalars = Array(text.utf8)
        // Past 9999 PostgreSQL prints the year with more digits (`10000-01-01 00:00:00`):
        // read them whole, then the rest as usual.
        let yearDigits = scalars.prefix { (48...57).contains($0) }.count
        guard (4...6).contains(yearDigits) else { return nil }
        let longYear = yearDigits > 4 ? scalars[0..<yearDigits].reduce(0) { $0 * 10 + Int($1 - 48) } : nil
        if yearDigits > 4 { scalars.removeFirst(yearDigits - 4) }
        guard scalars.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= scalars.count, range.allSatisfy({ (48...57).contains(scalars[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(scalars[$1] - 48) }
        }
        guard scalars[4] == UInt8(ascii: "-"), scalars[7] == UInt8(ascii: "-"), scalars[10] == UInt8(ascii: " ") || scalars[10] == UInt8(ascii: "T"),
              scalars[13] == UInt8(ascii: ":"), scalars[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var milliseconds = 0
        if index < scalars.count, scalars[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < scalars.count, (48...57).contains(scalars[index]) {
                if digits < 3 { milliseconds = milliseconds * 10 + Int(scalars[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { milliseconds *= 10 } }
            // Finer than a millisecond: not a moment SQLite's milliseconds can hold exactly.
            if digits > 3 && scalars[(index - digits + 3)..<index].contains(where: { $0 != 48 }) { return nil }
        }
        var offsetSeconds = 0
        if index < scalars.count {
            let sign = scalars[index]
            if sign == UInt8(ascii: "Z") && index == scalars.count - 1 {
                index += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                let rest = Array(scalars[(index + 1)...].filter { $0 != UInt8(ascii: ":") })
                guard rest.count == 2 || rest.count == 4, rest.allSatisfy({ (48...57).contains($0) }) else { return nil }
                let hours = Int(rest[0] - 48) * 10 + Int(rest[1] - 48)
                let minutes = rest.count == 4 ? Int(rest[2] - 48) * 10 + Int(rest[3] - 48) : 0
                offsetSeconds = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
                index = scalars.count
            } else {
                return nil
            }
        }
        guard index == scalars.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32((longYear ?? year) - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offsetSeconds)
        return seconds * 1000 + Int64(milliseconds)
    }
}
