import Dispatch
import Foundation

/// Rows of a scan copied out of the store's cursor, so that another thread can encode
/// them while the scan goes on (a cursor is valid only until its next step, and only on
/// the scanning thread). Each cell is kept as the JSON the cursor writes for it; the cells
/// an encoder reads as values (keys, cloudIds, parents' identities) are kept as values too,
/// as the cursor gives them.
final class CapturedRows: @unchecked Sendable {
    let width: Int
    /// For each cell index, where its value is in a row's slice of `values` (-1: not kept).
    private let slots: [Int]
    private let valueIndexes: [Int]
    // Filled by the scanning thread, then read by the encoding one after a semaphore hands
    // the batch over: never accessed by two threads at once, so unchecked.
    @exclusivity(unchecked) fileprivate var json: JSONBuffer
    /// Where each cell's JSON ends in `json`, `width` per row.
    @exclusivity(unchecked) fileprivate var ends: [Int] = []
    @exclusivity(unchecked) fileprivate var values: [Value] = []
    /// Per row: the key of the row in this store (a book entry's `rowKey`) and its fingerprint.
    private(set) var rowKeys: [[UInt8]] = []
    private(set) var fingerprints: [Int64?] = []

    init(width: Int, valueIndexes: [Int], expectedRows: Int) {
        self.width = width
        self.valueIndexes = valueIndexes
        var slots = [Int](repeating: -1, count: width)
        for (slot, index) in valueIndexes.enumerated() { slots[index] = slot }
        self.slots = slots
        json = JSONBuffer(capacity: 256 * expectedRows)
        ends.reserveCapacity(width * expectedRows)
        values.reserveCapacity(valueIndexes.count * expectedRows)
    }

    var count: Int { rowKeys.count }

    /// Empties the batch, keeping its buffers.
    func removeAll() {
        json.removeAll()
        ends.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        rowKeys.removeAll(keepingCapacity: true)
        fingerprints.removeAll(keepingCapacity: true)
    }

    /// Copies the cursor's row, with its key (the values at `keyIndexes`, which must be
    /// among the kept ones) and fingerprint; `replacing` gives cells a value of their own (a parent's
    /// cloudId that only the sync book holds), kept as if the cursor had read it.
    func append(_ cursor: RowCursor, keyIndexes: [Int], fingerprint: Int64?, replacing: [(index: Int, value: Value)]) {
        for index in 0..<width {
            if !replacing.isEmpty, let replaced = replacing.first(where: { $0.index == index }) { json.appendValue(replaced.value) } else { cursor.appendJSON(at: index, to: &json) }
            ends.append(json.count)
        }
        let first = values.count
        for index in valueIndexes {
            values.append((replacing.isEmpty ? nil : replacing.first(where: { $0.index == index })?.value) ?? cursor.value(at: index))
        }
        rowKeys.append(PortableRow.rowKey(keyIndexes.map { values[first + slots[$0]] }))
        fingerprints.append(fingerprint)
    }

    func row(_ row: Int) -> CapturedRow { CapturedRow(rows: self, row: row) }

    fileprivate func span(row: Int, index: Int) -> Range<Int> {
        let cell = row * width + index
        return (cell == 0 ? 0 : ends[cell - 1])..<ends[cell]
    }

    fileprivate func value(row: Int, index: Int) -> Value? {
        let slot = slots[index]
        return slot < 0 ? nil : values[row * valueIndexes.count + slot]
    }
}

/// One captured row, read as the scan's cursor would have read it. Its fingerprint was
/// taken of the store's own cells when it was captured (`appendRaw` is not asked of it).
struct CapturedRow: RowCursor {
    // The batch outlives every row read from it (rows are read while it is being encoded).
    unowned(unsafe) let rows: CapturedRows
    let row: Int

    func value(at index: Int) -> Value {
        if let value = rows.value(row: row, index: index) { return value }
        // A cell no encoder reads as a value: decoded from its JSON, as a record's is.
        let span = rows.span(row: row, index: index)
        let json = rows.json.withBytes { (try? JSONParser.parse(Array($0[span]))) ?? .null }
        return (try? RecordDecoder.decodeValue(json, column: "")) ?? .null
    }

    func isNull(at index: Int) -> Bool {
        let span = rows.span(row: row, index: index)
        return span.count == 4 && rows.json.withBytes { $0[span.lowerBound] == UInt8(ascii: "n") }
    }

    func appendJSON(at index: Int, to buffer: inout JSONBuffer) {
        let span = rows.span(row: row, index: index)
        rows.json.withBytes { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[span])) }
    }
}

