import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 15: two prepared stores that each edit only their own rows, exchanging changesets
/// on a random schedule (A→B, B→A, or both export before either imports; full or
/// incremental), must end equal to a model of every edit, with no conflict and no reject.
/// Seeded: a failure prints its seed, and FERRY_CONVERGENCE_SEED replays that one.
/// FERRY_CONVERGENCE_SCHEDULES sets how many (default 500, about a minute in a debug build).
@Suite struct ConvergenceTests {
    static let schema = """
        CREATE TABLE customers (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
        CREATE TABLE orders (id TEXT PRIMARY KEY, customerId TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                             ref TEXT NOT NULL, total INTEGER NOT NULL, UNIQUE (customerId, ref));
        CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, stars INTEGER NOT NULL);
        """

    /// The same shape as Django or Rails make it: integer ids each store hands out itself,
    /// so one logical row has different ids in different stores, and an order's natural key
    /// (customer_id, ref) holds one of them.
    static let integerIdSchema = """
        CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customerId INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                             ref TEXT NOT NULL, total INTEGER NOT NULL, UNIQUE (customerId, ref));
        CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, stars INTEGER NOT NULL);
        """

    /// Set per test: whether peers use `integerIdSchema`.
    @TaskLocal static var integerIds = false
    /// Set per test, with `integerIds`: every store hands out 1, 2, 3… and, without
    /// AUTOINCREMENT, hands a deleted highest row's id to its next row, so the ids of rows
    /// made apart collide across stores and within one.
    @TaskLocal static var idsFromOne = false

    /// What both stores must hold: customers by email, orders by (email, ref).
    struct Model: Equatable {
        var customers: [String: String] = [:]
        var orders: [String: Int64] = [:] // "email|ref" → total
        /// notes have no natural key: prepare gives the table a cloudId, and notes written
        /// after prepare get theirs from the export's book. "body" → stars.
        var notes: [String: Int64] = [:]
    }

    final class Peer {
        let name: String
        let store: SQLiteStore
        var lastExport: String?
        var nextId = 0

        init(_ name: String, at path: String) throws {
            self.name = name
            store = try SQLiteStore(path: path, mode: .readWriteCreate)
            var schema = ConvergenceTests.integerIds ? ConvergenceTests.integerIdSchema : ConvergenceTests.schema
            if ConvergenceTests.idsFromOne { schema = schema.replacingOccurrences(of: " AUTOINCREMENT", with: "") }
            try store.database.execute(schema + "PRAGMA foreign_keys = ON;")
            // Each store hands out its own integer ids: start them apart, as stores that
            // grew apart are (`idsFromOne` tests the stores that did not).
            if ConvergenceTests.integerIds && !ConvergenceTests.idsFromOne {
                let offset = Int(name.unicodeScalars.first!.value) * 1000
                try store.database.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('customers', \(offset)), ('orders', \(offset))")
            }
            _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
        }

        func id() -> String {
            nextId += 1
            return "\(name)\(nextId)-\(UUID().uuidString.prefix(6))"
        }

        func state() throws -> Model {
            var model = Model()
            for row in try store.database.rows("SELECT email, name FROM customers") { model.customers[row[0].string!] = row[1].string! }
            for row in try store.database.rows("SELECT c.email || '|' || o.ref, o.total FROM orders o JOIN customers c ON c.id = o.customerId") {
                if case .integer(let total) = row[1] { model.orders[row[0].string!] = total }
            }
            for row in try store.database.rows("SELECT body, stars FROM notes") {
                if case .integer(let stars) = row[1] {
                    // Two rows with one body would be a duplicate: make it visible.
                    model.notes[row[0].string!] = model.notes[row[0].string!] == nil ? stars : -1
                }
            }
            return model
        }
    }

