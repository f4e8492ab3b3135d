import Crypto
import Dispatch

/// Streams bytes through gzip into a new file, hashing the compressed bytes as they go
/// so the manifest's sha256 needs no second read.
///
/// Input is cut into blocks of about 1 MiB, each compressed as an independent gzip member
/// by a worker (libdeflate) while the caller goes on; a block may also be made on the
/// worker (`write(compressing:)`: the export scans and encodes a range of rows there).
/// Members are written in the order they were queued; gzip readers (zcat, Ferry's own)
/// read the concatenation as one stream. At most `maxInFlight` blocks wait, so memory
/// stays a few MiB whatever the table's size. See docs/decisions.md ("Export: gzip
/// members compressed on a second core", "Export: ranges scanned on both cores").
final class GzipFileWriter {
    static let blockSize = 1 << 20
    /// Room past `blockSize` for the line that crosses it, so a buffer of lines that is
    /// handed over once it holds `blockSize` bytes is filled without growing.
    static let lineSlack = 64 * 1024
    /// What a buffer of lines that becomes a block holds without growing.
    static let lineBufferCapacity = blockSize + lineSlack
    private static let maxInFlight = 3

    private let file: OutputFile
    private let compressors: GzipMemberCompressorPool
    private var hasher = SHA256()
    private(set) var compressedBytes = 0
    private var block: [UInt8] = []
    private var inFlight: [CompressedBlock] = []
    private var membersWritten = 0

    init(creating path: String, level: Int) throws {
        compressors = try GzipMemberCompressorPool(level: level) // refuses a level out of range before the file exists
        file = try OutputFile(creating: path)
        block.reserveCapacity(Self.lineBufferCapacity)
    }

    deinit { abandon() }

    /// Waits for every queued block's worker and drops what they made: after a failure, no
    /// worker may still read a connection or outlive the writer's file.
    func abandon() {
        for job in inFlight { job.done.wait() }
        inFlight.removeAll()
        block.removeAll()
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var start = 0
        while start < bytes.count {
            let take = min(Self.blockSize - block.count, bytes.count - start)
            block.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<(start + take)]))
            start += take
            if block.count == Self.blockSize { try submitBlock() }
        }
    }

    /// Waits until every block submitted so far is in the file.
    func flush() throws {
        if !block.isEmpty { try submitBlock() }
        while !inFlight.isEmpty { try writeOldest() }
    }

    /// Ends the gzip stream, closes the file and returns its size and sha256 (lowercase hex).
    func finish() throws -> (bytes: Int, sha256: String) {
        if membersWritten + inFlight.count == 0 && block.isEmpty { try submitBlock() } // an empty file is still one gzip member
        try flush()
        try file.close()
        return (compressedBytes, hasher.finalize().hexString)
    }

    /// Queues a job that makes a block on a worker (the export scans and encodes a range
    /// there) and returns it compressed by `compress`, so the block can stay in the job's
    /// own buffer; the member lands in the file after every block submitted before it.
    func write(compressing job: @escaping @Sendable (_ compress: (UnsafeRawBufferPointer) throws -> [UInt8]) throws -> [UInt8]) throws {
        if !block.isEmpty { try submitBlock() }
        try submit(job)
    }

    private func submitBlock() throws {
        let input = block
        block = []
        block.reserveCapacity(Self.lineBufferCapacity)
        try submit { compress in try input.withUnsafeBytes(compress) }
    }

    private func submit(_ makeMember: @escaping @Sendable (_ compress: (UnsafeRawBufferPointer) throws -> [UInt8]) throws -> [UInt8]) throws {
        let job = CompressedBlock()
        let compressors = compressors
        inFlight.append(job)
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                job.output = try makeMember { try compressors.member(of: $0) }
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

extension SHA256Digest {
    var hexString: String { withUnsafeBytes { $0.hexString } }
}
