import Foundation
import Testing
@testable import FerrySQLite

/// An application's triggers and an import. A trigger that stamps the rows of its own table
/// (`updated_at` after each update) is set aside while the import writes: the changeset
/// carries the source's stamp, and a stamp made here would ship back as a change, round
/// after round. Triggers that check rows, or write other tables, still run.
@Suite struct TriggerTests {
    @Test func aStampingTriggerNeitherRewritesImportedRowsNorKeepsTheExchangeGoing() throws {
        try withTemporaryDirectory { directory in
            let schema = """
                CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT NOT NULL);
                CREATE TABLE audit (note_id TEXT, at TEXT);
                CREATE TRIGGER note_stamp AFTER UPDATE OF body ON note BEGIN
                    UPDATE "note" SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; -- a stamp
                END;
                CREATE TRIGGER note_audit AFTER UPDATE OF body ON note BEGIN INSERT INTO audit VALUES (NEW.id, 'changed'); END;
                """
            let (a, b) = try sourceAndTarget(in: directory, "a.db", "b.db", schema: schema, source: """
                INSERT INTO note VALUES ('n1', 'first', '2020-01-01 00:00:00.000'), ('n2', 'second', '2020-01-01 00:00:00.000');
                """, target: "")
            #expect(try ferry(["prepare", "--db", a.path, "--tables", "note", "-q"]).status == 0)
            #expect(try ferry(["prepare", "--db", b.path, "--tables", "note", "-q"]).status == 0)
            func exchange(_ from: URL, _ to: URL, _ name: String, incremental: Bool = true) throws -> CommandResult {
                let out = directory.appendingPathComponent(name)
                #expect(try ferry(["export", "--db", from.path, "--out", out.path, "--tables", "note", "-q"] + (incremental ? ["--incremental"] : [])).status == 0)
                return try ferry(["import", out.path, "--db", to.path])
            }
            _ = try exchange(a, b, "a0", incremental: false)
            _ = try exchange(b, a, "b0", incremental: false)
            try database(a, "UPDATE note SET body = 'edited' WHERE id = 'n1'")
            let stamped = try sqlite3(a, "SELECT updated_at FROM note WHERE id = 'n1'")
            #expect(stamped != "2020-01-01 00:00:00.000\n")
            Thread.sleep(forTimeInterval: 0.01) // a stamp made in b would differ
            let result = try exchange(a, b, "a1")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("triggers set aside") && result.stderr.contains("note.note_stamp"), "\(result.stderr)")
            #expect(!result.stderr.contains("note_audit"), "a trigger that writes another table is not a stamp")
            #expect(try sqlite3(b, "SELECT body, updated_at FROM note WHERE id = 'n1'") == "edited|" + stamped)
            #expect(try sqlite3(b, "SELECT count(*) FROM audit") == "1\n", "the audit trigger ran")
            #expect(try sqlite3(b, "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY rowid") == "note_stamp\nnote_audit\n"
                    || sqlite3(b, "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name") == "note_audit\nnote_stamp\n")
            // b sends the row back once (its book passes on what it took in); a finds it
            // unchanged, and its own next export has nothing left: the exchange settled.
            let back = try exchange(b, a, "b1")
            #expect(back.status == 0, "\(back.stderr)")
            #expect(try sqlite3(a, "SELECT updated_at FROM note WHERE id = 'n1'") == stamped)
            let settled = directory.appendingPathComponent("a2")
            #expect(try ferry(["export", "--db", a.path, "--out", settled.path, "--tables", "note", "--incremental", "-q"]).status == 0)
            #expect(try ferry(["inspect", settled.path]).stdout.contains("0 rows"))
            // And the trigger still stamps what the application changes in b.
            try database(b, "UPDATE note SET body = 'local' WHERE id = 'n2'")
            #expect(try sqlite3(b, "SELECT updated_at FROM note WHERE id = 'n2'") != "2020-01-01 00:00:00.000\n")
        }
    }

    /// A stamp is set aside; a trigger that stamps and also keeps a search index keeps
    /// firing (dropped whole, the index went stale and then corrupt), with a warning; every
    /// trigger of the table keeps its place in the order SQLite fires them.
    @Test func onlyPureStampsAreSetAsideAndTheTriggersKeepTheirOrder() throws {
        try withTemporaryDirectory { directory in
            let schema = """
                CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT, touched TEXT);
                CREATE VIRTUAL TABLE note_fts USING fts5(body, content='note', content_rowid='id');
                CREATE TABLE log (what TEXT);
                CREATE TRIGGER t_first AFTER UPDATE ON note BEGIN INSERT INTO log VALUES ('first'); END;
                CREATE TRIGGER t_stamp AFTER UPDATE OF body ON note BEGIN UPDATE note SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END;
                CREATE TRIGGER t_last AFTER UPDATE ON note BEGIN INSERT INTO log VALUES ('last'); END;
                CREATE TRIGGER t_search AFTER UPDATE OF body ON note BEGIN
                    INSERT INTO note_fts (note_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
                    INSERT INTO note_fts (rowid, body) VALUES (NEW.id, NEW.body);
                    UPDATE note SET touched = datetime('now') WHERE id = NEW.id;
                END;
                """
            let (source, target) = try sourceAndTarget(in: directory, "a.db", "b.db", schema: schema, source: """
                INSERT INTO note (id, body, updated_at) VALUES (1, 'cherry tart', '2020-01-01');
                """, target: """
                INSERT INTO note (id, body, updated_at) VALUES (1, 'apple pie', '2019-01-01');
                INSERT INTO note_fts (rowid, body) VALUES (1, 'apple pie');
                """)
            let order = "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY rowid)"
            let before = try sqlite3(target, order)
            let changeset = try exportChangeset(source, in: directory)
            let result = try ferry(["import", changeset.path, "--db", target.path, "--on-conflict", "source-wins"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("note.t_stamp") && result.stderr.contains("warning: triggers that stamp") && result.stderr.contains("note.t_search"), "\(result.stderr)")
            #expect(try sqlite3(target, "SELECT body, updated_at FROM note") == "cherry tart|2020-01-01\n", "the stamp was set aside")
            #expect(try sqlite3(target, "SELECT rowid FROM note_fts WHERE note_fts MATCH 'cherry'") == "1\n", "the search index was kept")
            #expect(try sqlite3(target, "SELECT count(*) FROM note_fts WHERE note_fts MATCH 'apple'") == "0\n")
            #expect(try sqlite3(target, "INSERT INTO note_fts (note_fts, rank) VALUES ('integrity-check', 1); SELECT 'ok'") == "ok\n")
            #expect(try sqlite3(target, order) == before, "the triggers fire in their order")
        }
    }

    @Test func aTriggerIsAStampWhenEveryStatementSetsItsOwnTableToTheTime() {
        let stamps = [
            "CREATE TRIGGER t AFTER UPDATE ON note BEGIN UPDATE note SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END",
            "CREATE TRIGGER t AFTER UPDATE ON Note BEGIN UPDATE OR IGNORE main.\"NOTE\" SET a = datetime('now'), b = unixepoch() WHERE rowid = NEW.rowid; END",
            "CREATE TRIGGER t AFTER INSERT ON note WHEN NEW.x > 0 BEGIN UPDATE [note] SET t = strftime('%s', 'now') * 1000 WHERE id = NEW.id; END -- UPDATE other",
        ]
        for sql in stamps { #expect(TriggerBody.kind(of: sql, table: "note") == .stamp, "\(sql)") }
        let more = [
            "CREATE TRIGGER t AFTER UPDATE ON note BEGIN INSERT INTO note_fts (rowid, body) VALUES (NEW.id, NEW.body); UPDATE note SET u = CURRENT_TIMESTAMP WHERE id = NEW.id; END",
            "CREATE TRIGGER t BEFORE UPDATE ON note BEGIN SELECT RAISE(ABORT, 'no') WHERE NEW.v < 0; UPDATE note SET u = CURRENT_TIMESTAMP WHERE id = NEW.id; END",
        ]
        for sql in more { #expect(TriggerBody.kind(of: sql, table: "note") == .stampAndMore, "\(sql)") }
        let others = [
            "CREATE TRIGGER t BEFORE INSERT ON note BEGIN SELECT RAISE(ABORT, 'no'); END",
            "CREATE TRIGGER t AFTER UPDATE ON note BEGIN INSERT INTO audit VALUES ('UPDATE note SET x = CURRENT_TIMESTAMP'); END",
            "CREATE TRIGGER t AFTER UPDATE OF body ON note BEGIN UPDATE notes SET x = CURRENT_TIMESTAMP; END",
            "CREATE TRIGGER t AFTER UPDATE ON note BEGIN UPDATE note SET slug = lower(NEW.name) WHERE id = NEW.id; END",
            "CREATE TRIGGER t AFTER INSERT ON note BEGIN INSERT INTO log VALUES (1) ON CONFLICT DO UPDATE SET n = CURRENT_TIMESTAMP; END",
        ]
        for sql in others { #expect(TriggerBody.kind(of: sql, table: "note") == .other, "\(sql)") }
        // SQLite folds only ASCII letters in names: "Été" and "été" are two tables.
        #expect(TriggerBody.kind(of: "CREATE TRIGGER t AFTER UPDATE ON \"Été\" BEGIN UPDATE \"été\" SET x = CURRENT_TIMESTAMP; END", table: "Été") == .other)
    }
}
