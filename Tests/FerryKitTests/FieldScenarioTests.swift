import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

@Suite struct FieldScenarioTests {
    /// Every proposal and content row, described by natural keys only (no ids).
    private func logicalRows(_ store: SQLiteStore) throws -> [String] {
        try store.database.rows("""
            SELECT 'proposal ' || p.title || '|' || p.type || '|' || c.company || '|' || u.email || '|' || coalesce(pr.sku, '-')
            FROM proposals p JOIN customers c ON c.id = p.customerId JOIN users u ON u.id = p.createdBy LEFT JOIN products pr ON pr.id = p.productId
            UNION ALL
            SELECT 'content ' || t.title || '|' || t.type || '|' || u.email || '|' || coalesce(parent.title || '/' || parent.type, '-')
            FROM content t JOIN users u ON u.id = t.createdBy LEFT JOIN content parent ON parent.id = t.parentId
            UNION ALL
            SELECT 'customer ' || c.company || '|' || coalesce(c.email, '-') || '|' || u.email FROM customers c JOIN users u ON u.id = c.createdBy
            UNION ALL
            SELECT 'user ' || u.email || '|' || r.name FROM users u JOIN roles r ON r.id = u.roleId
            ORDER BY 1
            """).map { $0[0].string ?? "" }
    }

