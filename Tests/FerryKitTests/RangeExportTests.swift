import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// An export without a sync book cuts each table into rowid ranges that jobs on both cores
/// scan, encode and deflate, reading from two connections on one snapshot. The changeset
/// must be the one a single scan writes: every row once, in rowid order, whatever the rowids.
@Suite struct RangeExportTests {
    /// A source whose rowids are sparse, negative and at both ends of Int64, next to a dense table.
    private func makeSource(at path: String, journal: String = "DELETE") throws {
        let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try db.execute("PRAGMA journal_mode = \(journal)")
        try db.execute("""
            CREATE TABLE parents (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL UNIQUE);
            CREATE TABLE children (id TEXT PRIMARY KEY NOT NULL, parentId TEXT REFERENCES parents(id), note TEXT, amount REAL);
            CREATE TABLE sparse (id TEXT PRIMARY KEY NOT NULL, note TEXT);
            BEGIN;
            """)
        let parent = try db.prepare("INSERT INTO parents VALUES (?, ?)")
        for index in 0..<50 {
            try parent.bind([.text("p\(index)"), .text("p\(index)@example.com")])
            try parent.step()
            parent.reset()
        }
        let child = try db.prepare("INSERT INTO children VALUES (?, ?, ?, ?)")
        for index in 0..<30_000 {
            let parentId: Value = index % 7 == 0 ? .null : .text("p\(index % 50)")
            try child.bind([.text("c\(index)"), parentId, .text(String(repeating: "note \(index) ", count: 1 + index % 9)), .real(Double(index) / 8)])
            try child.step()
            child.reset()
        }
        let sparse = try db.prepare("INSERT INTO sparse (rowid, id, note) VALUES (?, ?, ?)")
        let rowids: [Int64] = [.min, .min + 1, -1_000_000_007, -1, 0, 1, 2, 4_096, 1 << 40, .max - 1, .max] + (0..<500).map { 7_000_000 + $0 * 13 }
        for rowid in rowids {
            try sparse.bind([.integer(rowid), .text("s\(rowid)"), .text("at \(rowid)")])
            try sparse.step()
            sparse.reset()
        }
        try db.execute("COMMIT")
    }

    /// The record lines one whole-table scan gives, the order a single connection reads.
    private func linesOfOneScan(_ store: SQLiteStore, _ name: String) throws -> [String] {
        let tables = try store.tables(profile: .empty)
        let table = try #require(tables.first { $0.name == name })
        let encoder = RecordEncoder(table: table, tables: tables)
        var buffer = JSONBuffer()
        try store.scan(table, columns: table.columnNames, joining: encoder.joins) { encoder.append($0, to: &buffer) }
        return buffer.string.split(separator: "\n").map(String.init)
    }

