import Foundation
import Testing

@Suite struct DemoCommandTests {
    @Test func demoRunsEndToEndAndFindsTheReplayIdentical() throws {
        let result = try ferry(["demo", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("identical: 7 tables, 98 rows"))
    }
}
