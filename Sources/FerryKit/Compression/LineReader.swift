/// Reads a byte range as lines, carrying partial lines across chunks; gzip (detected by
/// its magic bytes) is inflated on the way.
///
/// End of input before the gzip trailer is a truncated file, never a silent success.
struct LineReader {
    let range: ByteRange
    /// The name used in error messages ("users.ndjson.gz").
    let name: String
    /// Changeset tables must be gzip; a rejects file may be plain NDJSON.
    var allowPlain = false
    /// A line longer than this is refused rather than buffered without bound.
    var maximumLineLength = 256 * 1024 * 1024

    /// Calls `body(lineNumber, bytes)` for each line (without its `\n`); returns the line count.
    @discardableResult
    func forEachLine(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Int {
        let inflater = try isGzip() ? InflateStream() : nil
        var pending: [UInt8] = []
        var lineNumber = 0
        do {
            func split(_ chunk: UnsafeRawBufferPointer) throws {
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
            try range.forEachChunk { compressed in
                if let inflater { try inflater.decompress(compressed, sink: split) } else { try split(compressed) }
            }
        } catch let error as FerryError where error.kind == .compression {
            throw FerryError(.compression, "\(error.message) The file is damaged: export it again or ask for a new copy.").located(file: name, line: lineNumber + 1)
        }
        if let inflater, !inflater.atMemberEnd {
            throw FerryError(.compression, "the gzip stream ends early (truncated after line \(lineNumber)). The file is incomplete: copy it again or re-export.").located(file: name)
        }
        if !pending.isEmpty {
            lineNumber += 1
            try pending.withUnsafeBufferPointer { try body(lineNumber, $0) }
        }
        return lineNumber
    }

    /// gzip files start with 1f 8b; an empty range counts as gzip, so it reads as truncated.
    private func isGzip() throws -> Bool {
        guard allowPlain else { return true }
        guard range.count >= 2 else { return range.count == 0 }
        var magic: [UInt8] = [0, 0]
        _ = try magic.withUnsafeMutableBytes { try range.file.read(into: $0.baseAddress!, count: 2, at: range.offset) }
        return magic == [0x1F, 0x8B]
    }
}
