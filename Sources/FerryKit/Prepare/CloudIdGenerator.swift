import Foundation

/// New cloudIds: UUIDv7 (RFC 9562), lowercase. The first 48 bits are the Unix time in
/// milliseconds, so ids sort by creation time (good for B-tree indexes and for reading
/// logs); 74 random bits make a collision between independent environments negligible.
public struct CloudIdGenerator: Sendable {
    private var generator = SystemRandomNumberGenerator()
    /// Tests that compare two exports give both the same ids: a counter instead of the
    /// random bits, and the time of the seed.
    private var seeded: UInt64?

    public init() {}

    package init(seed: UInt64) { seeded = seed }

    public mutating func next(now: Date = Date()) -> String {
        let milliseconds = seeded ?? UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(index))) }
        var random = (generator.next() as UInt64, generator.next() as UInt64)
        if let seed = seeded {
            random = (seed, seed)
            seeded = seed + 1
        }
        for index in 6..<16 {
            let word = index < 8 ? random.0 : random.1
            bytes[index] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F) // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F) // RFC 4122 variant
        let hex = bytes.hexString
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}
