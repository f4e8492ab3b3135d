import Crypto

/// Streams bytes through gzip into a new file, hashing the compressed bytes as they go
/// so the manifest's sha256 needs no second read.
final class GzipFileWriter {
    private let file: OutputFile
    private let deflater: DeflateStream
    private var hasher = SHA256()
    private(set) var compressedBytes = 0

    init(creating path: String, level: Int) throws {
        file = try OutputFile(creating: path)
        deflater = try DeflateStream(level: level)
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try compress($0, finish: false) }
    }

    /// Ends the gzip stream, closes the file and returns its size and sha256 (lowercase hex).
    func finish() throws -> (bytes: Int, sha256: String) {
        try compress(UnsafeRawBufferPointer(start: nil, count: 0), finish: true)
        try file.close()
        return (compressedBytes, hasher.finalize().hexString)
    }

    private func compress(_ input: UnsafeRawBufferPointer, finish: Bool) throws {
        try deflater.compress(input, finish: finish) { chunk in
            hasher.update(bufferPointer: chunk)
            compressedBytes += chunk.count
            try file.write(chunk)
        }
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256Digest {
    var hexString: String { Array(self).hexString }
}