/// A batch of captured rows on its way through the encoding thread, and back: the
/// scanning thread fills `rows`, the encoding thread writes `lines` and `entries`, and the
/// scanning thread reads them only after waiting on `done`, so the semaphore orders every
/// access. Batches are used again (`BookFillingEncoder.recycle`): buffers of a megabyte
/// made and freed per batch left glibc holding ~10 MB more at the peak.
final class EncodedBatch: @unchecked Sendable {
    let rows: CapturedRows
    let done = DispatchSemaphore(value: 0)
    var lines: JSONBuffer
    var entries: [PackedBookEntry] = []

    init(_ rows: CapturedRows, lineCapacity: Int) {
        self.rows = rows
        lines = JSONBuffer(capacity: lineCapacity)
    }
}

/// What the first export of a table into an empty sync book does per row, off the scanning
/// thread: the portable form with its hash and digests, the identity, the record line and
/// the book entry. Every entry is new (the book knows no row of the table), so nothing here
/// reads the book; the scanning thread writes the entries. Batches are encoded in order, one
/// at a time, so the cloudIds given to rows without one come out in the scan's order.
final class BookFillingEncoder: @unchecked Sendable {
    private let cloudIdIsUnique: Bool
    private let encoder: RecordEncoder
    private let portable: PortableRow
    /// Cursor index of each column of the portable form.
    private let portableIndexes: [Int]
    /// Every new entry's versions: one change, made here.
    private let versions: VersionVector
    private let packer: (@Sendable (SyncBookEntry) -> PackedBookEntry)?
    private var generator: CloudIdGenerator
    private let queue = DispatchQueue(label: "ferry.export.encode")
    private let makeBatch: () -> EncodedBatch
    /// Batches emptied on the encoding thread, for the scanning thread to fill again.
    private var spare: [EncodedBatch] = []
    private let spareLock = NSLock()

    init(cloudIdIsUnique: Bool, encoder: RecordEncoder, portable: PortableRow, portableIndexes: [Int], versions: VersionVector,
         packer: (@Sendable (SyncBookEntry) -> PackedBookEntry)?, generator: CloudIdGenerator, makeBatch: @escaping () -> EncodedBatch) {
        self.generator = generator
        self.cloudIdIsUnique = cloudIdIsUnique
        self.encoder = encoder
        self.portable = portable
        self.portableIndexes = portableIndexes
        self.versions = versions
        self.packer = packer
        self.makeBatch = makeBatch
    }

    /// An empty batch to fill: one given back, or a new one.
    func emptyBatch() -> EncodedBatch {
        spareLock.withLock { spare.popLast() } ?? makeBatch()
    }

    /// Queues the batch; its lines and entries are ready once `batch.done` is signalled.
    func submit(_ batch: EncodedBatch) {
        queue.async {
            self.encode(batch)
            batch.done.signal()
        }
    }

    /// Takes back a settled batch: it is emptied on the encoding thread (freeing its values
    /// and entries, a few arrays a row, is not the scanning thread's work) and filled again.
    func recycle(_ batch: EncodedBatch) {
        queue.async {
            batch.rows.removeAll()
            batch.lines.removeAll()
            batch.entries.removeAll(keepingCapacity: true)
            self.spareLock.withLock { self.spare.append(batch) }
        }
    }

    private func encode(_ batch: EncodedBatch) {
        let rows = batch.rows
        for index in 0..<rows.count {
            let row = rows.row(index)
            let form = portable.encode(isNull: { row.isNull(at: self.portableIndexes[$0]) }, append: { row.appendJSON(at: self.portableIndexes[$0], to: &$1) },
                                       identity: { self.encoder.parentIdentity($0, row) }, keepingBytes: false)
            // A row the application inserted after `prepare` has no cloudId: the book gives it one.
            var assigned: Value?
            if let cloudId = encoder.cloudIdIndex, row.isNull(at: cloudId) { assigned = .text(generator.next()) }
            let identity = encoder.identity(row, assignedCloudId: assigned)
            encoder.append(row, to: &batch.lines, sync: (form.hash, nil, versions), assignedCloudId: assigned)
            var entry = SyncBookEntry(rowKey: rows.rowKeys[index], identity: identity, hash: form.hash, digests: form.digests, versions: versions)
            entry.fingerprint = rows.fingerprints[index]
            entry.inTable = cloudIdIsUnique && assigned == nil && encoder.cloudIdIndex.map { !row.isNull(at: $0) } == true
            batch.entries.append(packer?(entry) ?? .entry(entry))
        }
    }
}