    private func exportedLines(_ changeset: String, _ name: String) throws -> [String] {
        let reader = try ChangesetReader(path: changeset)
        let entry = try #require(reader.manifest.tables.first { $0.name == name })
        var lines: [String] = []
        try LineReader(range: try reader.range(of: entry), name: name).forEachLine { _, line in lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(entry.rows == lines.count)
        return lines
    }

    @Test(arguments: ["DELETE", "WAL"])
    func rangesWriteEveryRowOnceInRowidOrder(journal: String) throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("source.db").path
            try makeSource(at: path, journal: journal)
            let store = try SQLiteStore(path: path, mode: .readOnly)
            let out = directory.appendingPathComponent("changeset").path
            _ = try Exporter(store: store, options: ExportOptions()).export(to: out)
            for table in ["parents", "children", "sparse"] {
                let expected = try linesOfOneScan(store, table)
                let exported = try exportedLines(out, table)
                #expect(exported.count == expected.count, "\(table)")
                #expect(exported == expected, "\(table): the ranges' lines differ from one scan's")
            }
            #expect(try exportedLines(out, "sparse").count == 511)
            #expect(try exportedLines(out, "children").count == 30_000)
        }
    }

    @Test func aTableWithoutAFreeRowidIsScannedWhole() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("source.db").path
            let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            try db.execute("""
                CREATE TABLE keyed (code TEXT PRIMARY KEY NOT NULL, v INTEGER) WITHOUT ROWID;
                CREATE TABLE shadowed (rowid TEXT, _rowid_ TEXT, oid TEXT, v INTEGER);
                CREATE TABLE renamed (rowid TEXT PRIMARY KEY NOT NULL, v INTEGER);
                """)
            for index in 0..<300 {
                try db.execute("INSERT INTO keyed VALUES ('k\(index)', \(index)); INSERT INTO shadowed VALUES ('a\(index)', 'b', 'c', \(index)); INSERT INTO renamed VALUES ('r\(index)', \(index))")
            }
            let store = try SQLiteStore(path: path, mode: .readOnly)
            let tables = try store.tables(profile: .empty)
            func positions(_ name: String) throws -> ClosedRange<Int64>? { try store.scanPositions(of: try #require(tables.first { $0.name == name })) }
            #expect(try positions("keyed") == nil)
            #expect(try positions("shadowed") == nil)
            // A column named rowid leaves _rowid_ free: still cut into ranges, by the real rowid.
            #expect(try positions("renamed") == 1...300)

            let out = directory.appendingPathComponent("changeset").path
            _ = try Exporter(store: store, options: ExportOptions()).export(to: out)
            for table in ["keyed", "shadowed", "renamed"] {
                #expect(try exportedLines(out, table) == linesOfOneScan(store, table), "\(table)")
            }
        }
    }

    /// A range that cannot be read fails the whole export: no changeset, and no job still
    /// reading when the snapshot ends.
    @Test func aDamagedPageFailsTheExportAndLeavesNoChangeset() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("source.db").path
            try makeSource(at: path)
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            let size = try handle.seekToEnd()
            // Pages in the second half of the file: children's rows, read by later ranges.
            for offset in stride(from: size / 2, to: size * 3 / 4, by: 16 * 4096) {
                try handle.seek(toOffset: offset + 100)
                handle.write(Data(repeating: 0xFF, count: 3000))
            }
            try handle.close()
            let store = try SQLiteStore(path: path, mode: .readOnly)
            let out = directory.appendingPathComponent("changeset").path
            let error = #expect(throws: FerryError.self) { _ = try Exporter(store: store, options: ExportOptions()).export(to: out) }
            #expect(error?.message.contains("integrity_check") == true, "the message says how to check the file")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// The second reader is only handed out when it must read what the first one reads.
    @Test func aSecondReaderSharesTheSnapshotOrIsNotGiven() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("source.db").path
            try makeSource(at: path)
            let store = try SQLiteStore(path: path, mode: .readOnly)
            #expect(try store.openSnapshotReader() == nil, "outside a read snapshot there is nothing to share")
            try store.withReadSnapshot {
                let reader = try #require(try store.openSnapshotReader())
                // While the snapshot is held, a writer cannot commit, so both read the same rows.
                let writer = try SQLiteDatabase(path: path, mode: .readWrite)
                writer.setBusyTimeout(milliseconds: 0)
                #expect(throws: FerryError.self) { try writer.execute("INSERT INTO parents VALUES ('late', 'late@example.com')") }
                #expect(try reader.rowCount("parents") == 50)
                #expect(try store.rowCount("parents") == 50)
                // The two share one cache budget while the reader lives.
                #expect(try store.database.scalar("PRAGMA cache_size") == .integer(Int64(SQLiteDatabase.mainCacheSize / 2)))
            }
            #expect(try store.database.scalar("PRAGMA cache_size") == .integer(Int64(SQLiteDatabase.mainCacheSize)), "the whole cache is back once the reader is gone")

            let walPath = directory.appendingPathComponent("wal.db").path
            try makeSource(at: walPath, journal: "WAL")
            let wal = try SQLiteStore(path: walPath, mode: .readOnly)
            // A WAL writer commits past a reader, so a second connection could see a later moment.
            let walReader = try wal.withReadSnapshot { try wal.openSnapshotReader() }
            #expect(walReader == nil)
        }
    }

    @Test func rangeWidthsFollowTheBytesEachPositionYields() {
        let tally = RangeTally(positions: 1...100_000, rows: 50_000, targetBytes: 1 << 20)
        #expect(tally.nextWidth() == 4_096, "before any range is back: ~2,048 rows' worth of positions")
        tally.record(width: 1_000, rows: 500, bytes: 100_000)
        #expect(tally.nextWidth() == 10_486) // 1 MiB at 100 bytes a position
        #expect(tally.rows == 500)

        let empty = RangeTally(positions: 1...1_000_000, rows: 10, targetBytes: 1 << 20)
        let first = empty.nextWidth()
        empty.record(width: first, rows: 0, bytes: 0)
        empty.record(width: first, rows: 0, bytes: 0)
        #expect(empty.nextWidth() == 2 * first, "ranges that came back empty widen the next one")

        let extreme = RangeTally(positions: Int64.min...Int64.max, rows: 1, targetBytes: 1 << 20)
        #expect(extreme.nextWidth() == Int64.max / 4, "a width never overflows")
    }
}

/// Blocks made and compressed on workers land in the file in the order they were queued.
@Suite struct GzipFileWriterOrderTests {
    @Test func producedBlocksLandInQueueOrderWhateverTheirFinishingOrder() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("ordered.gz").path
            let writer = try GzipFileWriter(creating: path, level: 1)
            for index in 0..<12 {
                try writer.write(compressing: { compress in
                    // Early blocks take longest, so workers finish them last.
                    usleep(UInt32((12 - index) * 2_000))
                    return try Array("block \(index)\n".utf8).withUnsafeBytes(compress)
                })
            }
            _ = try writer.finish()
            var lines: [String] = []
            try LineReader(range: ByteRange(file: try InputFile(path: path)), name: "ordered.gz").forEachLine { _, line in
                lines.append(String(decoding: line, as: UTF8.self))
            }
            #expect(lines == (0..<12).map { "block \($0)" })
        }
    }

    @Test func anErrorInAProducedBlockFailsTheFile() throws {
        try withTemporaryDirectory { directory in
            let writer = try GzipFileWriter(creating: directory.appendingPathComponent("failed.gz").path, level: 1)
            try writer.write(compressing: { compress in try Array("fine\n".utf8).withUnsafeBytes(compress) })
            try writer.write(compressing: { _ in throw FerryError(.store, "the range could not be read") })
            #expect(throws: FerryError.self) { _ = try writer.finish() }
        }
    }
}
