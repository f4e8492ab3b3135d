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

    @Test func aTriggerStampsItsOwnTableOnlyWhenItsStatementsWriteIt() {
        let stamps = [
            "CREATE TRIGGER t AFTER UPDATE ON note BEGIN UPDATE note SET updated_at = 1 WHERE id = NEW.id; END",
            "CREATE TRIGGER t AFTER UPDATE ON Note BEGIN UPDATE OR IGNORE main.\"NOTE\" SET x = 1; END",
            "CREATE TRIGGER t AFTER INSERT ON note BEGIN INSERT OR REPLACE INTO [note] (id) VALUES (1); END",
            "CREATE TRIGGER t AFTER INSERT ON note BEGIN REPLACE INTO `note` VALUES (1); END",
            "CREATE TRIGGER t AFTER INSERT ON note BEGIN DELETE FROM note WHERE id < 0; END",
        ]
        for sql in stamps { #expect(TriggerBody.writesOwnTable(sql, table: "note"), "\(sql)") }
        let others = [
            "CREATE TRIGGER t BEFORE INSERT ON note BEGIN SELECT RAISE(ABORT, 'no'); END",
            "CREATE TRIGGER t AFTER UPDATE ON note BEGIN INSERT INTO audit VALUES ('UPDATE note SET x = 1'); END",
            "CREATE TRIGGER t AFTER UPDATE OF body ON note BEGIN UPDATE notes SET x = 1; END -- UPDATE note SET",
            "CREATE TRIGGER t AFTER INSERT ON note BEGIN INSERT INTO note_fts (rowid, body) VALUES (NEW.rowid, NEW.body); END",
            "CREATE TRIGGER t AFTER UPDATE ON note BEGIN /* DELETE FROM note */ INSERT INTO log DEFAULT VALUES; END",
            "CREATE TRIGGER t AFTER INSERT ON note BEGIN INSERT INTO log VALUES (1) ON CONFLICT DO UPDATE SET n = n + 1; END",
        ]
        for sql in others { #expect(!TriggerBody.writesOwnTable(sql, table: "note"), "\(sql)") }
    }
}
