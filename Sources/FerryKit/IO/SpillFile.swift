import Foundation

/// A temporary file of record lines waiting for a later pass, so deferred records never
/// pile up in memory. Removed when released.
final class SpillFile {
    private let path: String
    private var output: OutputFile?
    private(set) var count = 0
    /// The tables (by index) of the records it holds.
    private(set) var tableIndexes = Set<Int>()

    init() throws {
        path = NSTemporaryDirectory() + "ferry-deferred-\(UUID().uuidString).ndjson"
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Appends `TABLE LINE JSON\n`; JSON lines never hold a raw newline.
    func append(tableIndex: Int, lineNumber: Int, line: UnsafeBufferPointer<UInt8>) throws {
        if output == nil { output = try OutputFile(creating: path) }
        try output!.write(Array("\(tableIndex) \(lineNumber) ".utf8) + Array(line) + [0x0A])
        count += 1
        tableIndexes.insert(tableIndex)
    }

    func forEach(_ body: (Int, Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard count > 0, let output else { return }
        try output.close()
        self.output = nil
        // Each line passed the changeset's line size limit on its way in: no second limit here.
        try LineReader(range: ByteRange(file: try InputFile(path: path)), name: "deferred records", allowPlain: true, maximumLineLength: .max).forEachLine { _, line in
            var fields: [Int] = []
            var start = 0
            for index in 0..<line.count where line[index] == 0x20 {
                fields.append(Int(String(decoding: UnsafeBufferPointer(rebasing: line[start..<index]), as: UTF8.self)) ?? 0)
                start = index + 1
                if fields.count == 2 { break }
            }
            try body(fields[0], fields[1], UnsafeBufferPointer(rebasing: line[start..<line.count]))
        }
    }
}
