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
        if FileManager.default.fileExists(atPath: url.path) && !force {
            throw FerryError(.io, "\(url.path) already exists. Choose another --out, or pass --force to replace it.")
        }
        stagingPath = parent + "/." + url.lastPathComponent + ".tmp-" + UUID().uuidString.lowercased()
        do {
            try FileManager.default.createDirectory(atPath: stagingPath, withIntermediateDirectories: false)
        } catch {
            throw FerryError(.io, "cannot create \(stagingPath): \(error.localizedDescription). Check that \(parent) is writable.")
        }
    }

    deinit {
        // An export that failed leaves nothing behind.
        if !committed { try? FileManager.default.removeItem(atPath: stagingPath) }
    }

    func tableWriter(for definition: TableDefinition, level: Int) throws -> (GzipFileWriter, String) {
        let file = ChangesetFileName.forTable(definition.name)
        return (try GzipFileWriter(creating: stagingPath + "/" + file, level: level), file)
    }

    func add(_ table: ManifestTable) {
        tables.append(table)
    }

    /// Writes the manifest and publishes the changeset at the output path.
    func commit(_ manifest: Manifest) throws {
        let manifestFile = try OutputFile(creating: stagingPath + "/" + Manifest.fileName)
        try manifestFile.write(try manifest.encoded())
        try manifestFile.close()
        let fileManager = FileManager.default
        if asArchive {
            let temporary = stagingPath + ".ferry"
            defer { try? fileManager.removeItem(atPath: temporary) }
            try TarArchive.write(folder: stagingPath, files: [Manifest.fileName] + manifest.tables.map(\.file), to: temporary)
            try replaceOutput(with: temporary)
            try? fileManager.removeItem(atPath: stagingPath)
        } else {
            try replaceOutput(with: stagingPath)
        }
        committed = true
    }

    private func replaceOutput(with path: String) throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: outputPath) {
            guard force else { throw FerryError(.io, "\(outputPath) already exists. Pass --force to replace it.") }
            try fileManager.removeItem(atPath: outputPath)
        }
        guard rename(path, outputPath) == 0 else {
            throw FerryError(.io, "cannot move the finished changeset to \(outputPath): \(String(cString: strerror(errno))).")
        }
    }
}
