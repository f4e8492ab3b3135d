import Foundation
import Testing
@testable import FerryKit

/// The PostgreSQL server the tests run against: the one `scripts/test` started
/// (`FERRY_TEST_POSTGRES`), else one this test process starts with `scripts/pg-server` and
/// stops at exit. Without server binaries the PostgreSQL tests are skipped, loudly; on CI
/// (`CI=true`) they run and fail instead.
enum PostgresTestServer {
    static let uri: String? = {
        if let given = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"], !given.isEmpty { return given }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/pg-server").standardizedFileURL.path
        let folder = "/tmp/ferry-pg-\(getpid())"
        guard let started = try? run(script, ["start", folder]), !started.isEmpty else {
            FileHandle.standardError.write(Data("WARNING: no PostgreSQL server could be started (scripts/pg-server); the PostgreSQL tests are SKIPPED.\n".utf8))
            return nil
        }
        stopFolder = folder
        stopScript = script
        atexit { if let folder = PostgresTestServer.stopFolder, let script = PostgresTestServer.stopScript { _ = try? PostgresTestServer.run(script, ["stop", folder]) } }
        return started
    }()

    nonisolated(unsafe) private static var stopFolder: String?
    nonisolated(unsafe) private static var stopScript: String?

    /// Whether the PostgreSQL tests run: a server is at hand, or CI demands them.
    static var enabled: Bool { uri != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    private static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FerryError(.io, "\(executable) failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A new, empty database on the server for `body` (its URI), dropped afterwards.
    static func withDatabase<T>(_ body: (String) throws -> T) throws -> T {
        let server = try #require(uri, "CI=true: the PostgreSQL tests must run, and no server is at hand")
        let name = "ferry_test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try PostgresConnection(uri: server)
        try admin.execute("CREATE DATABASE \(Identifier.quote(name))")
        defer { try? admin.execute("DROP DATABASE IF EXISTS \(Identifier.quote(name)) WITH (FORCE)") }
        return try body(server.replacingOccurrences(of: "///postgres?", with: "///\(name)?"))
    }
}
