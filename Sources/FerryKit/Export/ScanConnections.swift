import Dispatch
import Foundation

/// Connections that read one snapshot, each lent to one scanning job at a time.
///
/// `@unchecked Sendable`: a store is not thread-safe, but a connection opened without
/// SQLite's mutex may move between threads as long as one thread uses it at a time, and
/// this pool lends each store to one job only, under its lock, until the job gives it back.
final class ScanConnections: @unchecked Sendable {
    private var idle: [Store]
    private let lock = NSLock()
    private let available: DispatchSemaphore

    init(_ stores: [Store]) {
        idle = stores
        available = DispatchSemaphore(value: stores.count)
    }

    func withStore<T>(_ body: (Store) throws -> T) rethrows -> T {
        available.wait()
        let store = lock.withLock { idle.removeLast() }
        defer {
            lock.withLock { idle.append(store) }
            available.signal()
        }
        return try body(store)
    }
}

/// What the scanned ranges of one table produced: rows for the count and the progress
/// line, record bytes per position for the width of the next range.
final class RangeTally: @unchecked Sendable { // every field behind `lock`
    private let lock = NSLock()
    private let targetBytes: Int
    private let firstWidth: Int64
    private var scannedWidth: Double = 0
    private var scannedBytes: Double = 0
    private var scannedRows = 0

    /// `rows`: the table's row count, to size the first ranges before any has been scanned.
    init(positions: ClosedRange<Int64>, rows: Int, targetBytes: Int) {
        self.targetBytes = targetBytes
        // Until a range is back, guess ~2,000 rows a range (a few hundred bytes a record).
        let span = Double(positions.upperBound) - Double(positions.lowerBound) + 1
        firstWidth = Self.clamp(2048 * span / Double(max(rows, 1)))
    }

    var rows: Int { lock.withLock { scannedRows } }

    func record(width: Int64, rows: Int, bytes: Int) {
        lock.withLock {
            scannedWidth += Double(width)
            scannedBytes += Double(bytes)
            scannedRows += rows
        }
    }

    /// Positions for the next range: about `targetBytes` of records at the rate seen so far.
    func nextWidth() -> Int64 {
        lock.withLock {
            // Ranges that came back empty: widen to as many positions as all of them together.
            guard scannedBytes > 0 else { return Self.clamp(max(Double(firstWidth), scannedWidth)) }
            return Self.clamp(Double(targetBytes) * scannedWidth / scannedBytes)
        }
    }

    /// At least one position; at most a quarter of Int64's range, so `start + width` never overflows twice over.
    private static func clamp(_ width: Double) -> Int64 {
        let limit = Int64.max / 4
        return width >= Double(limit) ? limit : Int64(max(width.rounded(), 1))
    }
}
