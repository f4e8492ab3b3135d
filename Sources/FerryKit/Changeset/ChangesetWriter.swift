import CFerrySystem
import Foundation

/// Writes a changeset so that it appears complete or not at all: every file goes into a
/// hidden staging folder beside the output, which is renamed into place at the end
/// (or packed into a `.ferry` archive under a temporary name, then renamed).
final class ChangesetWriter {
    let outputPath: String
    let stagingPath: String
    private let asArchive: Bool
    private let force: Bool
    private var tables: [ManifestTable] = []
    private var committed = false

    init(outputPath: String, force: Bool) throws {
        let url = URL(fileURLWithPath: outputPath).standardizedFileURL
        self.outputPath = url.path
        self.force = force
        asArchive = url.pathExtension == "ferry"
        let parent = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FerryError(.io, "cannot write \(url.path): the folder \(parent) does not exist. Create it first.")
        }
        var info = stat()
        // An empty folder made for the export is an output like a missing one.
        if lstat(url.path, &info) == 0 && (asArchive || !Self.isEmptyFolder(url.path)) {
            guard force else {
                throw FerryError(.io, "\(url.path) already exists. Choose another --out, or pass --force to replace it (only a changeset Ferry wrote can be replaced).")
            }
            try Self.checkReplaceable(url.path, asArchive: asArchive)
        }
        guard access(parent, W_OK) == 0 else {
            throw FerryError(.io, "cannot write \(url.path): the folder \(parent) is not writable. Choose an --out in a writable folder.")
        }
        Self.removeStaleStaging(in: parent, for: url.lastPathComponent)
        // The process id in the name lets a later export tell a killed export's leftovers
        // from a running one's.
        stagingPath = parent + "/." + url.lastPathComponent + ".tmp-\(getpid())-" + UUID().uuidString.lowercased()
        do {
            try FileManager.default.createDirectory(atPath: stagingPath, withIntermediateDirectories: false)
        } catch {
            throw FerryError(.io, "cannot create \(stagingPath): \(error.localizedDescription). Check that \(parent) is writable.")
        }
    }

    deinit {
        // An export that failed leaves nothing behind.
        if !committed {
            try? FileManager.default.removeItem(atPath: stagingPath)
            try? FileManager.default.removeItem(atPath: stagingPath + ".ferry")
        }
    }

    func tableWriter(for definition: TableDefinition, level: Int) throws -> (GzipFileWriter, String) {
        let file = ChangesetFileName.forTable(definition.name)
        return (try GzipFileWriter(creating: stagingPath + "/" + file, level: level), file)
    }

    func add(_ table: ManifestTable) {
        tables.append(table)
    }

    /// Writes the manifest and publishes the changeset at the output path.
    /// Writes the manifest (and packs the archive): the changeset is whole, not yet in place.
    /// With `signingKey`, also `manifest.sig`: the key's signature over the manifest's bytes.
    func seal(_ manifest: Manifest, signingKey: SigningKey? = nil) throws {
        let bytes = try manifest.encoded()
        let manifestFile = try OutputFile(creating: stagingPath + "/" + Manifest.fileName)
        try manifestFile.write(bytes)
        try manifestFile.close()
        var files = [Manifest.fileName]
        if let signingKey {
            let signatureFile = try OutputFile(creating: stagingPath + "/" + ChangesetSignature.fileName)
            try signatureFile.write(try ChangesetSignature.make(manifest: bytes, with: signingKey).fileBytes)
            try signatureFile.close()
            files.append(ChangesetSignature.fileName)
        }
        if asArchive {
            try TarArchive.write(folder: stagingPath, files: files + manifest.tables.map(\.file), to: stagingPath + ".ferry", mtime: manifest.createdSeconds)
        }
    }

    /// Puts the sealed changeset at the output path. An export with a sync book calls it
    /// after its transaction committed: a kill in between leaves a book that counts an
    /// export nobody has (harmless: its counts are skipped), never a changeset whose
    /// versions the book does not know (which a later export could count again for other
    /// content).
    func publish() throws {
        let fileManager = FileManager.default
        if asArchive {
            let temporary = stagingPath + ".ferry"
            defer { try? fileManager.removeItem(atPath: temporary) }
            try replaceOutput(with: temporary)
            try? fileManager.removeItem(atPath: stagingPath)
        } else {
            try replaceOutput(with: stagingPath)
        }
        committed = true
    }

    func commit(_ manifest: Manifest) throws {
        try seal(manifest)
        try publish()
    }

    /// Puts the finished changeset at the output path. An existing one is swapped out in one
    /// step (a rename over a `.ferry` file; `renameat2(RENAME_EXCHANGE)` for a folder) and
    /// deleted only afterwards, so a kill at any point leaves the old changeset or the new
    /// one whole, never a mix or nothing.
    private func replaceOutput(with path: String) throws {
        var info = stat()
        guard lstat(outputPath, &info) == 0 else {
            guard rename(path, outputPath) == 0 else { throw moveError() }
            return
        }
        // An empty folder (made for the export) holds nothing to lose; anything else needs
        // --force and must still be a changeset: it may have changed while the export ran.
        if asArchive || !Self.isEmptyFolder(outputPath) {
            guard force else { throw FerryError(.io, "\(outputPath) already exists. Pass --force to replace it.") }
            try Self.checkReplaceable(outputPath, asArchive: asArchive)
        }
        if asArchive {
            guard rename(path, outputPath) == 0 else { throw moveError() }
            return
        }
        if ferry_exchange(path, outputPath) == 0 {
            try? FileManager.default.removeItem(atPath: path) // now the old changeset
            return
        }
        // No RENAME_EXCHANGE on this file system: move the old one aside under a hidden name
        // first, so it is never deleted before the new one is in place.
        let aside = stagingPath + ".old"
        guard rename(outputPath, aside) == 0 else { throw moveError() }
        guard rename(path, outputPath) == 0 else {
            let error = moveError()
            _ = rename(aside, outputPath)
            throw error
        }
        try? FileManager.default.removeItem(atPath: aside)
    }

    private func moveError() -> FerryError {
        FerryError(.io, "cannot move the finished changeset to \(outputPath): \(String(cString: strerror(errno))).")
    }

    /// Removes what killed exports to the same output left behind (`.NAME.tmp-PID-…`, with
    /// their packed `.ferry` and set-aside `.old` companions) when process PID is gone, so
    /// repeated kills cannot fill the disk.
    static func removeStaleStaging(in parent: String, for name: String) {
        let prefix = "." + name + ".tmp-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }), pid > 0 else { continue }
            if kill(pid, 0) == 0 || errno != ESRCH { continue } // alive, or not ours to ask
            try? FileManager.default.removeItem(atPath: parent + "/" + entry)
        }
    }

    /// `--force` replaces only what Ferry wrote: a changeset folder (a Ferry manifest and table
    /// files, nothing else) or a `.ferry` file, of the same form as the new output. Anything
    /// else, a database or a folder of the user's files, is refused by name.
    static func checkReplaceable(_ path: String, asArchive: Bool) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let type = info.st_mode & S_IFMT
        let refuse = { (what: String) in
            FerryError(.io, "--force replaces only a changeset Ferry wrote, and \(path) is \(what). Nothing was written; choose another --out.")
        }
        if asArchive {
            guard type == S_IFREG else { throw refuse(type == S_IFDIR ? "a folder" : "not a regular file") }
            guard let members = try? TarArchive.members(of: try InputFile(path: path)), let manifest = members[Manifest.fileName],
                  isFerryManifest(try? manifest.readAll()) else {
                throw refuse(isSQLiteDatabase(path) ? "a SQLite database" : "not a .ferry changeset")
            }
            return
        }
        guard type == S_IFDIR else {
            throw refuse(type == S_IFREG ? (isSQLiteDatabase(path) ? "a SQLite database" : "a file, not a changeset folder") : "not a folder")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let manifestPath = path + "/" + Manifest.fileName
        guard entries.contains(Manifest.fileName), isRegularFile(manifestPath),
              isFerryManifest(try? ByteRange(file: try InputFile(path: manifestPath)).readAll()) else {
            throw refuse("a folder without a Ferry manifest\(entries.isEmpty ? "" : " (it holds \(describe(entries)))")")
        }
        let others = entries.filter { $0 != Manifest.fileName && $0 != ChangesetSignature.fileName && !($0.hasSuffix(ChangesetFileName.suffix) && !$0.hasPrefix(".") && isGzipFile(path + "/" + $0)) }
        guard others.isEmpty else {
            throw refuse("a changeset folder that also holds other files (\(describe(others)))")
        }
    }

    private static func describe(_ names: [String]) -> String {
        let sorted = names.sorted()
        return sorted.prefix(3).joined(separator: ", ") + (sorted.count > 3 ? " and \(sorted.count - 3) more" : "")
    }

    static func isEmptyFolder(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return false }
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? ["?"]).isEmpty
    }

    /// A regular file that starts as gzip does: a table file, not a database named like one.
    private static func isGzipFile(_ path: String) -> Bool {
        guard isRegularFile(path), let file = try? InputFile(path: path) else { return false }
        guard file.size >= 2 else { return false }
        var magic: [UInt8] = [0, 0]
        _ = try? magic.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 2, at: 0) }
        return magic == [0x1F, 0x8B]
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    private static func isFerryManifest(_ bytes: [UInt8]?) -> Bool {
        guard let bytes, bytes.count <= 64 << 20,
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return false }
        return object["format"] as? String == Manifest.formatName
    }

    private static func isSQLiteDatabase(_ path: String) -> Bool {
        guard let file = try? InputFile(path: path), file.size >= 16 else { return false }
        var header = [UInt8](repeating: 0, count: 16)
        _ = try? header.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 16, at: 0) }
        return header == Array("SQLite format 3\0".utf8)
    }
}
