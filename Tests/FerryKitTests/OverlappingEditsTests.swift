import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 15, overlapping edits: a row changed on both sides is a conflict exactly once on
/// the side that sees both versions; once a policy settled it, the next exchange converges
/// and never raises it again on the side that settled it.
@Suite struct OverlappingEditsTests {
    static let schema = """
        CREATE TABLE accounts (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, updated_at INTEGER NOT NULL);
        """

    final class Peer {
        let name: String
        let store: Store
        let directory: URL
        /// The application's SQL, which both stores take as written.
        let execute: (String) throws -> Void
        let query: (String) throws -> [[Value]]

        /// A SQLite file in `directory`, or the PostgreSQL database at `postgres`.
        init(_ name: String, in directory: URL, postgres: String? = nil) throws {
            self.name = name
            self.directory = directory
            if let postgres {
                let cloud = try PostgresStore(uri: postgres)
                store = cloud
                execute = { try cloud.connection.execute($0) }
                query = { try cloud.connection.rows($0) }
            } else {
                let local = try SQLiteStore(path: directory.appendingPathComponent("\(name).db").path, mode: .readWriteCreate)
                store = local
                execute = { try local.database.execute($0) }
                query = { try local.database.rows($0) }
            }
            try execute(OverlappingEditsTests.schema)
            _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
        }

        func export(since: String? = nil) throws -> String {
            try Exporter(store: store, options: ExportOptions(since: since))
                .export(to: directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))").path).path
        }

        /// Imports `changeset`; returns the conflicts it reported.
        @discardableResult
        func take(_ changeset: String, _ policy: ConflictPolicy) throws -> [JSONValue] {
            let conflicts = directory.appendingPathComponent("conflicts-\(UUID().uuidString.prefix(8)).ndjson").path
            let report = try Importer(store: store, changeset: try ChangesetReader(path: changeset), options: ImportOptions(
                rejectsPath: conflicts + ".rejects", conflictsPath: conflicts, onConflict: policy)).run()
            #expect(report.totals.rejected == 0, "\(report.table())")
            let text = (try? String(contentsOfFile: conflicts, encoding: .utf8)) ?? ""
            return try text.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
        }

        func set(_ email: String, name: String, at time: Int) throws {
            try execute("UPDATE accounts SET name = '\(name)', updated_at = \(time) WHERE email = '\(email)'")
        }

        func delete(_ email: String) throws {
            try execute("DELETE FROM accounts WHERE email = '\(email)'")
        }

        func name(_ email: String) throws -> String? {
            try query("SELECT name FROM accounts WHERE email = '\(email)'").first?.first?.string
        }

