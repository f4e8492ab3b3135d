/// Which versions of a row a store has seen: for each store that changed the row, how many
/// of its changes. A store counts a change of its own when its export finds the row's hash
/// moved since the book last saw it (or the row gone); a version that crosses keeps its
/// vector. Comparing two vectors tells "newer", "older" and "changed on both sides" apart
/// whatever path the versions travelled (a hub and its spokes, files crossing in any
/// order), which one remembered base per row cannot (docs/decisions.md, "Versions").
public struct VersionVector: Sendable, Equatable {
    /// Store id → number of changes that store made to the row.
    public private(set) var counters: [String: Int64]

    public init(_ counters: [String: Int64] = [:]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    public var isEmpty: Bool { counters.isEmpty }

    public enum Order: Equatable {
        case equal
        /// Self saw fewer changes: the other version was made from it (or from a later one).
        case before
        case after
        /// Each side has a change the other has not seen.
        case concurrent
    }

    public func compare(_ other: VersionVector) -> Order {
        var less = false
        var greater = false
        for store in Set(counters.keys).union(other.counters.keys) {
            let mine = counters[store] ?? 0
            let theirs = other.counters[store] ?? 0
            if mine < theirs { less = true } else if mine > theirs { greater = true }
        }
        switch (less, greater) {
        case (false, false): return .equal
        case (true, false): return .before
        case (false, true): return .after
        case (true, true): return .concurrent
        }
    }

    /// Every change either side saw.
    public func joined(_ other: VersionVector) -> VersionVector {
        VersionVector(counters.merging(other.counters, uniquingKeysWith: max))
    }

    /// One more change by `store`.
    public func bumped(_ store: String) -> VersionVector {
        var counters = self.counters
        counters[store] = min(counters[store, default: 0], Self.maximumCount) + 1
        return VersionVector(counters)
    }

    /// `{"store":n,…}`, stores in byte order, so equal vectors are equal bytes.
    public func append(to out: inout JSONBuffer) {
        out.append(UInt8(ascii: "{"))
        for (index, store) in counters.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendString(store)
            out.append(UInt8(ascii: ":"))
            out.appendValue(.integer(counters[store]!))
        }
        out.append(UInt8(ascii: "}"))
    }

    public var bytes: [UInt8] {
        var out = JSONBuffer(capacity: 32)
        append(to: &out)
        return out.bytes
    }

    /// The most stores a vector may name: a row is changed by the stores that sync it, and a
    /// hostile record must not make every comparison cost a megabyte.
    package static let maximumStores = 4096
    package static let maximumCount: Int64 = 1 << 53

    /// Decodes `{"store":n,…}`; empty bytes (a book entry from before versions) are empty.
    public init(decoding bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { self.init(); return }
        try self.init(json: try JSONParser.parse(bytes))
    }

    package init(json: JSONValue) throws {
        guard case .object(let pairs) = json else { throw FerryError(.format, "\"versions\" must be an object of store ids and counts") }
        guard pairs.count <= Self.maximumStores else { throw FerryError(.format, "\"versions\" names \(pairs.count) stores; at most \(Self.maximumStores) are allowed") }
        var counters: [String: Int64] = [:]
        for (store, value) in pairs {
            // Counts stay far below Int64's end (2^53, as in manifests), so counting one more
            // change can never overflow, whatever a changeset claims.
            guard case .integer(let count) = value, (0...Self.maximumCount).contains(count), store.count <= 64, !store.isEmpty else {
                throw FerryError(.format, "\"versions\" must map store ids (1-64 characters) to counts from 0 to 2^53; found \(store.prefix(64)): \(value.kindName)")
            }
            counters[store] = count
        }
        self.init(counters)
    }
}
