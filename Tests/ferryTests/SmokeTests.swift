import Foundation
import Testing

@Suite struct DemoCommandTests {
    @Test func demoRunsTheFieldScenarioEndToEnd() throws {
        let result = try ferry(["demo", "--quiet"])
        defer { removeDemoFolder(named: result.stdout) }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("no duplicates, no dangling foreign keys"))
        #expect(result.stdout.contains("the edit arrived"))
        #expect(result.stdout.contains("98 unchanged, 0 inserted, 0 updated"))
        #expect(result.stdout.contains("equals the cloud"))
    }
}

/// Removes the temporary folder a demo run without --work-dir made ("Files are in DIR"),
/// and only such a folder, so test runs leave nothing behind.
func removeDemoFolder(named output: String) {
    guard let range = output.range(of: #"Files are in (/[^;\n]+/ferry-demo-[0-9a-f]+)"#, options: .regularExpression) else { return }
    let folder = String(output[range].dropFirst("Files are in ".count))
    try? FileManager.default.removeItem(atPath: folder)
}