        func rows() throws -> [String] {
            try query("SELECT email, name, updated_at FROM accounts ORDER BY email").map { $0.map(\.description).joined(separator: " ") }
        }
    }

    /// Two prepared stores holding the same account, as after one exchange.
    /// `b` is the PostgreSQL database at `cloud` when one is given.
    static func pair(in directory: URL, cloud: String? = nil) throws -> (Peer, Peer) {
        let a = try Peer("a", in: directory)
        let b = try Peer("b", in: directory, postgres: cloud)
        try a.execute("INSERT INTO accounts VALUES ('a1', 'ann@x', 'Ann', 1)")
        try b.take(try a.export(), .defer)
        return (a, b)
    }

    @Test(arguments: [ConflictPolicy.sourceWins, .targetWins, .newerWins])
    func aSettledConflictIsRaisedOnceAndTheNextExchangeConverges(policy: ConflictPolicy) throws {
        try withTemporaryDirectory { directory in
            let (a, b) = try Self.pair(in: directory)
            try a.set("ann@x", name: "Ann from A", at: 2)
            try b.set("ann@x", name: "Ann from B", at: 3)
            let fromA = try a.export()
            let conflicts = try b.take(fromA, policy)
            #expect(conflicts.count == 1, "the overlapping edit is one conflict")
            #expect(conflicts.first?["kind"]?.stringValue == "update")
            let settled = try #require(try b.name("ann@x"))
            #expect(settled == (policy == .sourceWins ? "Ann from A" : "Ann from B"))

            // The settling side's version goes back: the other side takes it, no conflict.
            #expect(try a.take(try b.export(), policy).isEmpty, "not raised again on the other side")
            #expect(try a.rows() == b.rows())
            #expect(try a.name("ann@x") == settled)
            // A's stale changeset, written before it heard of the settlement, arrives again.
            #expect(try b.take(fromA, policy).isEmpty, "never raised again on the side that settled it")
            #expect(try b.name("ann@x") == settled)
            // And the next round trip changes nothing.
            #expect(try b.take(try a.export(), policy).isEmpty)
            #expect(try a.take(try b.export(), policy).isEmpty)
            #expect(try a.rows() == b.rows())
        }
    }

    /// Both export before either imports: each side sees the other's version once. With the
    /// same policy on both sides, the next exchange converges without another conflict
    /// (for source-wins and target-wins, which pick opposite versions on the two sides, the
    /// smaller hash of the two settled versions wins on both).
    @Test(arguments: [ConflictPolicy.sourceWins, .targetWins, .newerWins])
    func crossingEditsAreOneConflictOnEachSideThenConverge(policy: ConflictPolicy) throws {
        try withTemporaryDirectory { directory in
            let (a, b) = try Self.pair(in: directory)
            try a.set("ann@x", name: "Ann from A", at: 2)
            try b.set("ann@x", name: "Ann from B", at: 3)
            let (fromA, fromB) = (try a.export(), try b.export())
            #expect(try b.take(fromA, policy).count == 1)
            #expect(try a.take(fromB, policy).count == 1)
            if policy == .newerWins {
                #expect(try a.name("ann@x") == "Ann from B" && b.name("ann@x") == "Ann from B", "both settle on the newer edit at once")
            }
            let (nextA, nextB) = (try a.export(), try b.export())
            #expect(try b.take(nextA, policy).isEmpty, "settled: not raised again")
            #expect(try a.take(nextB, policy).isEmpty, "settled: not raised again")
            #expect(try a.rows() == b.rows(), "converged")
            #expect(try b.take(try a.export(), policy).isEmpty)
            #expect(try a.take(try b.export(), policy).isEmpty)
            #expect(try a.rows() == b.rows())
        }
    }

    /// A deferred conflict is unsettled: the target keeps its version, and the conflict comes
    /// back with the next changeset that carries the other version, until a policy settles it.
    @Test func aDeferredConflictStaysUntilSettled() throws {
        try withTemporaryDirectory { directory in
            let (a, b) = try Self.pair(in: directory)
            try a.set("ann@x", name: "Ann from A", at: 2)
            try b.set("ann@x", name: "Ann from B", at: 3)
            let fromA = try a.export()
            #expect(try b.take(fromA, .defer).count == 1)
            #expect(try b.name("ann@x") == "Ann from B")
            #expect(try b.take(fromA, .defer).count == 1, "still unsettled")
            #expect(try b.take(fromA, .sourceWins).count == 1, "settled now")
            #expect(try b.name("ann@x") == "Ann from A")
            #expect(try a.take(try b.export(), .defer).isEmpty)
            #expect(try a.rows() == b.rows())
        }
    }

    /// An update on one side against a delete on the other: one conflict with both versions
    /// where it is seen; after settling, both sides agree on the next exchange.
    @Test(arguments: [ConflictPolicy.sourceWins, .targetWins, .newerWins])
    func anUpdateAgainstADeleteSettlesAndConverges(policy: ConflictPolicy) throws {
        try withTemporaryDirectory { directory in
            let (a, b) = try Self.pair(in: directory)
            try a.set("ann@x", name: "Ann from A", at: 2)
            try b.delete("ann@x")
            let conflicts = try b.take(try a.export(), policy)
            #expect(conflicts.count == 1)
            #expect(conflicts.first?["kind"]?.stringValue == "deleted-here")
            #expect(conflicts.first?["incoming"] != nil, "the conflict shows the incoming version")
            #expect(try a.take(try b.export(), policy).isEmpty, "not raised again on the other side")
            #expect(try b.take(try a.export(), policy).isEmpty)
            let (rowsA, rowsB) = (try a.rows(), try b.rows())
            #expect(rowsA == rowsB, "converged: \(rowsA) against \(rowsB)")
        }
    }

    /// Randomized, with a model: stores edit the same rows (name and updated_at from one
    /// clock, so no two edits tie) and settle every conflict with newer-wins. Whatever the
    /// schedule, after a final exchange every store holds, for each row, its latest edit,
    /// and one more exchange raises no conflict. Two peers, and a hub with three spokes.
    @Test(arguments: [2, 4])
    func newerWinsConvergesOnTheLatestEditOnRandomSchedules(peers count: Int) throws {
        try Self.newerWinsConverges(peers: count, seedBase: 0x0E4E_0000, defaultCount: 60)
    }

    /// The schedules above; the hub is the PostgreSQL database at `cloud` when one is given.
    static func newerWinsConverges(peers count: Int, seedBase: UInt64, defaultCount: Int, cloud: (() throws -> String)? = nil) throws {
        let environment = ProcessInfo.processInfo.environment
        let schedules = environment["FERRY_CONVERGENCE_SCHEDULES"].flatMap(Int.init).map { max(1, $0 / 5) } ?? defaultCount
        for seed in (0..<UInt64(schedules)).map({ seedBase + $0 * 7 + UInt64(count) }) {
            try withTemporaryDirectory { directory in
                var random = SplitMix64(seed: seed)
                let peers = try (0..<count).map { try Peer("s\($0)", in: directory, postgres: $0 == 0 ? cloud?() : nil) }
                let hub = peers[0]
                let emails = (0..<4).map { "u\($0)@x" }
                for (index, email) in emails.enumerated() {
                    try hub.execute("INSERT INTO accounts VALUES ('u\(index)', '\(email)', 'first', 0)")
                }
                for spoke in peers.dropFirst() { try spoke.take(try hub.export(), .newerWins) }
                var latest = Dictionary(uniqueKeysWithValues: emails.map { ($0, "first") })
                var clock = 0
                var log: [String] = []
                for _ in 0..<Int.random(in: 3...8, using: &random) {
                    for peer in peers where Bool.random(using: &random) {
                        clock += 1
                        let email = emails.randomElement(using: &random)!
                        try peer.set(email, name: "\(peer.name)@\(clock)", at: clock)
                        latest[email] = "\(peer.name)@\(clock)"
                        log.append("\(peer.name) sets \(email) at \(clock)")
                    }
                    let spoke = peers.dropFirst().randomElement(using: &random)!
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0:
                        log.append("\(spoke.name) → \(hub.name)")
                        try hub.take(try spoke.export(), .newerWins)
                    case 1:
                        log.append("\(hub.name) → \(spoke.name)")
                        try spoke.take(try hub.export(), .newerWins)
                    default:
                        log.append("\(hub.name) ⇄ \(spoke.name)")
                        let (up, down) = (try spoke.export(), try hub.export())
                        try hub.take(up, .newerWins)
                        try spoke.take(down, .newerWins)
                    }
                }
                for spoke in peers.dropFirst() { try hub.take(try spoke.export(), .newerWins) }
                for spoke in peers.dropFirst() { try spoke.take(try hub.export(), .newerWins) }
                var again = 0
                for spoke in peers.dropFirst() {
                    again += try hub.take(try spoke.export(), .newerWins).count
                    again += try spoke.take(try hub.export(), .newerWins).count
                }
                #expect(again == 0, "seed \(seed): settled conflicts came back\n\(log.joined(separator: "\n"))")
                for peer in peers {
                    for email in emails {
                        let held = try peer.name(email)
                        #expect(held == latest[email], "seed \(seed): \(peer.name) holds \(held ?? "nothing") for \(email), the latest edit is \(latest[email]!)\n\(log.joined(separator: "\n"))")
                    }
                }
            }
        }
    }
}

