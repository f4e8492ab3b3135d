import FerryKit
import FerrySQLite
import FerryPostgres
import Foundation

/// The bundled field scenario (`samples/crm`): one CRM schema, a local and a cloud database.
public struct SampleCRM {
    public enum Side: String, Sendable {
        case local
        case cloud
    }

    public let folder: String

    /// The sample's tables, parents first, and the local side's row counts.
    public static let tables = ["roles", "users", "permissions", "products", "customers", "proposals", "content"]
    public static let localCounts = ["users": 10, "roles": 6, "permissions": 61, "products": 6, "customers": 5, "proposals": 5, "content": 5]

    public init(folder: String) {
        self.folder = folder
    }

    /// Finds `samples/crm`: `$FERRY_SAMPLES`, then the current folder and its parents, then
    /// beside the binary (a packaged ferry), then the source checkout this binary was built from.
    public static func locate() throws -> SampleCRM {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["FERRY_SAMPLES"] { candidates.append(env) }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 {
            candidates.append(directory.appendingPathComponent("samples/crm").path)
            directory.deleteLastPathComponent()
        }
        // A packaged ferry (scripts/package) carries samples/crm beside the binary.
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("samples/crm").path)
        // Sources/FerryStores/SampleCRM.swift → the package root.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent("samples/crm").path)
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate + "/schema.sql") {
            return SampleCRM(folder: candidate)
        }
        throw FerryError(.io, "cannot find the sample CRM (samples/crm/schema.sql). Run from the Ferry checkout, or set FERRY_SAMPLES to the samples/crm folder.")
    }

    /// Builds one side's database at `path` from the schema and data files.
    public func build(_ side: Side, at path: String) throws {
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        for file in ["schema.sql", "\(side.rawValue).sql"] {
            let sql: String
            do {
                sql = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            } catch {
                throw FerryError(.io, "cannot read \(folder)/\(file): \(error.localizedDescription)")
            }
            try database.execute(sql)
        }
    }

    public var profilePath: String { folder + "/profile.json" }
}
