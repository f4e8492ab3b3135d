import Foundation
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Testing

/// The built `ferry` binary, next to this test bundle in the build folder.
let ferryBinary: URL = {
    let candidates = [
        Bundle.main.executableURL?.deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        Bundle.main.bundleURL,
    ].compactMap { $0 }
    for directory in candidates {
        let binary = directory.appendingPathComponent("ferry")
        if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
    }
    fatalError("cannot find the ferry binary near \(candidates)")
}()

/// The package root (for samples/ and Schemas/).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `ferry ARGS` and captures everything it prints.
@discardableResult
func ferry(_ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
    var environment = ProcessInfo.processInfo.environment
    environment["FERRY_SAMPLES"] = packageRoot.appendingPathComponent("samples/crm").path
    return try runTool(ferryBinary.path, arguments, in: directory, environment: environment)
}

/// A fresh folder, removed after `body`.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-cli-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Builds the sample local CRM database at `path`.
func buildSampleLocal(at path: URL) throws {
    try SampleCRM(folder: packageRoot.appendingPathComponent("samples/crm").path).build(.local, at: path.path)
}

/// Exports the sample local CRM into `directory/changeset` and returns its path.
func exportSample(in directory: URL, name: String = "changeset") throws -> URL {
    let db = directory.appendingPathComponent("source.db")
    if !FileManager.default.fileExists(atPath: db.path) { try buildSampleLocal(at: db) }
    let out = directory.appendingPathComponent(name)
    let result = try ferry(["export", "--db", db.path, "--out", out.path, "--quiet"])
    #expect(result.status == 0, "export failed: \(result.stderr)")
    return out
}

func fileBytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

/// gzip-compresses `text` with the system gzip (a real peer, not Ferry's own writer).
func gzip(_ text: String, to url: URL) throws {
    let raw = url.deletingPathExtension()
    try Data(text.utf8).write(to: raw)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-f", "-n", raw.path]
    try process.run()
    process.waitUntilExit()
}

func sha256sum(_ url: URL) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [url.path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}

/// A SQLite file built (or changed) by SQL, for shapes the sample CRM does not have.
func database(_ path: URL, _ sql: String) throws {
    let database = try SQLiteDatabase(path: path.path, mode: .readWriteCreate)
    try database.execute(sql)
}

/// The first column of the first row of a query on a SQLite file.
func scalar(_ path: URL, _ sql: String) throws -> Value? {
    try SQLiteDatabase(path: path.path, mode: .readOnly).scalar(sql)
}

/// `ferry export --db SOURCE --out DIRECTORY/cs [--profile PROFILE]`, expected to succeed.
func exportChangeset(_ source: URL, in directory: URL, profile: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
    let changeset = directory.appendingPathComponent("cs")
    let result = try ferry(["export", "--db", source.path, "--out", changeset.path, "--quiet"] + (profile.map { ["--profile", $0.path] } ?? []))
    #expect(result.status == 0, "export failed: \(result.stderr)", sourceLocation: sourceLocation)
    return changeset
}

/// Two SQLite files in `directory` with one schema: the source holding `source`'s rows and
/// the target holding `target`'s (each SQL run after the schema).
func sourceAndTarget(in directory: URL, _ sourceName: String, _ targetName: String, schema: String, source: String, target: String) throws -> (source: URL, target: URL) {
    let paths = (directory.appendingPathComponent(sourceName), directory.appendingPathComponent(targetName))
    try database(paths.0, schema + source)
    try database(paths.1, schema + target)
    return paths
}
