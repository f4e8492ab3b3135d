import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres

/// A PostgreSQL import looks up a batch's rows at once (`TableAccess.prefetch`) instead of a
/// round trip per lookup. Its answers must be the ones the lookups give, through every write
/// the batch makes: the model here is the same import with prefetching off.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresPrefetchTests {
    /// Values that collide within a batch (a row inserted, then matched by the next record;
    /// a natural key moved away, then asked for), that PostgreSQL's array syntax must quote
    /// (quotes, backslashes, commas, braces, the word NULL), and that a column's type reads
    /// otherwise (a uuid in capitals, text that is no uuid, a number written as text).
    private static let emails = [#"a"b@x"#, #"back\slash@x"#, "comma,@x", "{brace}@x", "sp ace@x", "UPPER@X", "upper@x", "NULL", "", "é@x", "x@y"]
        + (0..<25).map { "person\($0)@example.com" }
    private static let refs = ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "not-a-uuid",
                               "b1ffcd88-8d1a-4ef8-bb6d-6bb9bd380a12", "c2aade77-7e2b-4ef8-bb6d-6bb9bd380a13"]

    private func scenario(seed: UInt64, prefetching: Bool, in directory: URL) throws -> (totals: [Int], rows: [[Value]]) {
        try PostgresTestServer.withDatabase { uri in
            var random = SplitMix64(seed: seed)
            func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
            func maybe(_ chance: Double) -> Bool { Double.random(in: 0..<1, using: &random) < chance }
            let cloudIds = (0..<30).map { "cloud-\($0)" }
            func sqlText(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

            let postgres = try PostgresStore(uri: uri)
            postgres.prefetching = prefetching
            try postgres.connection.execute("""
                CREATE TABLE people (id text PRIMARY KEY, "cloudId" text UNIQUE, email text UNIQUE, ref uuid UNIQUE, code bigint UNIQUE,
                                     name text, mentor text REFERENCES people (email) ON UPDATE CASCADE);
                """)
            var targetRows: [String] = []
            for index in 0..<60 {
                let id = maybe(0.2) ? "s\(index * 7)" : "t\(index)"
                targetRows.append("(\(sqlText(id)), \(maybe(0.6) ? sqlText(pick(cloudIds)) : "NULL"), \(sqlText(pick(Self.emails))), "
                                  + "\(maybe(0.2) ? sqlText(pick(Array(Self.refs.prefix(2) + Self.refs.suffix(2)))) : "NULL"), \(maybe(0.5) ? String(Int.random(in: 0..<80, using: &random)) : "NULL"), "
                                  + "\(sqlText("target \(index)")), NULL)")
            }
            try postgres.connection.execute("INSERT INTO people VALUES \(targetRows.joined(separator: ", ")) ON CONFLICT DO NOTHING")

            let sourcePath = directory.appendingPathComponent("source-\(seed)-\(prefetching).db").path
            let source = try SQLiteDatabase(path: sourcePath, mode: .readWriteCreate)
            try source.execute("CREATE TABLE people (id TEXT PRIMARY KEY, cloudId TEXT, email TEXT, ref TEXT, code, name TEXT, mentor TEXT)")
            let insert = try source.prepare("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?)")
            for index in 0..<600 {
                let code: Value = maybe(0.5) ? .null : maybe(0.8) ? .integer(Int64.random(in: 0..<80, using: &random)) : .text(Array(pick(["7", "x", "12"]).utf8))
                try insert.bind([.text(Array("s\(index)".utf8)), maybe(0.7) ? .text(Array(pick(cloudIds).utf8)) : .null, .text(Array(pick(Self.emails).utf8)),
                                 maybe(0.3) ? .text(Array(pick(Self.refs).utf8)) : .null, code, .text(Array("source \(index % 40)".utf8)),
                                 maybe(0.2) ? .text(Array(pick(Self.emails).utf8)) : .null])
                try insert.step()
                insert.reset()
            }
            let changeset = try exportStore(try SQLiteStore(path: sourcePath, mode: .readOnly), to: directory, name: "changeset-\(seed)-\(prefetching)")
            let policy: ConflictPolicy = seed % 2 == 0 ? .sourceWins : .defer
            let report = try importChangeset(changeset, into: postgres, in: directory, options: ImportOptions(onConflict: policy))
            let t = report.totals
            let result = try postgres.connection.query(#"SELECT id, "cloudId", email, ref::text, code, name, mentor FROM people ORDER BY id COLLATE "C""#)
            let rows = (0..<result.rowCount).map { row in (0..<7).map { result.value(row: row, column: $0) } }
            return ([t.inserted, t.updated, t.merged, t.unchanged, t.conflicts, t.rejected], rows)
        }
    }

    @Test(arguments: 1...8)
    func prefetchedLookupsAnswerAsTheServerWould(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let asked = try scenario(seed: seed, prefetching: false, in: directory)
            let prefetched = try scenario(seed: seed, prefetching: true, in: directory)
            #expect(prefetched.totals == asked.totals, "seed \(seed): inserted, updated, merged, unchanged, conflicts, rejected")
            #expect(prefetched.rows.count == asked.rows.count)
            for (a, b) in zip(prefetched.rows, asked.rows) where a != b {
                Issue.record("seed \(seed): \(a) with prefetching, \(b) without")
                break
            }
            // The scenario is not empty: records of every kind happened.
            #expect(asked.totals[0] > 0 && asked.totals[5] > 0, "\(asked.totals)")
        }
    }
}
