import Foundation

/// `ferry demo`: the field scenario end to end on the bundled sample CRM, narrated through `log`.
///
/// Two databases hold the same users, roles, permissions and products under different ids;
/// the cloud already has one of the local customers. Ferry moves local → cloud, an edit
/// cloud → local, and shows a replay changes nothing. Every claim printed is checked.
public enum Demo {
    public static func run(workDirectory: String, log: (String) -> Void, observer: ProgressObserver? = nil) throws {
        let sample = try SampleCRM.locate()
        let localPath = workDirectory + "/local.db"
        let cloudPath = workDirectory + "/cloud.db"
        let profile = try Profile.load(path: sample.profilePath)
        func indented(_ text: String) -> String {
            text.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n")
        }
        func counts(_ store: SQLiteStore) throws -> [String: Int] {
            Dictionary(uniqueKeysWithValues: try store.tables(profile: .empty).map { ($0.name, try store.rowCount($0.name)) })
        }
        func holdsTheLocalRows(_ counts: [String: Int]) -> Bool {
            SampleCRM.tables.allSatisfy { counts[$0] == SampleCRM.localCounts[$0] }
        }
        func describe(_ counts: [String: Int]) -> String {
            SampleCRM.tables.map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        }

        log("1. Build the two databases of the field report from \(sample.folder)")
        try sample.build(.local, at: localPath)
        try sample.build(.cloud, at: cloudPath)
        let local = try SQLiteStore(path: localPath, mode: .readWrite)
        let cloud = try SQLiteStore(path: cloudPath, mode: .readWrite)
        log("   local: \(describe(try counts(local)))")
        log("   cloud: \(describe(try counts(cloud)))  (same people and products, different ids)")

        log("2. Prepare both: give every customer, proposal and content row a cloudId")
        for (name, store) in [("local", local), ("cloud", cloud)] {
            let results = try Preparer.prepare(store: store, tables: nil, profile: profile)
            log("   \(name): " + results.map { "\($0.table) \($0.filled)" }.joined(separator: ", "))
        }

        log("3. Export local, verify, import into cloud")
        let localExport = try Exporter(store: local, options: ExportOptions(profile: profile), observer: observer).export(to: workDirectory + "/local-to-cloud")
        let toCloud = try ChangesetReader(path: localExport.path)
        let verified = try Verifier.verify(toCloud)
        log("   \(localExport.path): \(counted(verified.count, "file")), \(counted(verified.reduce(0) { $0 + $1.rows }, "record")), checksums ok")
        let first = try Importer(store: cloud, changeset: toCloud, options: ImportOptions(), observer: observer).run(targetPath: cloudPath)
        log(indented(first.table()))
        let cloudCounts = try counts(cloud)
        guard holdsTheLocalRows(cloudCounts), first.totals.rejected == 0 else {
            throw FerryError(.data, "demo: the cloud should hold \(describe(SampleCRM.localCounts)) with no rejects, but holds \(describe(cloudCounts)) (\(first.totals.rejected) rejected)")
        }
        let dangling = try SampleCRM.tables.flatMap { try cloud.foreignKeyViolations(in: $0) }
        guard dangling.isEmpty else { throw FerryError(.data, "demo: dangling foreign keys in the cloud: \(dangling[0])") }
        log("   cloud now: \(describe(cloudCounts)); no duplicates, no dangling foreign keys")

        log("4. In the cloud, someone edits \"Test Company XYZ\"")
        try cloud.database.execute("UPDATE customers SET phone = '+1 555 0199', name = 'Dana Whitfield' WHERE company = 'Test Company XYZ'")

        log("5. Export cloud, import into local")
        let cloudExport = try Exporter(store: cloud, options: ExportOptions(profile: profile), observer: observer).export(to: workDirectory + "/cloud-to-local")
        let back = try Importer(store: local, changeset: try ChangesetReader(path: cloudExport.path), options: ImportOptions(), observer: observer).run(targetPath: localPath)
        log(indented(back.table()))
        let phone = try local.database.scalar("SELECT phone FROM customers WHERE company = 'Test Company XYZ'")
        let localCounts = try counts(local)
        guard phone == .text("+1 555 0199"), holdsTheLocalRows(localCounts) else {
            throw FerryError(.data, "demo: the edit did not arrive in local, or rows were duplicated (\(describe(localCounts)))")
        }
        log("   local: the edit arrived (phone \(phone!)), still \(describe(localCounts))")

        log("6. Import the same changeset again: nothing changes")
        let again = try Importer(store: local, changeset: try ChangesetReader(path: cloudExport.path), options: ImportOptions(), observer: observer).run(targetPath: localPath)
        guard again.totals.inserted == 0, again.totals.updated == 0, again.totals.rejected == 0 else {
            throw FerryError(.data, "demo: a replay changed rows (\(again.totals.inserted) inserted, \(again.totals.updated) updated)")
        }
        log("   \(again.totals.unchanged) unchanged, 0 inserted, 0 updated")

        log("7. Backup and replay: the cloud's changeset into an empty database")
        let replayPath = workDirectory + "/replay.db"
        let replay = try SQLiteStore(path: replayPath, mode: .readWriteCreate)
        _ = try Importer(store: replay, changeset: try ChangesetReader(path: cloudExport.path), options: ImportOptions(), observer: observer).run(targetPath: replayPath)
        if let difference = try DatabaseComparison.firstDifference(cloud, replay, tables: SampleCRM.tables) {
            throw FerryError(.data, "demo: the replay differs from the cloud: \(difference)")
        }
        log("   \(replayPath) equals the cloud: same tables, rows, storage classes and exact values")
        log("Files are in \(workDirectory); `ferry inspect --db \(cloudPath)` shows the import log.")
    }
}
