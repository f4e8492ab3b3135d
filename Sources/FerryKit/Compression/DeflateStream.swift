import CZlib

/// Owns a zlib deflate stream that writes gzip; ended exactly once.
///
/// The `z_stream` lives on the heap because zlib keeps a pointer back to it
/// (`strm->state->strm`): a Swift struct that moved would corrupt the stream.
final class DeflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]

    init(level: Int) throws {
        guard (0...9).contains(level) else {
            throw FerryError(.usage, "compression level \(level) is out of range: use 0 (none) to 9 (smallest).")
        }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: 256 * 1024)
        let rc = ferry_deflate_init_gzip(stream, Int32(level))
        guard rc == Z_OK else {
            stream.deallocate()
            throw FerryError(.compression, "zlib could not start a gzip stream (error \(rc)).")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input`, handing every produced chunk to `sink`. `finish` ends the gzip member.
    func compress(_ input: UnsafeRawBufferPointer, finish: Bool, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let flush = finish ? Z_FINISH : Z_NO_FLUSH
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        let capacity = output.count
        try output.withUnsafeMutableBytes { out in
            while true {
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(capacity)
                let rc = deflate(stream, flush)
                if rc == Z_STREAM_ERROR {
                    throw FerryError(.compression, "zlib deflate failed: \(message ?? "stream error").")
                }
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0 { try sink(UnsafeRawBufferPointer(start: out.baseAddress, count: produced)) }
                if finish {
                    if rc == Z_STREAM_END { break }
                } else if stream.pointee.avail_out != 0 {
                    break
                }
            }
        }
    }

    /// `input` as one complete gzip member (header, deflate data, CRC-32 and size trailer).
    static func member(of input: [UInt8], level: Int) throws -> [UInt8] {
        let stream = try DeflateStream(level: level)
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 3 + 1024)
        try input.withUnsafeBytes { bytes in
            try stream.compress(bytes, finish: true) { output.append(contentsOf: $0) }
        }
        return output
    }

    private var message: String? { stream.pointee.msg.map { String(cString: $0) } }
}
