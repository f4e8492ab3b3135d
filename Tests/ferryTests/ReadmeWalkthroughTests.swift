import Foundation
import Testing

/// The README's walk-throughs are copy-paste sessions: each `sh` block after a
/// `<!-- walk-through: NAME -->` line runs here as written (bash, stop at the first failing
/// line), with the built `ferry` first on the PATH, in an empty folder.
@Suite struct ReadmeWalkthroughTests {
    static func walkthroughs() throws -> [String: String] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var found: [String: String] = [:]
        let parts = readme.components(separatedBy: "<!-- walk-through: ")
        for part in parts.dropFirst() {
            guard let nameEnd = part.range(of: " -->"), let start = part.range(of: "```sh\n"),
                  let end = part.range(of: "\n```", range: start.upperBound..<part.endIndex) else { continue }
            found[String(part[..<nameEnd.lowerBound])] = String(part[start.upperBound..<end.lowerBound])
        }
        return found
    }

    func run(_ name: String) throws -> (CommandResult, URL) {
        let script = try #require(try Self.walkthroughs()[name], "README has no walk-through \"\(name)\"")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-readme-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = ferryBinary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["FERRY_SAMPLES"] = packageRoot.appendingPathComponent("samples/crm").path
        let result = try runTool("/bin/bash", ["-e", "-o", "pipefail", "-c", script], in: directory, environment: environment)
        return (result, directory)
    }

    @Test func theSupportTicketSessionRunsAsWritten() throws {
        let (result, directory) = try run("support ticket")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        #expect(result.stdout.contains("10|10"), "\(result.stdout)")
        #expect(result.stdout.contains("\n8\n"), "the records the company's absence is checked in: \(result.stdout)")
        #expect(result.stdout.contains("redacted   users.email=hash"), "\(result.stdout)")
    }

    @Test func theAirGapSessionRunsAsWritten() throws {
        let (result, directory) = try run("air gap")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        #expect(result.stdout.contains("signed by ops laptop"), "\(result.stdout)")
        #expect(result.stderr.contains("error: "), "the changed byte was refused with a message: \(result.stderr)")
        #expect(try rowCount(directory.appendingPathComponent("far-side.db"), "users") == 10)
    }
}
