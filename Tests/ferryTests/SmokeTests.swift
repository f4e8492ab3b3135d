import Foundation
import Testing

@Suite struct DemoCommandTests {
    @Test func demoRunsTheFieldScenarioEndToEnd() throws {
        let result = try ferry(["demo", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("no duplicates, no dangling foreign keys"))
        #expect(result.stdout.contains("the edit arrived"))
        #expect(result.stdout.contains("98 unchanged, 0 inserted, 0 updated"))
        #expect(result.stdout.contains("equals the cloud"))
    }
}
