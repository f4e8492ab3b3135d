import FerryKit
import Foundation

/// Says in plain words who holds a SQLite database's lock, so "database is locked" becomes
/// something a person can act on. SQLite's unix VFS takes POSIX advisory locks on fixed byte
/// ranges (https://www.sqlite.org/lockingv3.html; os_unix.c): the pending, reserved and
/// shared bytes at 1 GiB in the database file, and in WAL mode the writer's byte at offset
/// 120 of the `-shm` file. `fcntl(F_GETLK)` reports the process holding a conflicting lock.
package enum LockHolder {
    private static let pendingByte: off_t = 0x4000_0000
    private static let walWriteLockOffset: off_t = 120

    /// How long Ferry waits for a lock before it gives up, in milliseconds (`--busy-timeout`).
    nonisolated(unsafe) package static var busyTimeoutMilliseconds: Int32 = 5_000

    static func describe(databasePath path: String) -> String {
        let waited = Double(busyTimeoutMilliseconds) / 1000
        let advice = "Wait for it to finish (or close it), then run Ferry again; --busy-timeout SECONDS waits longer (it waited \(waited.formatted()) s)."
        if let pid = holder(of: path, start: pendingByte, length: 512) ?? holder(of: path + "-shm", start: walWriteLockOffset, length: 1) {
            return "\(path) is locked by another program: process \(pid)\(name(of: pid).map { " (\($0))" } ?? "") is using it. \(advice)"
        }
        return "\(path) is locked by another program that is writing to it. \(advice)"
    }

    /// The process holding any lock on `length` bytes at `start` of `path`, if one does.
    private static func holder(of path: String, start: off_t, length: off_t) -> pid_t? {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = start
        lock.l_len = length
        guard fcntl(fd, F_GETLK, &lock) == 0, lock.l_type != Int16(F_UNLCK), lock.l_pid > 0 else { return nil }
        return lock.l_pid
    }

    private static func name(of pid: pid_t) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }
}

private extension Double {
    func formatted() -> String {
        self == rounded() ? String(Int(self)) : String(format: "%.1f", self)
    }
}
