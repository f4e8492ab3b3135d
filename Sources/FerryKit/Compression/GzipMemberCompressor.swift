import CLibDeflate
import Foundation

/// Owns a libdeflate compressor; freed exactly once. Turns one whole block into one
/// complete gzip member (header, deflate data, CRC-32 and size trailer).
///
/// Export compresses independent blocks, so a whole-buffer compressor fits; libdeflate's
/// level 1 cut the export's CPU by a quarter against zlib's and its changesets by 9%
/// (docs/decisions.md, "Export: deflate with libdeflate"). Not thread-safe: one per block job.
final class GzipMemberCompressor {
    private let compressor: OpaquePointer

    init(level: Int) throws {
        // libdeflate takes 0...12; Ferry keeps zlib's 0...9 so `--level` means what gzip's does.
        guard (0...9).contains(level) else {
            throw FerryError(.usage, "compression level \(level) is out of range: use 0 (none) to 9 (smallest).")
        }
        guard let compressor = libdeflate_alloc_compressor(Int32(level)) else {
            throw FerryError(.compression, "libdeflate could not allocate a level-\(level) compressor (out of memory).")
        }
        self.compressor = compressor
    }

    deinit { libdeflate_free_compressor(compressor) }

    /// `input` as one gzip member.
    func member(of input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        var produced = 0
        let output = [UInt8](unsafeUninitializedCapacity: bound) { out, count in
            produced = libdeflate_gzip_compress(compressor, input.baseAddress, input.count, out.baseAddress, bound)
            count = produced
        }
        // The bound holds for any input, so 0 here means libdeflate broke its own promise.
        guard produced > 0 else {
            throw FerryError(.compression, "libdeflate could not compress a \(input.count)-byte block into its own bound of \(bound) bytes.")
        }
        return output
    }
}

/// Compressors kept for the next block, so each block does not allocate and set up one.
/// `@unchecked Sendable`: `idle` is only touched under `lock`, and a compressor taken from
/// it serves one worker until it is put back.
final class GzipMemberCompressorPool: @unchecked Sendable {
    private let level: Int
    private let lock = NSLock()
    private var idle: [GzipMemberCompressor] = []

    init(level: Int) throws {
        idle = [try GzipMemberCompressor(level: level)] // checks the level up front
        self.level = level
    }

    func member(of input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let compressor = try lock.withLock { idle.popLast() } ?? GzipMemberCompressor(level: level)
        defer { lock.withLock { idle.append(compressor) } }
        return try compressor.member(of: input)
    }
}
