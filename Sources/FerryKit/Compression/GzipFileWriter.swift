import Crypto
import Dispatch

/// Streams bytes through gzip into a new file, hashing the compressed bytes as they go
/// so the manifest's sha256 needs no second read.
///
/// Deflate is the dearest step of an export (a record line costs more to compress than to
/// encode), so input is cut into 1 MiB blocks, each compressed as an independent gzip
/// member on a background thread while the caller encodes the next rows. Members are
/// written in order; gzip readers (zcat, Ferry's own) read the concatenation as one
/// stream. At most `maxInFlight` blocks wait, so memory stays a few MiB whatever the
/// table's size. See docs/decisions.md ("Export: gzip members
/// compressed on a second core").
final class GzipFileWriter {
    static let blockSize = 1 << 20
    /// Room past `blockSize` for the line that crosses it, so a buffer handed over by
    /// `write(taking:)` is filled without growing.
    static let lineSlack = 64 * 1024
    private static let maxInFlight = 3

    private let file: OutputFile
    private let level: Int
    private var hasher = SHA256()
    private(set) var compressedBytes = 0
    private var block: [UInt8] = []
    private var inFlight: [CompressedBlock] = []
    private var membersWritten = 0

    init(creating path: String, level: Int) throws {
        guard (0...9).contains(level) else {
            throw FerryError(.usage, "compression level \(level) is out of range: use 0 (none) to 9 (smallest).")
        }
        file = try OutputFile(creating: path)
        self.level = level
        block.reserveCapacity(Self.blockSize + Self.lineSlack)
    }

    deinit {
        // A failed export abandons its blocks: wait so no worker outlives the writer's file.
        for job in inFlight { job.done.wait() }
    }

    func write(_ bytes: [UInt8]) throws {
        var start = 0
        while start < bytes.count {
            let take = min(Self.blockSize - block.count, bytes.count - start)
            block.append(contentsOf: bytes[start..<(start + take)])
            start += take
            if block.count == Self.blockSize { try submitBlock() }
        }
    }

    /// Hands over a buffer of whole lines as the next block, without copying it, when no
    /// partial block is pending; `bytes` comes back empty, with a block's capacity, to fill
    /// again. A member then ends at a line's end, a little past `blockSize`.
    func write(taking bytes: inout [UInt8]) throws {
        guard block.isEmpty else {
            try write(bytes)
            bytes.removeAll(keepingCapacity: true)
            return
        }
        swap(&block, &bytes)
        try submitBlock()
    }

    /// Ends the gzip stream, closes the file and returns its size and sha256 (lowercase hex).
    func finish() throws -> (bytes: Int, sha256: String) {
        if !block.isEmpty || membersWritten + inFlight.count == 0 { try submitBlock() } // an empty file is still one gzip member
        while !inFlight.isEmpty { try writeOldest() }
        try file.close()
        return (compressedBytes, hasher.finalize().hexString)
    }

    private func submitBlock() throws {
        let job = CompressedBlock()
        let input = block
        let level = level
        block = []
        block.reserveCapacity(Self.blockSize + Self.lineSlack)
        inFlight.append(job)
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                job.output = try DeflateStream.member(of: input, level: level)
            } catch {
                job.error = error
            }
            job.done.signal()
        }
        while inFlight.count > Self.maxInFlight { try writeOldest() }
    }

    private func writeOldest() throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        if let error = job.error { throw error }
        try job.output.withUnsafeBytes { chunk in
            hasher.update(bufferPointer: chunk)
            try file.write(chunk)
        }
        compressedBytes += job.output.count
        membersWritten += 1
    }
}

/// One block's trip through a worker: written by the worker before `done` is signalled,
/// read by the writer only after waiting on it, so the semaphore orders every access.
private final class CompressedBlock: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var output: [UInt8] = []
    var error: Error?
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits: StaticString = "0123456789abcdef"
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        digits.withUTF8Buffer { hex in
            for byte in self {
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256Digest {
    var hexString: String { withUnsafeBytes { $0.hexString } }
}
