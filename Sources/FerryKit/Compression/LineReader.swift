import Foundation

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
    /// A line longer than this is refused before it is buffered (`--max-line-size`), so a
    /// small gzip that inflates to one huge line cannot take memory without bound.
    var maximumLineLength = ChangesetReader.defaultMaximumLineLength

    /// Calls `body(lineNumber, bytes)` for each line (without its `\n`); returns the line count.
    @discardableResult
    func forEachLine(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Int {
        let inflater = try isGzip() ? InflateStream() : nil
        var pending: [UInt8] = []
        var lineNumber = 0
        do {
            func split(_ chunk: UnsafeRawBufferPointer) throws {
                    let bytes = chunk.bindMemory(to: UInt8.self)
                    guard let base = chunk.baseAddress else { return }
                    var start = 0
                    // memchr finds each line end (a byte loop here was 3% of an import).
                    while start < bytes.count, let found = memchr(base + start, 0x0A, bytes.count - start) {
                        let index = base.distance(to: UnsafeRawPointer(found))
                        lineNumber += 1
                        try checkLength(pending.count + (index - start), lineNumber: lineNumber)
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
                        // Checked before appending, so the buffer never grows past the limit.
                        try checkLength(pending.count + (bytes.count - start), lineNumber: lineNumber + 1)
                        pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
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

    private func checkLength(_ length: Int, lineNumber: Int) throws {
        guard length > maximumLineLength else { return }
        throw FerryError(.format, "the line is longer than \(Self.describeSize(maximumLineLength)), the line size limit. A line holds one record; if you trust this changeset and the record is really that large, raise the limit with --max-line-size (e.g. --max-line-size \(Self.suggestedLimit(above: maximumLineLength))).").located(file: name, line: lineNumber)
    }

    /// "64 MiB", "1 byte", "1000 bytes": a limit as a person reads it.
    static func describeSize(_ bytes: Int) -> String {
        if bytes >= 1 << 30 && bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return counted(bytes, "byte")
    }

    /// A round size in M or G, at least four times `limit`, for the advice above.
    static func suggestedLimit(above limit: Int) -> String {
        let mebibytes = max(1, (limit / (1024 * 1024)) * 4)
        return mebibytes >= 1024 && mebibytes % 1024 == 0 ? "\(mebibytes / 1024)G" : "\(mebibytes)M"
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
