import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Issue 16: a store nobody prepared for sync gets no per-row book from an import or a
/// replay unless asked (`track`), and the report says which.
@Suite struct UntrackedTargetTests {
    private func makeSource(at url: URL) throws {
        let store = try SQLiteStore(path: url.path, mode: .readWriteCreate)
        try store.database.execute("""
            CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
            CREATE TABLE posts (id INTEGER PRIMARY KEY, userId TEXT NOT NULL REFERENCES users(id), title TEXT NOT NULL);
            CREATE TABLE log (line TEXT);
            INSERT INTO users VALUES ('u1', 'ann@x', 'Ann'), ('u2', 'bob@x', 'Bob');
            INSERT INTO posts VALUES (1, 'u1', 'Hello'), (2, 'u2', 'Hi'), (3, 'u1', 'Again');
            INSERT INTO log VALUES ('started'), ('stopped');
            """)
    }

    private func hasBook(_ store: SQLiteStore) throws -> Bool {
        try store.database.scalar("SELECT 1 FROM sqlite_schema WHERE name = '_ferry_rows'") != nil
    }

    @Test func anImportIntoAnUnpreparedStoreKeepsNoBook() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try makeSource(at: source)
            let (target, report, _) = try exportAndReplay(source, in: directory)
            #expect(try !hasBook(target), "no _ferry_rows in a restore nobody prepared")
            #expect(report.syncBook == .notKept)
            #expect(report.table().contains("sync book: none kept"))
            #expect(report.json().contains(#""syncBook": {"kept": false, "entries": 0}"#))
            // Importing the same changeset again still changes nothing.
            let again = try Importer(store: target, changeset: try ChangesetReader(path: directory.appendingPathComponent("changeset").path)).run()
            #expect(again.totals.inserted + again.totals.updated + again.totals.deleted + again.totals.conflicts == 0, "\(again.table())")
            #expect(try !hasBook(target))
        }
    }

    @Test func trackKeepsABookOfEveryRowApplied() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try makeSource(at: source)
            let (target, report, manifest) = try exportAndReplay(source, in: directory, track: true)
            // The log has no primary key: the book does not track it.
            let rows = manifest.tables.filter { !$0.definition.primaryKey.isEmpty }.reduce(0) { $0 + $1.rows }
            #expect(rows == 5)
            #expect(try hasBook(target))
            #expect(report.syncBook == .kept(entries: rows))
            #expect(try target.database.scalar("SELECT count(*) FROM _ferry_rows") == .integer(Int64(rows)))
        }
    }

    @Test func aPreparedTargetKeepsItsBookWithoutBeingAsked() throws {
        try withTemporaryDirectory { directory in
            let source = directory.appendingPathComponent("source.db")
            try makeSource(at: source)
            let out = directory.appendingPathComponent("out").path
            _ = try Exporter(store: try SQLiteStore(path: source.path, mode: .readOnly), options: ExportOptions()).export(to: out)
            let target = try SQLiteStore(path: directory.appendingPathComponent("t.db").path, mode: .readWriteCreate)
            _ = try Preparer.prepare(store: target, tables: [], profile: .empty)
            let report = try Importer(store: target, changeset: try ChangesetReader(path: out)).run()
            guard case .kept(let entries)? = report.syncBook else { Issue.record("no book kept: \(String(describing: report.syncBook))"); return }
            #expect(entries > 0)
        }
    }
}
