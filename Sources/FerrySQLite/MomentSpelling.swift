import FerryKit

/// How a SQLite date-time column of text spells its moments, learnt from its rows: Django
/// writes `2024-01-05 10:30:00.123456` (six digits, none when they are all zero), Rails
/// `2024-01-05 10:30:00.123456` always with six, Prisma's driver adapters
/// `2024-01-05T10:30:00.123Z`. PostgreSQL prints the same moment as
/// `2024-01-05 10:30:00.123456+00`, so an untouched row of a pair whose cloud runs
/// PostgreSQL met the local copy as changed in every such column.
struct MomentSpelling: Equatable {
    enum Fraction: Equatable {
        /// Always this many digits (Rails: 6, JavaScript's ISO: 3).
        case fixed(Int)
        /// Six digits, or none when the microseconds are zero (Python's isoformat, Django).
        case sixUnlessZero
        /// As many as needed, trailing zeros cut (PostgreSQL's own print).
        case trimmed
    }

    var separator: UInt8
    var fraction: Fraction
    /// What follows the time: nothing, `Z`, `+00:00`, ` +00:00` (Sequelize) or `+00`.
    var zone: String

    /// A moment as PostgreSQL prints a `timestamp` or `timestamptz` in a UTC session.
    struct Moment: Equatable {
        var date: String  // YYYY-MM-DD
        var time: String  // HH:MM:SS
        var micros: Int
    }

    /// `text` as a moment, with how it was spelled; nil when it is no plain moment of UTC
    /// (another offset, BC, infinity, a date alone).
    static func parse(_ text: String) -> (moment: Moment, separator: UInt8, digits: Int, zone: String)? { parse(Array(text.utf8)) }

    /// `parse` of a value's bytes as the table holds them.
    static func parse(_ bytes: [UInt8]) -> (moment: Moment, separator: UInt8, digits: Int, zone: String)? {
        guard bytes.count >= 19 else { return nil }
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { bytes[$0] >= 48 && bytes[$0] <= 57 } }
        guard digits(0..<4), bytes[4] == 45, digits(5..<7), bytes[7] == 45, digits(8..<10), bytes[10] == 32 || bytes[10] == 84,
              digits(11..<13), bytes[13] == 58, digits(14..<16), bytes[16] == 58, digits(17..<19) else { return nil }
        var index = 19, micros = 0, count = 0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                guard count < 6 else { return nil } // finer than a microsecond
                micros = micros * 10 + Int(bytes[index] - 48)
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<6 { micros *= 10 }
        }
        let zone = String(decoding: bytes[index...], as: UTF8.self)
        guard ["", "Z", "+00:00", " +00:00", "+00"].contains(zone) else { return nil }
        // ASCII digits and separators, checked above.
        return (Moment(date: String(decoding: bytes[0..<10], as: UTF8.self), time: String(decoding: bytes[11..<19], as: UTF8.self), micros: micros),
                bytes[10], count, zone)
    }

    /// The one spelling every sample shares, or nil when they are not all moments spelled
    /// one way (then nothing is respelled). `django`: the database is Django's, whose six
    /// digits are left out when zero; samples that all have six cannot tell it from Rails.
    static func learn(_ samples: [String], django: Bool = false) -> MomentSpelling? {
        var separators = Set<UInt8>(), zones = Set<String>(), counts = Set<Int>()
        for sample in samples {
            // PostgreSQL's infinity and BC moments, kept as they came: no spelling of this
            // column's own, and no reason to learn none.
            if ["infinity", "-infinity"].contains(sample) || sample.hasSuffix(" BC") { continue }
            guard let parsed = parse(sample) else { return nil }
            separators.insert(parsed.separator)
            zones.insert(parsed.zone)
            counts.insert(parsed.digits)
        }
        guard separators.count == 1, zones.count == 1, let separator = separators.first, let zone = zones.first else { return nil }
        let fraction: Fraction
        if counts.contains(0) || django, counts.isSubset(of: [0, 6]), separator == 32, zone.isEmpty {
            fraction = .sixUnlessZero // Django: none when zero, else six
        } else if counts.count == 1, let count = counts.first, count > 0 {
            fraction = .fixed(count)
        } else {
            fraction = .trimmed
        }
        return MomentSpelling(separator: separator, fraction: fraction, zone: zone)
    }

    /// `moment` as this column writes it; nil when its fraction would not fit.
    func spell(_ moment: Moment) -> String? {
        var text = moment.date + String(UnicodeScalar(separator)) + moment.time
        let six = String(moment.micros + 1_000_000).dropFirst()
        switch fraction {
        case .fixed(let count):
            guard six.dropFirst(count).allSatisfy({ $0 == "0" }) else { return nil }
            text += "." + six.prefix(count)
        case .sixUnlessZero:
            if moment.micros != 0 { text += "." + six }
        case .trimmed:
            var digits = Substring(six)
            while digits.last == "0" { digits = digits.dropLast() }
            if !digits.isEmpty { text += "." + digits }
        }
        return text + zone
    }
}
