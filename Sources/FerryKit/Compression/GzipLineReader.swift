/// Reads a gzip byte range as lines, carrying partial lines across chunks.
///
/// End of input before the gzip trailer is a truncated file, never a silent success.
struct GzipLineReader {
    let range: ByteRange
    /// The name used in error messages ("users.ndjson.gz").
    let name: String
    /// A line longer than this is refused rather than buffered without bound.
    var maximumLineLength = 256 * 1024 * 1024

    /// Calls `body(lineNumber, bytes)` for each line (without its `\n`); returns the line count.
    @discardableResult
    func forEachLine(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Int {
        let inflater = try InflateStream()
        var pending: [UInt8] = []
        var lineNumber = 0
        do {
            try range.forEachChunk { compressed in
                try inflater.decompress(compressed) { chunk in
                    let bytes = chunk.bindMemory(to: UInt8.self)
                    var start = 0
                    for index in 0..<bytes.count where bytes[index] == 0x0A {
                        lineNumber += 1
                        if pending.isEmpty {
                            try body(lineNumber, UnsafeBufferPointer(rebasing: bytes[start..<index]))
                        } else {
                            pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                            try pending.withUnsafeBufferPointer { try body(lineNumber, $0) }
                            pending.removeAll(keepingCapacity: true)
                        }
                        start = index + 1
                    }
                    if start < bytes.count {
                        pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
                        if pending.count > maximumLineLength {
                            throw FerryError(.format, "line \(lineNumber + 1) is longer than \(maximumLineLength) bytes; the file is not an NDJSON changeset table.")
                        }
                    }
                }
            }
        } catch let error as FerryError where error.kind == .compression {
            throw FerryError(.compression, "\(error.message) The file is damaged: export it again or ask for a new copy.").located(file: name, line: lineNumber + 1)
        }
        guard inflater.atMemberEnd else {
            throw FerryError(.compression, "the gzip stream ends early (truncated after line \(lineNumber)). The file is incomplete: copy it again or re-export.").located(file: name)
        }
        if !pending.isEmpty {
            lineNumber += 1
            try pending.withUnsafeBufferPointer { try body(lineNumber, $0) }
        }
        return lineNumber
    }
}
