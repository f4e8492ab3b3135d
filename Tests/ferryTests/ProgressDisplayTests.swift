import Foundation
import Testing

/// Long work shows progress on a terminal and stays quiet in pipes or with --quiet.
@Suite struct ProgressDisplayTests {
    /// Runs ferry with its output on a pseudo-terminal (Python's pty module) and returns
    /// everything it wrote there.
    private func onATerminal(_ arguments: [String]) throws -> String {
        let result = try runTool("/usr/bin/python3", ["-c", """
            import os, pty, sys
            output = bytearray()
            def read(fd):
                data = os.read(fd, 65536); output.extend(data); return data
            status = pty.spawn(sys.argv[1:], read)
            sys.stdout.write(output.decode("utf-8", "replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
            """, ferryBinary.path] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    private func database(in directory: URL) throws -> URL {
        let db = directory.appendingPathComponent("events.db")
        let create = try runTool("/usr/bin/sqlite3", [db.path, """
            CREATE TABLE events (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
            INSERT INTO events SELECT i, 'event ' || i FROM n;
            """])
        #expect(create.status == 0, "\(create.stderr)")
        return db
    }

    @Test func exportAndImportShowRowsPerTableOnATerminal() throws {
        try withTemporaryDirectory { directory in
            let db = try database(in: directory)
            let out = directory.appendingPathComponent("out").path
            let export = try onATerminal(["export", "--db", db.path, "--out", out])
            #expect(export.contains("export events: 0/20k rows"), "\(export)")
            #expect(export.contains("export events: 20k rows in"), "\(export)")
            #expect(export.contains("rows/s"), "\(export)")
            let target = directory.appendingPathComponent("target.db").path
            let imported = try onATerminal(["import", out, "--db", target])
            #expect(imported.contains("import events: 0/20k rows"), "\(imported)")
            #expect(imported.contains("import events: 20k rows in"), "\(imported)")
        }
    }

    @Test func quietOnATerminalAndAnyPipeShowNoProgress() throws {
        try withTemporaryDirectory { directory in
            let db = try database(in: directory)
            let quiet = try onATerminal(["export", "--db", db.path, "--out", directory.appendingPathComponent("a").path, "--quiet"])
            #expect(!quiet.contains("rows"), "\(quiet)")
            let piped = try ferry(["export", "--db", db.path, "--out", directory.appendingPathComponent("b").path])
            #expect(piped.status == 0)
            #expect(!piped.stderr.contains("rows/s") && !piped.stderr.contains("\r"), "\(piped.stderr)")
        }
    }
}
