import CFerrySystem
import Foundation

/// A file an import writes beside its real work: the report, the rejects, the conflicts.
///
/// Two promises. It never replaces a file Ferry did not write (`--report t.db` must not turn
/// the target into JSON): an existing file is replaced only when it is empty or reads as a
/// Ferry file of the same kind. And it appears only when its import commits: the bytes go
/// to an unnamed file (`O_TMPFILE`) that `publish()` links into place, so a failed or
/// killed import leaves nothing. Where the file system has no unnamed files, a hidden
/// `.NAME.partial-…` file stands in, removed when the import fails (a kill can leave it,
/// named as what it is).
public final class SideFile {
    public enum Kind: String, Sendable {
        case report, rejects, conflicts
        var flag: String { "--\(rawValue)" }
    }

    let path: String
    let kind: Kind
    private let file: OutputFile
    private let partialPath: String?
    private var published = false

    /// Checks that `path` may be written, then opens its unnamed stand-in.
    public init(path: String, kind: Kind) throws {
        self.path = path
        self.kind = kind
        try Self.checkReplaceable(path, kind: kind)
        let folder = Self.folder(of: path)
        let fd = ferry_open_unnamed(folder)
        if fd >= 0 {
            file = OutputFile(descriptor: fd, path: path)
            partialPath = nil
        } else {
            let partial = folder + "/." + (path as NSString).lastPathComponent + ".partial-" + UUID().uuidString.prefix(8).lowercased()
            file = try OutputFile(creating: partial)
            partialPath = partial
        }
    }

    deinit {
        if !published, let partialPath { unlink(partialPath) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
    }

    /// Where a failed run's file goes: `x.ndjson` → `x.rolled-back.ndjson`, named as what it is.
    static func rolledBackPath(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        return ext.isEmpty ? path + ".rolled-back" : url.deletingPathExtension().path + ".rolled-back." + ext
    }

    /// Puts the finished file at its path (or `at`), replacing the earlier Ferry file there, atomically.
    public func publish(at destination: String? = nil) throws {
        guard !published else { return }
        let path = destination ?? self.path
        let folder = Self.folder(of: path)
        let staged: String
        if let partialPath {
            try file.close()
            staged = partialPath
        } else {
            try file.sync()
            staged = folder + "/." + (path as NSString).lastPathComponent + ".new-" + UUID().uuidString.prefix(8).lowercased()
            guard ferry_link_unnamed(file.descriptorForLinking, staged) == 0 else {
                throw FerryError(.io, "cannot write \(path): \(String(cString: strerror(errno))). Check that \(folder) is writable.")
            }
            try file.close()
        }
        // Checked again: another program may have put a file there while the import ran.
        do {
            try Self.checkReplaceable(path, kind: kind)
        } catch {
            unlink(staged)
            throw error
        }
        guard rename(staged, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staged)
            throw FerryError(.io, "cannot write \(path): \(reason). Check that \(folder) is writable.")
        }
        published = true
    }

    /// Writes a whole small file (the report) at once.
    public static func write(_ text: String, to path: String, kind: Kind) throws {
        let file = try SideFile(path: path, kind: kind)
        try Array(text.utf8).withUnsafeBytes { try file.write($0) }
        try file.publish()
    }

    /// Throws unless `path` can be written without destroying anything: its folder exists and
    /// is writable, and whatever is at the path is nothing, an empty file, or a Ferry file of
    /// this kind.
    public static func checkReplaceable(_ path: String, kind: Kind) throws {
        let folder = folder(of: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FerryError(.io, "cannot write the \(kind.rawValue) file \(path): the folder \(folder) does not exist. Create it, or choose another \(kind.flag).")
        }
        guard access(folder, W_OK) == 0 else {
            throw FerryError(.io, "cannot write the \(kind.rawValue) file \(path): the folder \(folder) is not writable. Choose another \(kind.flag) in a writable folder.")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return } // nothing there
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            throw FerryError(.io, "\(path) already exists and is \(type == S_IFDIR ? "a folder" : type == S_IFLNK ? "a symbolic link" : "not a regular file"); Ferry never replaces it with its \(kind.rawValue) file. Choose another \(kind.flag).")
        }
        if info.st_size == 0 || isFerryFile(path, kind: kind) { return }
        throw FerryError(.io, "\(path) already exists and is not a Ferry \(kind.rawValue) file; Ferry never overwrites a file it did not write. Choose another \(kind.flag), or move the file away.")
    }

    /// Whether the file reads as one Ferry wrote: a report is a JSON object with the report's
    /// keys; a rejects or conflicts file's first line is an object with that file's keys.
    static func isFerryFile(_ path: String, kind: Kind) -> Bool {
        guard let input = try? InputFile(path: path) else { return false }
        if kind == .report {
            let limit = 16 << 20
            guard input.size <= limit else { return false }
            var bytes = [UInt8](repeating: 0, count: input.size)
            let read = (try? bytes.withUnsafeMutableBytes { try input.read(into: $0.baseAddress!, count: $0.count, at: 0) }) ?? 0
            guard read == input.size, let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return false }
            return object["changeset"] is String && object["totals"] is [String: Any] && object["tables"] is [Any]
        }
        // The first line whole: a record carries its row first, and a row may be as large
        // as a changeset line may be (a 1.6 MB text made Ferry refuse its own conflicts file).
        var firstLine: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while firstLine.count <= ChangesetReader.defaultMaximumLineLength {
            let offset = firstLine.count
            let read = (try? chunk.withUnsafeMutableBytes { try input.read(into: $0.baseAddress!, count: $0.count, at: offset) }) ?? 0
            guard read > 0 else { break }
            if let end = chunk[..<read].firstIndex(of: 0x0A) {
                firstLine += chunk[..<end]
                break
            }
            firstLine += chunk[..<read]
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(firstLine)) as? [String: Any] else { return false }
        switch kind {
        case .rejects: return (object["reject"] as? [String: Any])?["reason"] is String
        case .conflicts: return object["kind"] is String && object["resolution"] is String && object["policy"] is String
        case .report: return false
        }
    }

    private static func folder(of path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
    }
}
