import Crypto
import Foundation

/// Opens a changeset (a folder, or a `.ferry` archive) and reads its manifest and tables.
public final class ChangesetReader {
    public let path: String
    public let manifest: Manifest
    /// The manifest's bytes as read: what a signature covers.
    private let manifestBytes: [UInt8]
    private let files: [String: ByteRange]?
    private let folder: String?
    /// A rejects file (plain NDJSON with `reject` annotations) read as a changeset.
    private let rejectsFile: ByteRange?
    /// A record line longer than this is refused (`--max-line-size`), so memory stays bounded.
    public let maximumLineLength: Int
    /// 64 MiB: a record line (and so any value in it) larger than this needs `--max-line-size`.
    public static let defaultMaximumLineLength = 64 * 1024 * 1024

    /// Opens a changeset folder or `.ferry` archive; with a `target`, also a rejects file
    /// (`.ndjson`), whose tables are described by the target's own schema.
    public init(path: String, target: Store? = nil, maximumLineLength: Int = ChangesetReader.defaultMaximumLineLength) throws {
        self.path = path
        self.maximumLineLength = maximumLineLength
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FerryError(.io, "no changeset at \(path). Give the folder or .ferry file that `ferry export --out` wrote.")
        }
        let manifestRange: ByteRange
        if !isDirectory.boolValue, path.hasSuffix(".ndjson"), let target {
            let range = ByteRange(file: try InputFile(path: path))
            folder = nil
            files = nil
            rejectsFile = range
            manifest = try RejectsFile.manifest(for: range, name: (path as NSString).lastPathComponent, target: target, maximumLineLength: maximumLineLength)
            manifestBytes = []
            return
        }
        rejectsFile = nil
        if isDirectory.boolValue {
            folder = path
            files = nil
            let manifestPath = path + "/" + Manifest.fileName
            guard Self.entryExists(manifestPath) else {
                throw FerryError(.format, "\(path) has no \(Manifest.fileName), so it is not a changeset folder.")
            }
            manifestRange = ByteRange(file: try InputFile(path: manifestPath, regularOnly: true))
        } else {
            folder = nil
            let members = try TarArchive.members(of: try InputFile(path: path))
            guard let range = members[Manifest.fileName] else {
                throw FerryError(.format, "\(path) holds no \(Manifest.fileName), so it is not a .ferry changeset.")
            }
            files = members
            manifestRange = range
        }
        guard manifestRange.count <= 64 * 1024 * 1024 else {
            throw FerryError(.format, "\(path)/\(Manifest.fileName) is larger than 64 MiB; it is not a Ferry manifest.")
        }
        manifestBytes = try manifestRange.readAll()
        manifest = try Manifest.decode(manifestBytes, location: path)
    }

    /// Checks `manifest.sig`, before anything is written. A signature that does not match
    /// the manifest is refused always. With `trusted` keys (`--trust`), the changeset must be
    /// signed by one of them and hold nothing the signature does not cover: in an archive,
    /// every header and padding byte must be the ones Ferry writes. Returns who signed (nil:
    /// unsigned, and no keys were asked for).
    public func checkSignature(trusting trusted: [SignerKey]?) throws -> SignatureCheck? {
        let fix = "Copy the changeset again, or ask its sender for a new signed export."
        guard rejectsFile == nil else {
            if trusted != nil { throw FerryError(.unsafe, "\(path) is a rejects file, which carries no signature; --trust cannot vouch for it. Import it without --trust only if you made it yourself.") }
            return nil
        }
        let signaturePlace = "\(path)/\(ChangesetSignature.fileName)"
        let bytes: [UInt8]?
        if let files {
            bytes = try files[ChangesetSignature.fileName]?.readAll(limit: 4096, place: signaturePlace)
        } else if Self.entryExists(folder! + "/" + ChangesetSignature.fileName) {
            bytes = try ByteRange(file: try InputFile(path: folder! + "/" + ChangesetSignature.fileName, regularOnly: true)).readAll(limit: 4096, place: signaturePlace)
        } else {
            bytes = nil
        }
        guard let bytes else {
            if trusted != nil { throw FerryError(.unsafe, "\(path) is not signed, and --trust asks for a signed changeset. Ask its sender to export it with --sign KEYFILE.") }
            return nil
        }
        let signature = try ChangesetSignature.parse(bytes, place: signaturePlace)
        guard signature.isValid(for: manifestBytes) else {
            throw FerryError(.checksum, "\(path): the signature does not match the manifest (key \(signature.key.fingerprint)); the changeset was changed after it was signed. \(fix)")
        }
        guard let trusted else { return SignatureCheck(key: signature.key, trusted: nil) }
        guard let match = trusted.first(where: { $0.raw == signature.key.raw }) else {
            throw FerryError(.unsafe, "\(path) is signed by key \(signature.key.fingerprint) (\(signature.key.name.isEmpty ? "unnamed" : "says \"\(signature.key.name)\"")), which is not among the \(trusted.count) trusted key\(trusted.count == 1 ? "" : "s") (\(trusted.map(\.fingerprint).joined(separator: ", "))). Ask its sender which key signed it, or trust that key with --trust.")
        }
        let order = [Manifest.fileName, ChangesetSignature.fileName] + manifest.tables.map(\.file)
        let expected = Set(order)
        if files != nil {
            try TarArchive.checkCanonical(try InputFile(path: path), members: order, mtime: manifest.createdSeconds)
        } else {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder!)) ?? []
            if let stranger = entries.sorted().first(where: { !expected.contains($0) }) {
                throw FerryError(.unsafe, "\(path) holds \(stranger), which the signed manifest does not name. A signed changeset holds only its own files: remove it, or ask for a new export.")
            }
        }
        return SignatureCheck(key: signature.key, trusted: match)
    }

    /// The bytes of a table's file. The name was validated by `Manifest.decode`, so it is one path component.
    func range(of table: ManifestTable) throws -> ByteRange {
        if let rejectsFile { return rejectsFile }
        if let files {
            guard let range = files[table.file] else {
                throw FerryError(.format, "\(path): the archive has no \(table.file) for table \(table.name). Ask for a new export.")
            }
            return range
        }
        let filePath = folder! + "/" + table.file
        guard Self.entryExists(filePath) else {
            throw FerryError(.io, "\(table.file) is missing from \(path) (table \(table.name)). Copy the whole changeset folder again.")
        }
        return ByteRange(file: try InputFile(path: filePath, regularOnly: true))
    }

    /// Whether anything, even a dangling symbolic link, is at `path` (lstat: links are not followed).
    private static func entryExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Checks every table file's size and sha256 against the manifest, before anything is written.
    public func verifyChecksums() throws {
        for table in manifest.tables {
            try verifyChecksum(of: table)
        }
    }

    func verifyChecksum(of table: ManifestTable) throws {
        if rejectsFile != nil { return } // a fixed rejects file has no manifest to check against
        let range = try range(of: table)
        var hasher = SHA256()
        try range.forEachChunk { hasher.update(bufferPointer: $0) }
        let actual = hasher.finalize().hexString
        guard range.count == table.bytes, actual == table.sha256.lowercased() else {
            throw FerryError(.checksum, "\(table.file): checksum mismatch (manifest sha256 \(table.sha256.prefix(12))…, \(table.bytes) bytes; file \(actual.prefix(12))…, \(range.count) bytes). The file was changed or damaged in transit: copy the changeset again, or ask for a new export.")
        }
    }

    /// Streams a table's records: `body(lineNumber, record, line)`. Errors name the file and line.
    public func forEachRecord(in table: ManifestTable, _ body: (Int, Record, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let reader = LineReader(range: try range(of: table), name: table.file, allowPlain: rejectsFile != nil, maximumLineLength: maximumLineLength)
        var lines = 0
        let columns = RecordDecoder.Columns(table.columns.map(\.name))
        try reader.forEachLine { lineNumber, line in
            if rejectsFile != nil {
                guard try RejectsFile.annotation(of: line, lineNumber: lineNumber, file: table.file).table == table.name else { return }
            }
            lines += 1
            try body(lineNumber, try Self.decode(line, columns: columns, table: table.name, file: table.file, lineNumber: lineNumber), line)
        }
        guard lines == table.rows else {
            throw FerryError(.format, "\(table.file) holds \(lines) records but the manifest says \(table.rows) (table \(table.name)). The changeset is incomplete or was edited: ask for a new export.")
        }
    }

    static func decode(_ line: UnsafeBufferPointer<UInt8>, columns: RecordDecoder.Columns? = nil, table: String, file: String, lineNumber: Int) throws -> Record {
        do {
            return try columns.map { try RecordDecoder.decode(line, columns: $0) } ?? RecordDecoder.decode(line)
        } catch let error as FerryError {
            throw FerryError(error.kind, "\(error.message) (table \(table)). Fix the line or ask for a new export.").located(file: file, line: lineNumber)
        }
    }
}
