import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 16: `import` and `replay` keep a sync book only in a prepared target or with --track.
@Suite struct TrackFlagTests {
    @Test(arguments: ["import", "replay"])
    func trackDecidesWhetherARestoreKeepsABook(command: String) throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try database(source, "CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE); INSERT INTO t VALUES ('1','a'),('2','b')")
            let out = try exportChangeset(source, in: directory)
            for track in [false, true] {
                let target = directory.appendingPathComponent("\(command)-\(track).db")
                let arguments = command == "import" ? ["import", out.path, "--db", target.path] : ["replay", out.path, "--db", target.path]
                let result = try ferry(arguments + (track ? ["--track"] : []))
                #expect(result.status == 0, "stderr: \(result.stderr)")
                let book = try scalar(target, "SELECT count(*) FROM sqlite_schema WHERE name = '_ferry_rows'")
                #expect(book == .integer(track ? 1 : 0), "\(command) \(track ? "--track" : ""): _ferry_rows \(String(describing: book))")
                if command == "import" {
                    #expect(result.stderr.contains(track ? "sync book: 2 entries written" : "sync book: none kept"), "stderr: \(result.stderr)")
                }
            }
        }
    }
}
