import Foundation

/// The figures of one import, per table and in total (DESIGN.md "Import report").
public struct ImportReport: Sendable, Equatable {
    public struct Counts: Sendable, Equatable {
        public var inserted = 0
        public var updated = 0
        public var merged = 0
        public var unchanged = 0
        public var deleted = 0
        public var conflicts = 0
        public var rejected = 0

        public init() {}

        static func + (lhs: Counts, rhs: Counts) -> Counts {
            var sum = Counts()
            sum.inserted = lhs.inserted + rhs.inserted
            sum.updated = lhs.updated + rhs.updated
            sum.merged = lhs.merged + rhs.merged
            sum.unchanged = lhs.unchanged + rhs.unchanged
            sum.deleted = lhs.deleted + rhs.deleted
            sum.conflicts = lhs.conflicts + rhs.conflicts
            sum.rejected = lhs.rejected + rhs.rejected
            return sum
        }

        var pairs: [(String, Int)] {
            [("inserted", inserted), ("updated", updated), ("merged", merged), ("unchanged", unchanged),
             ("deleted", deleted), ("conflicts", conflicts), ("rejected", rejected)]
        }
    }

    public struct Table: Sendable, Equatable {
        public var name: String
        public var counts = Counts()
        public var seconds = 0.0
    }

    public var changeset: String
    public var dryRun: Bool
    public var tables: [Table] = []
    public var rejectsFile: String?
    public var conflictsFile: String?
    /// Things the user should know although nothing failed (a table matched by its raw id).
    public var warnings: [String] = []
    /// Whether the target keeps a sync book, and how many of its entries this import wrote.
    public var syncBook: SyncBookNote?
    /// The target's triggers ("table.trigger") set aside while the import wrote
    /// (`Store.suspendRowStampingTriggers`), in place again after it.
    public var triggersSetAside: [String] = []
    /// Rows the schema's ON DELETE actions changed with a deleted parent, by table: rows
    /// the changeset did not name (one only the target had) are changed too, and counted here.
    public var cascaded: [Cascade] = []

    public struct Cascade: Sendable, Equatable {
        public var table: String
        /// Deleted with their parent (ON DELETE CASCADE).
        public var deleted = 0
        /// Their reference cleared (ON DELETE SET NULL).
        public var cleared = 0
    }

    public enum SyncBookNote: Sendable, Equatable {
        /// The target is prepared for sync (or `--track`): the book remembers what crossed.
        case kept(entries: Int)
        /// Nobody prepared the target: no row was recorded.
        case notKept

        var text: String {
            switch self {
            case .kept(let entries): return "sync book: \(counted(entries, "entry", "entries")) written"
            case .notKept: return "sync book: none kept (the target is not prepared for sync; `ferry prepare` it, or import with --track, to sync it later)"
            }
        }
    }

    public var totals: Counts { tables.reduce(Counts()) { $0 + $1.counts } }

    /// The report as DESIGN.md's JSON: every figure key present, paths absolute when written.
    public func json() -> String {
        var out = JSONBuffer()
        out.append(raw: "{\n  \"changeset\": ")
        out.appendString(changeset)
        out.append(raw: ",\n  \"dryRun\": ")
        dryRun ? out.append(raw: "true") : out.append(raw: "false")
        out.append(raw: ",\n  \"tables\": [")
        for (index, table) in tables.enumerated() {
            out.append(raw: index == 0 ? "\n    {\"name\": " : ",\n    {\"name\": ")
            out.appendString(table.name)
            // Figure names are fixed ASCII words: no escaping needed.
            for (key, value) in table.counts.pairs {
                out.append(utf8: ", \"\(key)\": \(value)")
            }
            out.append(raw: ", \"seconds\": ")
            out.appendReal((table.seconds * 1000).rounded() / 1000)
            out.append(UInt8(ascii: "}"))
        }
        out.append(raw: tables.isEmpty ? "],\n  \"totals\": {" : "\n  ],\n  \"totals\": {")
        out.append(utf8: totals.pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", "))
        out.append(UInt8(ascii: "}"))
        if let rejectsFile {
            out.append(raw: ",\n  \"rejects\": ")
            out.appendString(rejectsFile)
        }
        if let conflictsFile {
            out.append(raw: ",\n  \"conflictsFile\": ")
            out.appendString(conflictsFile)
        }
        if let syncBook {
            switch syncBook {
            case .kept(let entries): out.append(utf8: ",\n  \"syncBook\": {\"kept\": true, \"entries\": \(entries)}")
            case .notKept: out.append(raw: ",\n  \"syncBook\": {\"kept\": false, \"entries\": 0}")
            }
        }
        out.append(raw: ",\n  \"cascaded\": [")
        for (index, cascade) in cascaded.enumerated() {
            out.append(raw: index == 0 ? "{\"table\": " : ", {\"table\": ")
            out.appendString(cascade.table)
            out.append(utf8: ", \"deleted\": \(cascade.deleted), \"cleared\": \(cascade.cleared)}")
        }
        out.append(UInt8(ascii: "]"))
        for (name, strings) in [("triggersSetAside", triggersSetAside), ("warnings", warnings)] where !strings.isEmpty {
            out.append(utf8: ",\n  \"\(name)\": [")
            for (index, string) in strings.enumerated() {
                if index > 0 { out.append(raw: ", ") }
                out.appendString(string)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(raw: "\n}\n")
        return out.string
    }

    /// The same figures as an aligned table, for a terminal.
    public func table() -> String {
        let headers = ["table", "inserted", "updated", "merged", "unchanged", "deleted", "conflicts", "rejected", "seconds"]
        var rows = tables.map { table in
            [table.name] + table.counts.pairs.map { String($0.1) } + [String(format: "%.2f", table.seconds)]
        }
        rows.append(["total"] + totals.pairs.map { String($0.1) } + [String(format: "%.2f", tables.reduce(0) { $0 + $1.seconds })])
        let widths = headers.indices.map { column in ([headers] + rows).map { $0[column].count }.max()! }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0) : cell.leftPadded(to: widths[index], with: " ")
            }.joined(separator: "  ")
        }
        var lines = [format(headers)]
        lines += rows.map(format)
        if let syncBook { lines.append(syncBook.text) }
        for cascade in cascaded {
            let what = [cascade.deleted > 0 ? "\(counted(cascade.deleted, "row")) deleted with their parent (ON DELETE CASCADE)" : nil,
                        cascade.cleared > 0 ? "\(counted(cascade.cleared, "row")) whose parent was deleted now point at nothing (ON DELETE SET NULL)" : nil]
            lines.append("\(cascade.table): \(what.compactMap { $0 }.joined(separator: "; "))")
        }
        if !triggersSetAside.isEmpty {
            lines.append("triggers set aside while rows were written (they stamp rows with the current time; the changeset carries the source's stamps): \(triggersSetAside.joined(separator: ", "))")
        }
        if dryRun { lines.append("(dry run: nothing was written)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