/// The same overlapping edits with the cloud on PostgreSQL: b (of two) or the hub.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresOverlappingEditsTests {
    @Test(arguments: [ConflictPolicy.sourceWins, .targetWins, .newerWins])
    func crossingEditsSettleAndConvergeWithTheCloudOnPostgres(policy: ConflictPolicy) throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uri in
                let (a, b) = try OverlappingEditsTests.pair(in: directory, cloud: uri)
                try a.set("ann@x", name: "Ann from A", at: 2)
                try b.set("ann@x", name: "Ann from B", at: 3)
                let (fromA, fromB) = (try a.export(), try b.export())
                #expect(try b.take(fromA, policy).count == 1)
                #expect(try a.take(fromB, policy).count == 1)
                let (nextA, nextB) = (try a.export(), try b.export())
                #expect(try b.take(nextA, policy).isEmpty, "settled: not raised again")
                #expect(try a.take(nextB, policy).isEmpty, "settled: not raised again")
                #expect(try a.rows() == b.rows(), "converged")
                // An update against a delete, across the two stores.
                try a.set("ann@x", name: "Ann again", at: 4)
                try b.delete("ann@x")
                #expect(try b.take(try a.export(), policy).first?["kind"]?.stringValue == "deleted-here")
                #expect(try a.take(try b.export(), policy).isEmpty)
                #expect(try b.take(try a.export(), policy).isEmpty)
                #expect(try a.rows() == b.rows())
            }
        }
    }

    @Test(arguments: [2, 4])
    func newerWinsConvergesWithAPostgresHub(peers count: Int) throws {
        // A database per schedule: the hub's tables are made anew each time.
        var databases: [() -> Void] = []
        defer { databases.forEach { $0() } }
        try OverlappingEditsTests.newerWinsConverges(peers: count, seedBase: 0x9E4E_0000, defaultCount: 25) {
            try PostgresTestServer.newDatabase(dropping: &databases)
        }
    }
}
