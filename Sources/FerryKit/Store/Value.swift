import Foundation

/// One SQL cell, typed as SQLite stores it.
///
/// TEXT is kept as bytes: SQLite does not promise valid UTF-8, and a round trip must
/// give back exactly what was stored.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text([UInt8])
    case blob([UInt8])

    public static func text(_ string: String) -> Value { .text(Array(string.utf8)) }

    /// Exact equality: reals compare by bit pattern, so -0.0 differs from 0.0 and NaN equals itself.
    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.integer(a), .integer(b)): return a == b
        case let (.real(a), .real(b)): return a.bitPattern == b.bitPattern
        case let (.text(a), .text(b)): return sameBytes(a, b)
        case let (.blob(a), .blob(b)): return sameBytes(a, b)
        default: return false
        }
    }

    /// One `memcmp` ([UInt8]'s own == compares a byte a step: most of a cache probe's time).
    private static func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .integer(let v): hasher.combine(1); hasher.combine(v)
        case .real(let v): hasher.combine(2); hasher.combine(v.bitPattern)
        // The bytes at once: [UInt8]'s own hash(into:) feeds the hasher one byte a call,
        // which was a twentieth of a PostgreSQL reconcile's time.
        case .text(let v): hasher.combine(3); hasher.combine(v.count); v.withUnsafeBytes { hasher.combine(bytes: $0) }
        case .blob(let v): hasher.combine(4); hasher.combine(v.count); v.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The TEXT value as a Swift string (invalid UTF-8 replaced), for display and keys only.
    public var string: String? {
        if case .text(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    public var description: String {
        var buffer = JSONBuffer()
        buffer.appendValue(self)
        return buffer.string
    }
}
