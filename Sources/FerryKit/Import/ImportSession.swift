import Foundation

/// The state of one import inside its transaction: target definitions, reference
/// resolvers, the queue of records waiting for a parent, and the figures.
struct ImportSession {
    private let store: Store
    private let changeset: ChangesetReader
    private let profile: Profile
    private let rejects: RejectsWriter
    private weak var observer: ProgressObserver?
    private var targets: [String: TableDefinition] = [:]
    /// One resolver per parent table, shared by every reconciler (so caches are shared too).
    private final class Resolvers { var cache: [String: ReferenceResolver] = [:] }
    private let resolvers = Resolvers()
    private var keyMap: KeyMap?
    /// Tables some changeset table points at: their source → target keys are mapped.
    private var referenced = Set<String>()
    private var reconcilers: [TableReconciler] = []
    private var results: [ImportReport.Table] = []
    /// Tables (lowercased names) whose rows may still arrive: the current one, later ones,
    /// and, while deferred records are retried, every table of the changeset. A class, so
    /// the reconcilers' closures see it change.
    private final class PendingTables { var names = Set<String>() }
    private let pending = PendingTables()

    init(store: Store, changeset: ChangesetReader, profile: Profile, rejects: RejectsWriter, observer: ProgressObserver?) throws {
        self.store = store
        self.changeset = changeset
        self.profile = profile
        self.rejects = rejects
        self.observer = observer
    }

    mutating func run() throws -> [ImportReport.Table] {
        let tables = changeset.manifest.tables
        for table in tables where !(try store.tableExists(table.name)) {
            try store.createTable(table.definition)
        }
        for definition in try store.tables(profile: profile) {
            targets[definition.name.lowercased()] = definition
        }
        keyMap = try store.makeKeyMap()
        referenced = Set(tables.flatMap { $0.definition.references.map { $0.table.lowercased() } })
        let violationsBefore = try tables.map { try store.foreignKeyViolations(in: $0.name).count }
        let deferred = try SpillFile()
        pending.names = Set(tables.map { $0.name.lowercased() })

        for (index, table) in tables.enumerated() {
            let started = Date()
            results.append(ImportReport.Table(name: table.name))
            let reconciler = try makeReconciler(for: table)
            reconcilers.append(reconciler)
            var ticker = ProgressTicker(observer: observer, task: "import \(table.name)", total: table.rows)
            try changeset.forEachRecord(in: table) { lineNumber, record, line in
                try handle(reconciler.apply(record), tableIndex: index, lineNumber: lineNumber, line: line, deferred: deferred)
                ticker.advance()
            }
            ticker.finish()
            pending.names.remove(table.name.lowercased())
            results[index].seconds = Date().timeIntervalSince(started)
        }
        try retryDeferred(deferred, tableCount: tables.count)

        for (table, before) in zip(tables, violationsBefore) {
            let violations = try store.foreignKeyViolations(in: table.name)
            if violations.count > before {
                throw FerryError(.data, "after import, rows of table \(table.name) point at missing parents: \(violations.prefix(3).joined(separator: "; ")). Nothing was imported. Export the parent tables too, or import into a target that has them.")
            }
        }
        return results
    }

    private mutating func makeReconciler(for table: ManifestTable) throws -> TableReconciler {
        guard let target = targets[table.name.lowercased()] else {
            throw FerryError(.schema, "table \(table.name) cannot be written in \(store.displayName) (it is virtual, or excluded by the profile).")
        }
        let store = self.store
        let targets = self.targets
        let pending = self.pending
        return try TableReconciler(
            incoming: table, target: target, store: store, keyMap: keyMap!, mapsKeys: referenced.contains(table.name.lowercased()), parents: targets,
            resolvers: { [resolvers] parent in
                let key = parent.lowercased()
                if let resolver = resolvers.cache[key] { return resolver }
                guard let definition = targets[key] else { return nil }
                let resolver = ReferenceResolver(parent: definition, access: try store.makeTableAccess(definition))
                resolvers.cache[key] = resolver
                return resolver
            },
            isPending: { pending.names.contains($0.lowercased()) })
    }

    private mutating func handle(_ outcome: TableReconciler.Outcome, tableIndex: Int, lineNumber: Int, line: UnsafeBufferPointer<UInt8>, deferred: SpillFile) throws {
        switch outcome {
        case .inserted: results[tableIndex].counts.inserted += 1
        case .updated: results[tableIndex].counts.updated += 1
        case .unchanged: results[tableIndex].counts.unchanged += 1
        case .deferred: try deferred.append(tableIndex: tableIndex, lineNumber: lineNumber, line: line)
        case .rejected(let rejection):
            results[tableIndex].counts.rejected += 1
            let table = changeset.manifest.tables[tableIndex]
            try rejects.write(line: line, table: table.name, match: table.definition.fallbackMatchSets, lineNumber: lineNumber, rejection: rejection)
        }
    }

    /// Records whose parent had not arrived yet (self references, cycles, children listed
    /// before parents) are retried until a round applies none; what is left is missing_parent.
    private mutating func retryDeferred(_ first: SpillFile, tableCount: Int) throws {
        var queue = first
        var final = false
        while queue.count > 0 {
            let next = try SpillFile()
            pending.names = final ? [] : Set(changeset.manifest.tables.map { $0.name.lowercased() })
            var applied = 0
            try queue.forEach { tableIndex, lineNumber, line in
                let table = changeset.manifest.tables[tableIndex]
                let record = try ChangesetReader.decode(line, table: table.name, file: table.file, lineNumber: lineNumber)
                let outcome = try reconcilers[tableIndex].apply(record)
                if case .deferred = outcome {} else { applied += 1 }
                try handle(outcome, tableIndex: tableIndex, lineNumber: lineNumber, line: line, deferred: next)
            }
            if final { break }
            if applied == 0 { final = true }
            queue = next
        }
    }
}
