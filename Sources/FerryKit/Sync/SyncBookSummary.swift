import Foundation

/// The sync book of a store at a glance (`ferry inspect --db`).
public struct SyncBookSummary: Sendable, Equatable {
    public var storeId: String?
    public var lastExport: String?
    /// Rows the book remembers as alive.
    public var tracked = 0
    public var tombstones = 0
    /// When the oldest tombstone was recorded (unknown for tombstones from before times were kept).
    public var oldestTombstone: Date?
    /// Exports recorded since versions were kept (each can be named by `--since` and `compact --applied`).
    public var exports = 0

    public init(storeId: String?, lastExport: String?) {
        self.storeId = storeId
        self.lastExport = lastExport
    }

    public var text: String {
        var lines = ["sync book: store id \(storeId ?? "(none yet)"), \(counted(tracked, "row")) tracked, \(counted(tombstones, "tombstone"))"]
        if let oldestTombstone {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            lines[0] += " (oldest \(formatter.string(from: oldestTombstone)); `ferry compact` removes those every peer has seen)"
        }
        lines.append("last export: \(lastExport ?? "none yet")\(exports > 0 ? " (\(counted(exports, "export")) recorded)" : "")")
        return lines.joined(separator: "\n")
    }
}
