/// Standard base64 (RFC 4648, with padding), written straight into a byte buffer.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The bytes `encode` writes for `count` bytes of data.
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes the base64 of `data` at `output`, which has room for `encodedCount(data.count)`
    /// bytes; returns that count.
    public static func encode(_ data: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int {
        alphabet.withUnsafeBufferPointer { table in
            var index = 0
            var written = 0
            let count = data.count
            while index + 3 <= count {
                let value = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2])
                output[written] = table[Int(value >> 18 & 63)]
                output[written + 1] = table[Int(value >> 12 & 63)]
                output[written + 2] = table[Int(value >> 6 & 63)]
                output[written + 3] = table[Int(value & 63)]
                index += 3
                written += 4
            }
            let rest = count - index
            if rest > 0 {
                let value = UInt32(data[index]) << 16 | (rest == 2 ? UInt32(data[index + 1]) << 8 : 0)
                output[written] = table[Int(value >> 18 & 63)]
                output[written + 1] = table[Int(value >> 12 & 63)]
                output[written + 2] = rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                output[written + 3] = UInt8(ascii: "=")
                written += 4
            }
            return written
        }
    }

    /// The base64 of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        var output = [UInt8](repeating: 0, count: encodedCount(bytes.count))
        _ = bytes.withUnsafeBufferPointer { data in output.withUnsafeMutableBufferPointer { encode(data, into: $0.baseAddress!) } }
        return output
    }

    /// Decodes strict padded base64; nil when the text is not that.
    public static func decode(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        let table = decodeTable
        var index = 0
        while index < text.count {
            let isLast = index + 4 == text.count
            var quad: [UInt32] = [0, 0, 0, 0]
            var padding = 0
            for offset in 0..<4 {
                let byte = text[index + offset]
                if byte == UInt8(ascii: "=") && isLast && offset >= 2 {
                    padding += 1
                    continue
                }
                if padding > 0 { return nil }
                let decoded = table[Int(byte)]
                if decoded == 0xFF { return nil }
                quad[offset] = UInt32(decoded)
            }
            let value = quad[0] << 18 | quad[1] << 12 | quad[2] << 6 | quad[3]
            output.append(UInt8(value >> 16 & 0xFF))
            if padding < 2 { output.append(UInt8(value >> 8 & 0xFF)) }
            if padding < 1 { output.append(UInt8(value & 0xFF)) }
            index += 4
        }
        return output
    }
}
