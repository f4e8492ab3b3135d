import Foundation

/// Owns a read-only file descriptor, closed exactly once. Reads by position (`pread`),
/// so several readers can share it and a tar member is just a byte range.
final class InputFile: @unchecked Sendable {
    // @unchecked: the descriptor is immutable after init and pread does not move a shared offset.
    private let descriptor: Int32
    let path: String
    let size: Int

    /// Opens `path` for reading. With `regularOnly` (a file inside a changeset folder), the
    /// file itself must be a regular file, not a symbolic link (O_NOFOLLOW), a device or a pipe
    /// (checked with fstat on the open descriptor, so nothing can be swapped in between).
    init(path: String, regularOnly: Bool = false) throws {
        // O_NONBLOCK: opening a FIFO would otherwise wait for a writer; it is refused below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | (regularOnly ? O_NOFOLLOW | O_NONBLOCK : 0))
        guard fd >= 0 else {
            if regularOnly && errno == ELOOP {
                throw FerryError(.unsafe, "\(path) is a symbolic link. A changeset folder holds only its own regular files, and Ferry never follows a link out of it. Copy the changeset with the files themselves (cp -rL), or ask for a new export.")
            }
            throw FerryError(.io, "cannot open \(path): \(String(cString: strerror(errno))).")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw FerryError(.io, "cannot read \(path): \(String(cString: strerror(errno))).")
        }
        if regularOnly {
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw FerryError(.unsafe, "\(path) is not a regular file (it is a folder, device, socket or pipe). A changeset folder holds only regular files: copy the changeset again, or ask for a new export.")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw FerryError(.io, "\(path) is a folder where a file was expected.")
        }
        descriptor = fd
        self.path = path
        size = Int(info.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns how many were read (0 at end).
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws -> Int {
        while true {
            let n = pread(descriptor, buffer, count, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw FerryError(.io, "cannot read \(path): \(String(cString: strerror(errno))).")
            }
            return n
        }
    }
}

/// A byte range of an input file: a whole file, or one member of a `.ferry` tar.
struct ByteRange {
    let file: InputFile
    let offset: Int
    let count: Int

    init(file: InputFile, offset: Int = 0, count: Int? = nil) {
        self.file = file
        self.offset = offset
        self.count = count ?? file.size
    }

    /// Calls `body` with successive chunks of the range.
    func forEachChunk(size: Int = 256 * 1024, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let n = try file.read(into: buffer, count: min(size, count - done), at: offset + done)
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(start: buffer, count: n))
            done += n
        }
    }

    func readAll() throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        try forEachChunk { result.append(contentsOf: $0) }
        return result
    }

    /// `readAll`, refusing a range longer than `limit` (a small file that a stranger made large).
    func readAll(limit: Int, place: String) throws -> [UInt8] {
        guard count <= limit else { throw FerryError(.format, "\(place) is larger than \(limit) bytes; it is not what Ferry writes there. The changeset was changed or damaged.") }
        return try readAll()
    }
}