    /// One random edit by `peer` to a row it owns (emails and refs carry the owner's name).
    static func edit(_ peer: Peer, model: inout Model, random: inout SplitMix64) throws {
        let mine = model.customers.keys.filter { $0.hasPrefix(peer.name + "-") }.sorted()
        let db = peer.store.database
        var choice = Int.random(in: 0..<9, using: &random)
        let myNotes = model.notes.keys.filter { $0.hasPrefix(peer.name + "-") }.sorted()
        if choice == 1 && mine.isEmpty { choice = 0 }
        switch choice {
        case 0:
            let email = "\(peer.name)-\(peer.nextId + 1)@x"
            let name = "n\(Int.random(in: 0..<1000, using: &random))"
            if integerIds { _ = peer.id() }
            try db.execute(integerIds ? "INSERT INTO customers (email, name) VALUES ('\(email)', '\(name)')"
                                      : "INSERT INTO customers VALUES ('\(peer.id())', '\(email)', '\(name)')")
            model.customers[email] = name
        case 1:
            let email = mine.randomElement(using: &random)!
            let name = "n\(Int.random(in: 0..<1000, using: &random))"
            try db.execute("UPDATE customers SET name = '\(name)' WHERE email = '\(email)'")
            model.customers[email] = name
        case 2:
            guard let email = mine.randomElement(using: &random) else { return }
            try db.execute("DELETE FROM customers WHERE email = '\(email)'") // cascades to the orders
            model.customers[email] = nil
            for key in model.orders.keys where key.hasPrefix(email + "|") { model.orders[key] = nil }
        case 3:
            guard let email = mine.randomElement(using: &random) else { return }
            let ref = "r\(Int.random(in: 0..<5, using: &random))"
            guard model.orders[email + "|" + ref] == nil else { return }
            let total = Int64.random(in: 1...999, using: &random)
            let id = integerIds ? "NULL" : "'\(peer.id())'"
            try db.execute("INSERT INTO orders (id, customerId, ref, total) VALUES (\(id), (SELECT id FROM customers WHERE email = '\(email)'), '\(ref)', \(total))")
            model.orders[email + "|" + ref] = total
        case 4:
            guard let key = model.orders.keys.filter({ $0.hasPrefix(peer.name + "-") }).sorted().randomElement(using: &random) else { return }
            let parts = key.split(separator: "|").map(String.init)
            let total = Int64.random(in: 1...999, using: &random)
            try db.execute("UPDATE orders SET total = \(total) WHERE ref = '\(parts[1])' AND customerId = (SELECT id FROM customers WHERE email = '\(parts[0])')")
            model.orders[key] = total
        case 5:
            guard let key = model.orders.keys.filter({ $0.hasPrefix(peer.name + "-") }).sorted().randomElement(using: &random) else { return }
            let parts = key.split(separator: "|").map(String.init)
            try db.execute("DELETE FROM orders WHERE ref = '\(parts[1])' AND customerId = (SELECT id FROM customers WHERE email = '\(parts[0])')")
            model.orders[key] = nil
        case 6:
            // An integer id the database hands out: both sides make the same ids.
            let body = "\(peer.name)-note-\(peer.id())"
            let stars = Int64.random(in: 1...5, using: &random)
            try db.execute("INSERT INTO notes (body, stars) VALUES ('\(body)', \(stars))")
            model.notes[body] = stars
        case 7:
            guard let body = myNotes.randomElement(using: &random) else { return }
            let stars = Int64.random(in: 1...5, using: &random)
            try db.execute("UPDATE notes SET stars = \(stars) WHERE body = '\(body)'")
            model.notes[body] = stars
        default:
            guard let body = myNotes.randomElement(using: &random) else { return }
            try db.execute("DELETE FROM notes WHERE body = '\(body)'")
            model.notes[body] = nil
        }
    }

    static func export(_ peer: Peer, incremental: Bool, to path: String) throws -> String {
        let options = ExportOptions(incremental: incremental && peer.lastExport != nil)
        let summary = try Exporter(store: peer.store, options: options).export(to: path)
        peer.lastExport = summary.path
        return summary.path
    }

