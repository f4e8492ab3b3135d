/// Standard base64 (RFC 4648, with padding), written straight into a byte buffer.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    public static func encode(_ data: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        let table = alphabet
        var index = 0
        let count = data.count
        output.reserveCapacity(output.count + (count + 2) / 3 * 4)
        while index + 3 <= count {
            let value = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2])
            output.append(table[Int(value >> 18 & 63)])
            output.append(table[Int(value >> 12 & 63)])
            output.append(table[Int(value >> 6 & 63)])
            output.append(table[Int(value & 63)])
            index += 3
        }
        let rest = count - index
        if rest == 1 {
            let value = UInt32(data[index]) << 16
            output.append(table[Int(value >> 18 & 63)])
            output.append(table[Int(value >> 12 & 63)])
            output.append(UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let value = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8
            output.append(table[Int(value >> 18 & 63)])
            output.append(table[Int(value >> 12 & 63)])
            output.append(table[Int(value >> 6 & 63)])
            output.append(UInt8(ascii: "="))
        }
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
