import FerryKit
import FerrySQLite
import FerryPostgres
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
        let cloudCounts = try expectTheLocalRows(in: cloud, after: first)
        let dangling = try SampleCRM.tables.flatMap { try cloud.foreignKeyViolations(in: $0).examples }
        guard dangling.isEmpty else { throw FerryError(.data, "demo: dangling foreign keys in the cloud: \(dangling[0])") }
        log("   cloud now: \(describe(cloudCounts)); no duplicates, no dangling foreign keys")

        log("4. In the cloud, someone edits \"Test Company XYZ\"")
        try cloud.database.execute(cloudEdit)

        log("5. Export cloud, import into local")
        let (cloudExport, back, phone) = try bringTheEditBack(from: cloud, to: local, localPath: localPath, workDirectory: workDirectory, profile: profile, log: log, observer: observer)
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

    /// The edit the demo makes in the cloud, for the way back.
    private static let cloudEdit = "UPDATE customers SET phone = '+1 555 0199', name = 'Dana Whitfield' WHERE company = 'Test Company XYZ'"

    /// Row counts of the sample's tables (0 for one the store lacks).
    private static func counts(_ store: Store) throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try SampleCRM.tables.map { ($0, try store.tableExists($0) ? store.rowCount($0) : 0) })
    }

    /// Checks that the cloud holds every local row, none rejected, after `report`; returns its counts.
    private static func expectTheLocalRows(in cloud: Store, after report: ImportReport) throws -> [String: Int] {
        let cloudCounts = try counts(cloud)
        guard holdsTheLocalRows(cloudCounts), report.totals.rejected == 0 else {
            throw FerryError(.data, "demo: the cloud should hold \(describe(SampleCRM.localCounts)) with no rejects, but holds \(describe(cloudCounts)) (\(report.totals.rejected) rejected)")
        }
        return cloudCounts
    }

    /// Exports the cloud and imports it into local; returns the changeset, the report and
    /// the edited customer's phone as local now holds it.
    private static func bringTheEditBack(from cloud: Store, to local: SQLiteStore, localPath: String, workDirectory: String, profile: Profile,
                                         log: (String) -> Void, observer: ProgressObserver?) throws -> (ExportSummary, ImportReport, Value?) {
        let cloudExport = try Exporter(store: cloud, options: ExportOptions(profile: profile), observer: observer).export(to: workDirectory + "/cloud-to-local")
        let back = try Importer(store: local, changeset: try ChangesetReader(path: cloudExport.path), options: ImportOptions(), observer: observer).run(targetPath: localPath)
        log(indented(back.table()))
        return (cloudExport, back, try local.database.scalar("SELECT phone FROM customers WHERE company = 'Test Company XYZ'"))
    }

    private static func indented(_ text: String) -> String {
        text.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n")
    }

    private static func holdsTheLocalRows(_ counts: [String: Int]) -> Bool {
        SampleCRM.tables.allSatisfy { counts[$0] == SampleCRM.localCounts[$0] }
    }

    private static func describe(_ counts: [String: Int]) -> String {
        SampleCRM.tables.map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")
    }

    /// The field scenario with the cloud on PostgreSQL (`ferry demo --postgres URI`): the
    /// sample's cloud rows are loaded into an empty PostgreSQL database, the local SQLite
    /// store reconciles into it, an edit made there comes back, and bringing it back
    /// changes only the edited row. Only the local side is prepared: the cloud is matched
    /// by natural keys, as a server nobody prepared for Ferry would be.
    public static func runWithPostgresCloud(uri: String, schema: String = "public", workDirectory: String, log: (String) -> Void, observer: ProgressObserver? = nil) throws {
        let sample = try SampleCRM.locate()
        let localPath = workDirectory + "/local.db"
        let cloudSeedPath = workDirectory + "/cloud-seed.db"
        let profile = try Profile.load(path: sample.profilePath)

        let cloud = try PostgresStore(uri: uri, schema: schema)
        let existing = try SampleCRM.tables.filter { try cloud.tableExists($0) }
        guard existing.isEmpty else {
            throw FerryError(.usage, "demo: \(cloud.displayName) already has the sample's tables (\(existing.joined(separator: ", "))). Give the demo an empty database (createdb ferry_demo), or another --schema.")
        }
        log("1. Build the local SQLite database, and load the cloud's rows into PostgreSQL (\(cloud.displayName))")
        try sample.build(.local, at: localPath)
        try sample.build(.cloud, at: cloudSeedPath)
        let local = try SQLiteStore(path: localPath, mode: .readWrite)
        let seed = try Exporter(store: try SQLiteStore(path: cloudSeedPath, mode: .readOnly), options: ExportOptions(profile: profile)).export(to: workDirectory + "/cloud-seed")
        _ = try Importer(store: cloud, changeset: try ChangesetReader(path: seed.path), options: ImportOptions(), observer: observer).run(targetPath: workDirectory + "/cloud")
        log("   local: \(describe(try counts(local)))")
        log("   cloud: \(describe(try counts(cloud)))  (same people and products, different ids)")
        _ = try Preparer.prepare(store: local, tables: nil, profile: profile)

        log("2. Export local, import into the PostgreSQL cloud")
        let localExport = try Exporter(store: local, options: ExportOptions(profile: profile), observer: observer).export(to: workDirectory + "/local-to-cloud")
        let first = try Importer(store: cloud, changeset: try ChangesetReader(path: localExport.path), options: ImportOptions(), observer: observer).run(targetPath: workDirectory + "/cloud")
        log(indented(first.table()))
        let cloudCounts = try expectTheLocalRows(in: cloud, after: first)
        log("   cloud now: \(describe(cloudCounts)); no duplicates, and PostgreSQL checked every foreign key")

        log("3. In the cloud, someone edits \"Test Company XYZ\"")
        try cloud.connection.execute(cloudEdit)

        log("4. Export the cloud, import into local: only the edited row changes")
        let (_, back, phone) = try bringTheEditBack(from: cloud, to: local, localPath: localPath, workDirectory: workDirectory, profile: profile, log: log, observer: observer)
        guard phone == .text("+1 555 0199"), back.totals.updated == 1, back.totals.inserted == 0, back.totals.rejected == 0 else {
            throw FerryError(.data, "demo: bringing the cloud back should update exactly the edited row, but \(back.totals.updated) updated, \(back.totals.inserted) inserted, \(back.totals.rejected) rejected")
        }
        log("   local: the edit arrived (phone \(phone!)); 1 row updated, nothing else touched")
        log("Files are in \(workDirectory); the cloud's tables stay in \(cloud.displayName).")
    }
}
