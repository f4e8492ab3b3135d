import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

@Suite struct ProgressLineTests {
    @Test func aRunningLineShowsRowsDoneOfTotalTheRateAndTimeLeft() {
        #expect(ProgressLine.running(task: "import customers", done: 250_000, total: 1_000_000, elapsed: 10)
                == "import customers: 250k/1000k rows  25k rows/s  30 s left")
    }

    @Test func withoutATotalOrBeforeTheFirstRowsItSaysOnlyWhatItKnows() {
        #expect(ProgressLine.running(task: "export users", done: 0, total: 42, elapsed: 0) == "export users: 0/42 rows")
        #expect(ProgressLine.running(task: "verify", done: 5_000, total: nil, elapsed: 2) == "verify: 5000 rows  2500 rows/s")
    }

    /// A manifest may claim up to 2^53 rows; a slow first row must not turn that into a trap.
    @Test func aHugeTotalOrATinyElapsedTimeNeverTraps() {
        #expect(ProgressLine.running(task: "import users", done: 1, total: 1 << 53, elapsed: 5_000) == "import users: 1/9007199254M rows  0 rows/s")
        #expect(ProgressLine.finished(task: "import users", done: 1, elapsed: .leastNonzeroMagnitude) == "import users: 1 row in 0.00 s")
    }

    @Test func theSummaryLineGivesRowsTimeAndRate() {
        #expect(ProgressLine.finished(task: "export customers", done: 1_500_000, elapsed: 7.5) == "export customers: 1500k rows in 7.50 s 200k rows/s")
        #expect(ProgressLine.count(12_345_678) == "12M")
    }
}