    static func apply(_ changeset: String, to peer: Peer, directory: URL, log: inout [String]) throws {
        if ProcessInfo.processInfo.environment["FERRY_CONVERGENCE_TRACE"] != nil {
            let reader = try ChangesetReader(path: changeset)
            for table in reader.manifest.tables {
                try reader.forEachRecord(in: table) { _, _, line in log.append("    \(table.name): \(String(decoding: line, as: UTF8.self).prefix(2000))") }
            }
        }
        let name = UUID().uuidString.prefix(8)
        let report = try Importer(store: peer.store, changeset: try ChangesetReader(path: changeset), options: ImportOptions(
            rejectsPath: directory.appendingPathComponent("rejects-\(name).ndjson").path,
            conflictsPath: directory.appendingPathComponent("conflicts-\(name).ndjson").path)).run()
        log.append("\((changeset as NSString).lastPathComponent) → \(peer.name): \(report.totals.pairs.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
        if report.totals.conflicts > 0 || report.totals.rejected > 0 {
            var files = [report.conflictsFile, report.rejectsFile].compactMap { $0 }.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
            if ProcessInfo.processInfo.environment["FERRY_CONVERGENCE_TRACE"] != nil {
                files += try peer.store.database.rows("SELECT t.name, rowKey, identity, hash, deleted FROM _ferry_rows JOIN _ferry_tables AS t ON t.id = tableId ORDER BY t.name, rowKey").map { "book: " + $0.map(\.description).joined(separator: " ") }
                files += try peer.store.database.rows("SELECT id, body, stars, cloudId FROM notes").map { "row: " + $0.map(\.description).joined(separator: " ") }
            }
            throw FerryError(.data, "conflicts or rejects where no edit overlaps:\n" + (log + files).joined(separator: "\n"))
        }
    }

    /// Runs one schedule; returns nil when both stores end equal to the model, else what differs.
    static func run(seed: UInt64, in directory: URL) throws -> String? {
        var random = SplitMix64(seed: seed)
        let a = try Peer("a", at: directory.appendingPathComponent("a.db").path)
        let b = try Peer("b", at: directory.appendingPathComponent("b.db").path)
        var model = Model()
        var log: [String] = []
        var exports = 0
        func path() -> String { exports += 1; return directory.appendingPathComponent("cs\(exports)").path }
        for round in 0..<Int.random(in: 3...7, using: &random) {
            for _ in 0..<Int.random(in: 1...4, using: &random) { try edit(a, model: &model, random: &random) }
            for _ in 0..<Int.random(in: 1...4, using: &random) { try edit(b, model: &model, random: &random) }
            let incremental = Bool.random(using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                log.append("round \(round): a → b\(incremental ? " (incremental)" : "")")
                try apply(export(a, incremental: incremental, to: path()), to: b, directory: directory, log: &log)
            case 1:
                log.append("round \(round): b → a\(incremental ? " (incremental)" : "")")
                try apply(export(b, incremental: incremental, to: path()), to: a, directory: directory, log: &log)
            default:
                log.append("round \(round): both export, then both import\(incremental ? " (incremental)" : "")")
                let fromA = try export(a, incremental: incremental, to: path())
                let fromB = try export(b, incremental: incremental, to: path())
                try apply(fromA, to: b, directory: directory, log: &log)
                try apply(fromB, to: a, directory: directory, log: &log)
            }
        }
        log.append("final: a → b, b → a (full)")
        try apply(export(a, incremental: false, to: path()), to: b, directory: directory, log: &log)
        try apply(export(b, incremental: false, to: path()), to: a, directory: directory, log: &log)
        let (stateA, stateB) = (try a.state(), try b.state())
        if stateA == model && stateB == model { return nil }
        return (["a differs: \(diff(stateA, model))", "b differs: \(diff(stateB, model))"] + log).joined(separator: "\n")
    }

    /// A hub (the cloud) and three spokes (local installs) that only talk to the hub, each
    /// owning its rows. The hub keeps one chain per spoke: its export to a spoke is
    /// `--since` the last changeset that spoke took from it, or full. Spokes export to the
    /// hub alone, incrementally or in full.
    static func runHub(seed: UInt64, in directory: URL) throws -> String? {
        var random = SplitMix64(seed: seed)
        let hub = try Peer("h", at: directory.appendingPathComponent("h.db").path)
        let spokes = try ["p", "q", "r"].map { try Peer($0, at: directory.appendingPathComponent("\($0).db").path) }
        var hubSent: [String: String] = [:] // spoke → id of the last hub changeset it applied
        var model = Model()
        var log: [String] = []
        var exports = 0
        func path() -> String { exports += 1; return directory.appendingPathComponent("cs\(exports)").path }
        func fromHub(to spoke: Peer, incremental: Bool) throws -> String {
            let since = incremental ? hubSent[spoke.name] : nil
            let summary = try Exporter(store: hub.store, options: ExportOptions(since: since)).export(to: path())
            return summary.path
        }
        func applyFromHub(_ changeset: String, to spoke: Peer) throws {
            try apply(changeset, to: spoke, directory: directory, log: &log)
            hubSent[spoke.name] = try ChangesetReader(path: changeset).manifest.changesetId
        }
        for round in 0..<Int.random(in: 4...10, using: &random) {
            for peer in [hub] + spokes where Bool.random(using: &random) {
                for _ in 0..<Int.random(in: 1...3, using: &random) { try edit(peer, model: &model, random: &random) }
            }
            let spoke = spokes.randomElement(using: &random)!
            let incremental = Bool.random(using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                log.append("round \(round): \(spoke.name) → h\(incremental ? " (incremental)" : "")")
                try apply(export(spoke, incremental: incremental, to: path()), to: hub, directory: directory, log: &log)
            case 1:
                log.append("round \(round): h → \(spoke.name)\(incremental ? " (since its last)" : "")")
                try applyFromHub(fromHub(to: spoke, incremental: incremental), to: spoke)
            default:
                log.append("round \(round): h and \(spoke.name) both export, then both import\(incremental ? " (incremental)" : "")")
                let up = try export(spoke, incremental: incremental, to: path())
                let down = try fromHub(to: spoke, incremental: incremental)
                try apply(up, to: hub, directory: directory, log: &log)
                try applyFromHub(down, to: spoke)
            }
        }
        log.append("final: every spoke → h, then h → every spoke (full)")
        for spoke in spokes { try apply(export(spoke, incremental: false, to: path()), to: hub, directory: directory, log: &log) }
        for spoke in spokes { try applyFromHub(fromHub(to: spoke, incremental: false), to: spoke) }
        var differences: [String] = []
        for peer in [hub] + spokes {
            let state = try peer.state()
            if state != model { differences.append("\(peer.name) differs: \(diff(state, model))") }
        }
        return differences.isEmpty ? nil : (differences + log).joined(separator: "\n")
    }

    static func diff(_ state: Model, _ model: Model) -> String {
        let customers = Set(state.customers.map { "\($0)=\($1)" }).symmetricDifference(model.customers.map { "\($0)=\($1)" })
        let orders = Set(state.orders.map { "\($0)=\($1)" }).symmetricDifference(model.orders.map { "\($0)=\($1)" })
        let notes = Set(state.notes.map { "\($0)=\($1)" }).symmetricDifference(model.notes.map { "\($0)=\($1)" })
        return "customers \(customers.sorted()), orders \(orders.sorted()), notes \(notes.sorted())"
    }

    static func seeds(base: UInt64, defaultCount: Int) -> [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        return environment["FERRY_CONVERGENCE_SEED"].flatMap(UInt64.init).map { [$0] }
            ?? (0..<UInt64(environment["FERRY_CONVERGENCE_SCHEDULES"].flatMap(Int.init) ?? defaultCount)).map { base + $0 }
    }

    /// Runs `schedule` for each seed, recording every one whose stores miss the model.
    static func check(base: UInt64, defaultCount: Int, _ schedule: (UInt64, URL) throws -> String?) throws {
        for seed in seeds(base: base, defaultCount: defaultCount) {
            try withTemporaryDirectory { directory in
                do {
                    if let failure = try schedule(seed, directory) {
                        Issue.record("seed \(seed) (FERRY_CONVERGENCE_SEED=\(seed)): the stores do not equal the model\n\(failure)")
                    }
                } catch {
                    Issue.record("seed \(seed) (FERRY_CONVERGENCE_SEED=\(seed)): \(error)")
                }
            }
        }
    }

    @Test func aHubAndThreeSpokesConvergeOnRandomSchedules() throws {
        try Self.check(base: 0x4B0B_0000, defaultCount: 150, Self.runHub)
    }

    @Test(arguments: [false, true])
    func integerIdSchemasConvergeToo(hub: Bool) throws {
        try Self.$integerIds.withValue(true) {
            try Self.check(base: hub ? 0x1D1D_0000 : 0x1D00_0000, defaultCount: hub ? 100 : 200, hub ? Self.runHub : Self.run)
        }
    }

    @Test(arguments: [false, true])
    func integerIdsHandedOutFromOneOnEverySideConverge(hub: Bool) throws {
        try Self.$integerIds.withValue(true) {
            try Self.$idsFromOne.withValue(true) {
                try Self.check(base: hub ? 0x1D1E_0000 : 0x1D01_0000, defaultCount: hub ? 100 : 200, hub ? Self.runHub : Self.run)
            }
        }
    }

    @Test func twoPeersConvergeOnRandomSchedules() throws {
        try Self.check(base: 0xFE44_0000, defaultCount: 400, Self.run)
    }
}
