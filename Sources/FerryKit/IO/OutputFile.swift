import Foundation

/// Owns a file descriptor opened for writing, closed exactly once.
final class OutputFile {
    private var descriptor: Int32
    let path: String

    /// Creates a new file; fails if it already exists (outputs are written under fresh temporary names).
    init(creating path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FerryError(.io, "cannot create \(path): \(String(cString: strerror(errno))). Check that the folder exists and is writable.")
        }
        descriptor = fd
        self.path = path
    }

    /// Takes over an open descriptor (an unnamed file, say).
    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// The open descriptor, for linking an unnamed file into place before `close()`.
    var descriptorForLinking: Int32 { descriptor }

    /// Flushes the bytes written so far to disk.
    func sync() throws {
        if descriptor >= 0 && fsync(descriptor) != 0 && errno != EINVAL {
            throw FerryError(.io, "cannot flush \(path): \(String(cString: strerror(errno))). Check free disk space.")
        }
    }

    deinit {
        if descriptor >= 0 { Foundation.close(descriptor) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FerryError(.io, "cannot write \(path): \(String(cString: strerror(errno))). Check free disk space.")
            }
            offset += written
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes to disk and closes, so a rename afterwards publishes complete bytes.
    func close() throws {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1
        if fsync(fd) != 0 && errno != EINVAL {
            Foundation.close(fd)
            throw FerryError(.io, "cannot flush \(path): \(String(cString: strerror(errno)))")
        }
        if Foundation.close(fd) != 0 {
            throw FerryError(.io, "cannot close \(path): \(String(cString: strerror(errno)))")
        }
    }
}
