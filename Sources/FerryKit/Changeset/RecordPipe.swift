import Dispatch
import Foundation

/// Decodes a table's records on a background thread while the caller applies them.
///
/// Reading is inflate, line splitting and JSON parsing: about a fifth of an import's time,
/// and independent of the store, so it runs on the second core. Records travel in batches
/// of `batchSize` with the bytes of their lines (the rejects file needs them); at most
/// `maxQueued` batches wait, so memory stays flat whatever the table's size.
final class RecordPipe: @unchecked Sendable { // every field is guarded by `condition`
    struct Batch {
        // Records apart from their line numbers: `beforeBatch` gets the array as it is,
        // where a map copied every record (a retain a field) twice a batch.
        var records: [Record] = []
        var lineNumbers: [Int] = []
        var bytes: [UInt8] = []
        var ends: [Int] = []
    }

    static let batchSize = 256
    /// A batch is also handed over once its lines reach 1 MiB, so a few huge lines (up to
    /// the line size limit each) cannot pile up 256 to a batch.
    static let batchBytes = 1024 * 1024
    private static let maxQueued = 2

    private let condition = NSCondition()
    private var queue: [Batch] = []
    /// Batches the caller is done with, freed by the reading thread: a record is a few dozen
    /// allocations, and freeing them was a twentieth of the applying thread's time.
    private var spent: [Batch] = []
    private var failure: Error?
    private var producerDone = false
    private var cancelled = false

    private struct Cancelled: Error {}

    /// Calls `body(lineNumber, record, line)` for each record of `table`, in file order, with
    /// the errors `ChangesetReader.forEachRecord` would throw, at the same point of the stream.
    /// `prepare` runs on the reading thread for each record before it is handed over.
    /// `beforeBatch` sees each batch's records before `body` gets the first of them, with
    /// the next batch's when the reader has it (nil at the end, or when the reader failed:
    /// its error comes after this batch, as before); `afterBatch` runs after the last, while
    /// the lines `body` got are still valid.
    static func forEachRecord(of reader: ChangesetReader, in table: ManifestTable, prepare: (@Sendable (inout Record) -> Void)? = nil,
                              beforeBatch: (([Record], [Record]?) throws -> Void)? = nil, afterBatch: () throws -> Void = {},
                              _ body: (Int, Record, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let pipe = RecordPipe()
        let source = UncheckedReader(reader: reader)
        DispatchQueue.global(qos: .userInitiated).async {
            var batch = Batch()
            do {
                try source.reader.forEachRecord(in: table) { lineNumber, record, line in
                    var record = record
                    prepare?(&record)
                    batch.records.append(record)
                    batch.lineNumbers.append(lineNumber)
                    batch.bytes.append(contentsOf: line)
                    batch.ends.append(batch.bytes.count)
                    if batch.records.count == batchSize || batch.bytes.count >= batchBytes {
                        batch = try pipe.put(batch)
                    }
                }
                _ = try pipe.put(batch)
                pipe.finish(nil)
            } catch {
                // The records before the failing line still go first, as without the thread.
                if !(error is Cancelled) { _ = try? pipe.put(batch) }
                pipe.finish(error)
            }
        }
        // However the caller leaves (done, or its own error), the reader thread stops first.
        defer { pipe.cancelAndWait() }
        // With `beforeBatch`, the next batch is taken before this one is applied, so the
        // caller can look ahead (a store starts asking for its rows meanwhile).
        var upcoming: Result<Batch?, Error>?
        while true {
            guard let batch = try (upcoming ?? Result { try pipe.take() }).get() else { break }
            upcoming = nil
            if let beforeBatch, !batch.records.isEmpty {
                upcoming = Result { try pipe.take() }
                let next = (try? upcoming?.get())??.records
                try beforeBatch(batch.records, next)
            }
            // Records handed on from the buffer, borrowed: an array's element would be copied
            // for the call (a retain and a release a field).
            try batch.records.withUnsafeBufferPointer { records in
                try batch.bytes.withUnsafeBufferPointer { bytes in
                    var start = 0
                    for index in records.indices {
                        let end = batch.ends[index]
                        try body(batch.lineNumbers[index], records[index], UnsafeBufferPointer(rebasing: bytes[start..<end]))
                        start = end
                    }
                    try afterBatch()
                }
            }
            pipe.recycle(consume batch)
        }
    }

    /// Hands `batch` over, and returns an empty one to fill next: a spent batch with its
    /// arrays' room kept where there is one. Batches grew their arrays anew every time (a
    /// line buffer of 64 KiB and more freed a batch, which also made the allocator sweep its
    /// small free chunks each time: 3% of the reading thread).
    private func put(_ batch: Batch) throws -> Batch {
        var spent: [Batch] = try {
            condition.lock()
            defer { condition.unlock() }
            while queue.count >= Self.maxQueued && !cancelled { condition.wait() }
            if cancelled { throw Cancelled() }
            if !batch.records.isEmpty { queue.append(batch) }
            condition.broadcast()
            defer { self.spent = [] }
            return self.spent
        }()
        // Freed here, on the reading thread, outside the lock: the records, and the spent
        // batches but one (none kept past a few times the usual size: a huge line once).
        while var reused = spent.popLast() {
            guard reused.bytes.capacity <= 4 * Self.batchBytes else { continue }
            spent.removeAll()
            reused.records.removeAll(keepingCapacity: true)
            reused.lineNumbers.removeAll(keepingCapacity: true)
            reused.bytes.removeAll(keepingCapacity: true)
            reused.ends.removeAll(keepingCapacity: true)
            return reused
        }
        return Batch()
    }

    private func recycle(_ batch: consuming Batch) {
        condition.lock()
        spent.append(batch)
        condition.unlock()
    }

    private func finish(_ error: Error?) {
        condition.lock()
        if !(error is Cancelled) { failure = error }
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch; nil when the table is done; the reader's error once the batches before it are taken.
    private func take() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !producerDone { condition.wait() }
        if !queue.isEmpty {
            let batch = queue.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    private func cancelAndWait() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !producerDone { condition.wait() }
        condition.unlock()
    }
}

/// The reader crosses to the decoding thread: it only reads its own immutable state and
/// files by offset (pread), and the caller does not touch it until the thread is done.
private struct UncheckedReader: @unchecked Sendable {
    let reader: ChangesetReader
}
