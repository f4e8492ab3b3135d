import CZlib

/// Owns a zlib inflate stream that reads gzip; ended exactly once.
///
/// The `z_stream` lives on the heap because zlib keeps a pointer back to it
/// (`strm->state->strm`): a Swift struct that moved would corrupt the stream. zlib, not
/// libdeflate, reads: libdeflate inflates whole buffers only, and a stranger's gzip file
/// may be one member of any size.
final class InflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: 256 * 1024)
        let rc = ferry_inflate_init_gzip(stream)
        guard rc == Z_OK else {
            stream.deallocate()
            throw FerryError(.compression, "zlib could not start a gzip reader (error \(rc)).")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// True once a gzip member ended and no bytes after it have been read yet.
    private(set) var atMemberEnd = false

    /// Inflates `input`, handing decompressed chunks to `sink`. Several gzip members in a
    /// row (as `cat a.gz b.gz` makes) are read as one stream.
    func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        let capacity = output.count
        try output.withUnsafeMutableBytes { out in
            // inflate can hold output after its input is used up: keep calling while it fills the buffer.
            while stream.pointee.avail_in > 0 || !atMemberEnd {
                if atMemberEnd {
                    // More bytes after a finished member: a new member starts.
                    inflateReset(stream)
                    atMemberEnd = false
                }
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(capacity)
                let rc = inflate(stream, Z_NO_FLUSH)
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0 { try sink(UnsafeRawBufferPointer(start: out.baseAddress, count: produced)) }
                switch rc {
                case Z_STREAM_END:
                    atMemberEnd = true
                case Z_OK:
                    break
                case Z_BUF_ERROR:
                    // No progress possible: input used up mid-member; wait for more.
                    return
                default:
                    let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                    throw FerryError(.compression, "the gzip data is corrupt (\(detail)).")
                }
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return }
            }
        }
    }
}