    @Test func localToCloudBringsEveryLogicalRowOnceWithReferencesRemapped() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            let report = try scenario.importChangeset(try scenario.export(scenario.local, name: "l2c"), into: scenario.cloud)
            #expect(report.totals.rejected == 0)
            for (table, expected) in SampleCRM.localCounts {
                #expect(try scenario.count(scenario.cloud, table) == expected, "\(table)")
            }
            #expect(try scenario.cloud.database.rows("PRAGMA foreign_key_check").isEmpty)
            #expect(try logicalRows(scenario.cloud) == logicalRows(scenario.local))
            // Users, roles, permissions and products existed under other ids: matched, not copied.
            for table in ["users", "roles", "permissions", "products"] {
                #expect(report.tables.first { $0.name == table }?.counts.unchanged == SampleCRM.localCounts[table])
            }
            // No local id leaked into the cloud's shared tables.
            #expect(try scenario.cloud.database.scalar("SELECT count(*) FROM users WHERE id IN (SELECT id FROM users WHERE email LIKE '%' ) AND id LIKE '%k3v9%'") == .integer(0))
        }
    }

    @Test func eachTableIsRecognisedByItsOwnStrategy() throws {
        try withTemporaryDirectory { directory in
            // The cloud is not prepared: its rows have no cloudId, so only keys can match them.
            let scenario = try Scenario(in: directory, prepareCloud: false)
            // Seed the cloud with copies of local rows under new ids: the customer with no
            // email (company fallback), one proposal (title, type, customer) and one content
            // row (title, type, createdBy), each pointing at the cloud's own parents.
            try scenario.cloud.database.execute("""
                ATTACH DATABASE '\(scenario.localPath)' AS l;
                INSERT INTO customers (id, email, company, name, phone, createdBy, syncStatus, createdAt)
                  SELECT 'cloud-nordlicht', c.email, c.company, c.name, c.phone, cu.id, c.syncStatus, c.createdAt
                  FROM l.customers c JOIN l.users lu ON lu.id = c.createdBy JOIN users cu ON cu.email = lu.email WHERE c.email IS NULL;
                INSERT INTO proposals (id, title, type, customerId, createdBy, amount, status, syncStatus, createdAt)
                  SELECT 'cloud-proposal', p.title, p.type, 'cloud-nordlicht', cu.id, p.amount, p.status, p.syncStatus, p.createdAt
                  FROM l.proposals p JOIN l.customers c ON c.id = p.customerId JOIN l.users lu ON lu.id = p.createdBy JOIN users cu ON cu.email = lu.email
                  WHERE c.email IS NULL LIMIT 1;
                INSERT INTO content (id, title, type, body, createdBy, syncStatus, createdAt)
                  SELECT 'cloud-content', t.title, t.type, t.body, cu.id, t.syncStatus, t.createdAt
                  FROM l.content t JOIN l.users lu ON lu.id = t.createdBy JOIN users cu ON cu.email = lu.email WHERE t.parentId IS NULL LIMIT 1;
                DETACH DATABASE l;
                """)
            #expect(try scenario.count(scenario.cloud, "proposals") == 1, "the sample has a proposal for the customer without email")
            let report = try scenario.importChangeset(try scenario.export(scenario.local, name: "l2c"), into: scenario.cloud)
            #expect(report.totals.rejected == 0)
            for (table, expected) in SampleCRM.localCounts {
                #expect(try scenario.count(scenario.cloud, table) == expected, "\(table): a match must not become a copy")
            }
            // Matched rows kept their cloud ids and were stamped with the local cloudIds.
            for (table, id) in [("customers", "cloud-nordlicht"), ("proposals", "cloud-proposal"), ("content", "cloud-content")] {
                let stamped = try scenario.cloud.database.scalar("SELECT cloudId FROM \(table) WHERE id = ?", [.text(id)])
                let local = try scenario.local.database.scalar("SELECT cloudId FROM \(table) WHERE cloudId = ?", [stamped ?? .null])
                #expect(stamped != nil && stamped != .null && local == stamped, "\(table)")
            }
            // Acme, the customer both sides had, matched by email.
            #expect(try scenario.cloud.database.scalar("SELECT count(*) FROM customers WHERE email = 'procurement@acme-logistics.example.com'") == .integer(1))
            #expect(try logicalRows(scenario.cloud) == logicalRows(scenario.local))
        }
    }

    @Test func anEditTravelsBackAndAReplayChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            _ = try scenario.importChangeset(try scenario.export(scenario.local, name: "l2c"), into: scenario.cloud)
            try scenario.cloud.database.execute("UPDATE customers SET phone = '+1 555 0199' WHERE company = 'Test Company XYZ'")
            let back = try scenario.export(scenario.cloud, name: "c2l")
            let report = try scenario.importChangeset(back, into: scenario.local)
            #expect(report.totals.updated == 1)
            #expect(report.totals.inserted == 0)
            #expect(try scenario.local.database.scalar("SELECT phone FROM customers WHERE company = 'Test Company XYZ'") == .text("+1 555 0199"))
            let before = try Data(contentsOf: URL(fileURLWithPath: scenario.localPath))
            let again = try scenario.importChangeset(back, into: scenario.local)
            #expect(again.totals.inserted == 0 && again.totals.updated == 0 && again.totals.rejected == 0)
            #expect(again.totals.unchanged == 98)
            #expect(try Data(contentsOf: URL(fileURLWithPath: scenario.localPath)) == before, "a replay leaves the target byte-identical")
        }
    }

    @Test func aChangedNaturalKeyUpdatesTheSameRowThroughItsCloudId() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            _ = try scenario.importChangeset(try scenario.export(scenario.local, name: "first"), into: scenario.cloud)
            try scenario.local.database.execute("UPDATE customers SET email = 'new-address@testcompanyxyz.com' WHERE company = 'Test Company XYZ'")
            let report = try scenario.importChangeset(try scenario.export(scenario.local, name: "second"), into: scenario.cloud)
            #expect(report.tables.first { $0.name == "customers" }?.counts.updated == 1)
            #expect(try scenario.count(scenario.cloud, "customers") == 5)
            #expect(try scenario.cloud.database.scalar("SELECT email FROM customers WHERE company = 'Test Company XYZ'") == .text("new-address@testcompanyxyz.com"))
        }
    }

    @Test func aDryRunReportsTheRealFiguresAndWritesNothing() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            let changeset = try scenario.export(scenario.local, name: "l2c")
            let before = try Data(contentsOf: URL(fileURLWithPath: scenario.cloudPath))
            let dry = try scenario.importChangeset(changeset, into: scenario.cloud, options: ImportOptions(dryRun: true))
            #expect(dry.dryRun)
            #expect(try Data(contentsOf: URL(fileURLWithPath: scenario.cloudPath)) == before)
            let real = try scenario.importChangeset(changeset, into: scenario.cloud)
            #expect(dry.tables.map(\.counts) == real.tables.map(\.counts))
            #expect(real.totals.inserted == 14)
        }
    }

    @Test func childrenListedBeforeTheirParentAreAppliedInALaterRound() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            let changeset = try scenario.export(scenario.local, name: "l2c")
            // Reverse the content file: every child now comes before its parent.
            try editTable(changeset, "content") { $0.reversed() }
            let report = try scenario.importChangeset(changeset, into: scenario.cloud)
            #expect(report.totals.rejected == 0)
            #expect(try logicalRows(scenario.cloud) == logicalRows(scenario.local))
        }
    }

    @Test func everyApplyIsRecordedInTheImportLog() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            let changeset = try scenario.export(scenario.local, name: "l2c")
            _ = try scenario.importChangeset(changeset, into: scenario.cloud)
            _ = try scenario.importChangeset(changeset, into: scenario.cloud)
            let log = try scenario.cloud.importLog()
            #expect(log.count == 1, "a replay that changed nothing is not logged")
            #expect(log.first?.changesetId == (try ChangesetReader(path: changeset)).manifest.changesetId)
            #expect(log.first?.totals.inserted == 14)
            #expect(log.first?.sourceName == "local.db")
        }
    }
}
