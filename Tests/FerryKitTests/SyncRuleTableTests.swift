import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 15: one test per cell of the sync rule table in README "How it works": the target
/// row present or absent × what the target's book knows of the row (alive, a tombstone,
/// never seen) × whether the incoming version changed since the one the target last saw ×
/// upsert or delete. Store A has account ann@x ("Ann"); what B holds is set up per cell,
/// then B imports one changeset of A's with the default policy (defer).
@Suite struct SyncRuleTableTests {
    enum TargetRow: String, CaseIterable { case present, absent }
    enum Book: String, CaseIterable { case alive, tombstone, never }
    enum Operation: String, CaseIterable { case upsert, delete }

    struct Cell: CustomStringConvertible, Sendable {
        let row: TargetRow
        let book: Book
        let changed: Bool
        let operation: Operation
        var description: String { "target \(row.rawValue), book \(book.rawValue), incoming \(changed ? "changed" : "unchanged"), \(operation.rawValue)" }
    }

    static let cells: [Cell] = TargetRow.allCases.flatMap { row in
        Book.allCases.flatMap { book in [false, true].flatMap { changed in Operation.allCases.map { Cell(row: row, book: book, changed: changed, operation: $0) } } }
    }

    /// What B ends with: the import's outcome, and ann@x's name in B (nil: no row).
    struct Expected: Equatable, CustomStringConvertible {
        enum Outcome: String { case inserted, updated, unchanged, deleted, conflict }
        let outcome: Outcome
        let name: String?
        var description: String { "\(outcome.rawValue), \(name ?? "no row")" }
    }

    /// The rule table, as README "How it works" writes it.
    static func rule(_ cell: Cell) -> Expected {
        switch (cell.row, cell.book, cell.operation) {
        // The book knows the row, and it is here.
        case (.present, .alive, .upsert):
            return cell.changed ? Expected(outcome: .updated, name: "Ann 2") : Expected(outcome: .unchanged, name: "Ann")
        case (.present, .alive, .delete):
            return Expected(outcome: .deleted, name: nil) // unchanged here since it crossed: the delete applies
        // The row crossed, was deleted here, and a row with its natural key was made here
        // again: the same logical row, which never crossed. Versions the delete here saw are
        // stale; a later one (changed there) meets it as a row first seen.
        case (.present, .tombstone, .upsert):
            return cell.changed ? Expected(outcome: .updated, name: "Ann 2") : Expected(outcome: .unchanged, name: "Ann")
        case (.present, .tombstone, .delete), (.present, .never, .delete):
            // Deleted there: the row here goes when it holds the version deleted there,
            // and is a conflict when it differs from it.
            return cell.changed ? Expected(outcome: .conflict, name: "Ann") : Expected(outcome: .deleted, name: nil)
        // First contact: a row made here under the same natural key.
        case (.present, .never, .upsert):
            return cell.changed ? Expected(outcome: .updated, name: "Ann 2") : Expected(outcome: .unchanged, name: "Ann")
        // Deleted here (exported or not): a stale copy stays out; a version changed there
        // since is an update against a delete, one conflict.
        case (.absent, .alive, .upsert), (.absent, .tombstone, .upsert):
            return cell.changed ? Expected(outcome: .conflict, name: nil) : Expected(outcome: .unchanged, name: nil)
        case (.absent, .alive, .delete), (.absent, .tombstone, .delete):
            return Expected(outcome: .unchanged, name: nil) // deleted on both sides
        // Never here: a new row; a delete is remembered.
        case (.absent, .never, .upsert):
            return Expected(outcome: .inserted, name: cell.changed ? "Ann 2" : "Ann")
        case (.absent, .never, .delete):
            return Expected(outcome: .unchanged, name: nil)
        }
    }

    @Test(arguments: cells)
    func theRuleTableHolds(_ cell: Cell) throws {
        try withTemporaryDirectory { directory in
            let a = try OverlappingEditsTests.Peer("a", in: directory)
            let b = try OverlappingEditsTests.Peer("b", in: directory)
            try a.execute("INSERT INTO accounts VALUES ('a1', 'ann@x', 'Ann', 1)")
            let first = try a.export()
            if cell.book != .never { try b.take(first, .defer) }

            // A's changeset, written before anything B does reaches A.
            if cell.changed {
                try a.set("ann@x", name: "Ann 2", at: 2)
                if cell.operation == .delete { _ = try a.export() } // the edit crossed nowhere B saw
            }
            if cell.operation == .delete { try a.delete("ann@x") }
            let incoming = try a.export()

            switch (cell.row, cell.book) {
            case (.present, .alive), (.absent, .never):
                break
            case (.absent, .alive):
                try b.delete("ann@x")
            case (.absent, .tombstone):
                try b.delete("ann@x")
                _ = try b.export()
            case (.present, .tombstone):
                try b.delete("ann@x")
                _ = try b.export()
                try b.execute("INSERT INTO accounts VALUES ('b9', 'ann@x', 'Ann', 1)")
            case (.present, .never):
                try b.execute("INSERT INTO accounts VALUES ('b9', 'ann@x', 'Ann', 1)")
            }

            let conflicts = directory.appendingPathComponent("conflicts.ndjson").path
            let report = try Importer(store: b.store, changeset: try ChangesetReader(path: incoming), options: ImportOptions(
                rejectsPath: conflicts + ".rejects", conflictsPath: conflicts)).run()
            let t = report.totals
            #expect(t.rejected == 0, "\(cell): \(report.table())")
            let outcome: Expected.Outcome? = t.conflicts == 1 ? .conflict : t.inserted == 1 ? .inserted : t.updated == 1 ? .updated
                : t.deleted == 1 ? .deleted : (t.unchanged == 1 && t.inserted + t.updated + t.deleted + t.conflicts == 0) ? .unchanged : nil
            let actual = Expected(outcome: outcome ?? .unchanged, name: try b.name("ann@x"))
            #expect(outcome != nil && actual == Self.rule(cell), "\(cell): expected \(Self.rule(cell)), got \(actual) (\(report.table()))")

            // Whatever happened, A's first changeset (the oldest version) arriving now changes
            // nothing: a stale copy never brings back a delete nor undoes a newer version.
            let before = try b.rows()
            let stale = try Importer(store: b.store, changeset: try ChangesetReader(path: first), options: ImportOptions(
                rejectsPath: conflicts + ".2.rejects", conflictsPath: conflicts + ".2")).run()
            if cell.book != .never || cell.row == .absent {
                let after = try b.rows()
                #expect(after == before, "\(cell): a stale copy changed B: \(before) → \(after)")
                #expect(stale.totals.inserted == 0 && stale.totals.updated == 0, "\(cell): \(stale.table())")
            }
        }
    }
}
