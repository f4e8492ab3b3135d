import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// Each reject kind, from a real changeset edited as a user would: the bad record is
/// rejected with its reason and written to the rejects file, every other row is applied,
/// and `strict` applies nothing.
@Suite struct RejectTests {
    private struct Outcome {
        let report: ImportReport
        let rejects: [JSONValue]
    }

    private func run(_ scenario: Scenario, _ changeset: String, strict: Bool = false) throws -> Outcome {
        let rejectsPath = scenario.directory.appendingPathComponent("rejects-\(UUID().uuidString.prefix(6)).ndjson").path
        let report = try scenario.importChangeset(changeset, into: scenario.cloud, options: ImportOptions(strict: strict, rejectsPath: rejectsPath))
        let text = (try? String(contentsOfFile: rejectsPath, encoding: .utf8)) ?? ""
        let rejects = try text.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
        return Outcome(report: report, rejects: rejects)
    }

    private func reasons(_ outcome: Outcome) -> [String] {
        outcome.rejects.compactMap { $0["reject"]?["reason"]?.stringValue }
    }

    /// `strict` must leave the target byte-identical.
    private func expectStrictAppliesNothing(_ scenario: Scenario, _ changeset: String) throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: scenario.cloudPath))
        #expect(throws: FerryError.self) { _ = try run(scenario, changeset, strict: true) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: scenario.cloudPath)) == before)
    }

    @Test func aNullInANotNullColumnIsAConstraintReject() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            let changeset = try scenario.export(scenario.local, name: "l2c")
            try editTable(changeset, "proposals") { lines in [setField(lines[0], "title", "null")] + lines.dropFirst() }
            try expectStrictAppliesNothing(scenario, changeset)
            let outcome = try run(scenario, changeset)
            #expect(reasons(outcome) == ["constraint"])
            #expect(outcome.rejects.first?["reject"]?["line"] == .integer(1))
            #expect(outcome.rejects.first?["reject"]?["table"]?.stringValue == "proposals")
            #expect(outcome.report.totals.rejected == 1)
            #expect(try scenario.count(scenario.cloud, "proposals") == 4)
            #expect(try scenario.count(scenario.cloud, "customers") == 5)
        }
    }

    @Test func theRejectsFileImportsOnceFixed() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            let changeset = try scenario.export(scenario.local, name: "l2c")
            var originalTitle: JSONValue?
            try editTable(changeset, "proposals") { lines in
                originalTitle = rowField(lines[2], "title")
                return Array(lines[0..<2]) + [setField(lines[2], "title", "null")] + lines.dropFirst(3)
            }
            let rejectsPath = directory.appendingPathComponent("rejects.ndjson").path
            _ = try scenario.importChangeset(changeset, into: scenario.cloud, options: ImportOptions(rejectsPath: rejectsPath))
            // The user fixes the line in place, then imports the file itself.
            let line = try String(contentsOfFile: rejectsPath, encoding: .utf8).trimmingCharacters(in: .newlines)
            var title = JSONBuffer()
            title.appendJSON(originalTitle!)
            try (setField(line, "title", title.string) + "\n").write(toFile: rejectsPath, atomically: true, encoding: .utf8)
            let report = try scenario.importChangeset(rejectsPath, into: scenario.cloud)
            #expect(report.totals.inserted == 1)
            #expect(report.totals.rejected == 0)
            #expect(try scenario.count(scenario.cloud, "proposals") == 5)
            #expect(try scenario.cloud.database.rows("PRAGMA foreign_key_check").isEmpty)
        }
    }

    @Test func childrenOfARemovedParentAreMissingParentRejects() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            let changeset = try scenario.export(scenario.local, name: "l2c")
            // Remove the customer with the most proposals (not the one the cloud already has).
            let customer = try scenario.local.database.scalar("""
                SELECT c.id FROM customers c JOIN proposals p ON p.customerId = c.id
                WHERE c.email IS NOT 'procurement@acme-logistics.example.com' GROUP BY c.id ORDER BY count(*) DESC LIMIT 1
                """)!.string!
            let orphans = try scenario.local.database.scalar("SELECT count(*) FROM proposals WHERE customerId = ?", [.text(customer)])
            try editTable(changeset, "customers") { $0.filter { rowField($0, "id") != .string(Array(customer.utf8)) } }
            try expectStrictAppliesNothing(scenario, changeset)
            let outcome = try run(scenario, changeset)
            guard case .integer(let expected)? = orphans else { Issue.record("no count"); return }
            #expect(reasons(outcome) == Array(repeating: "missing_parent", count: Int(expected)))
            #expect(try scenario.count(scenario.cloud, "proposals") == 5 - Int(expected))
            #expect(try scenario.count(scenario.cloud, "customers") == 4)
            #expect(try scenario.cloud.database.rows("PRAGMA foreign_key_check").isEmpty)
        }
    }

    @Test func twoTargetRowsSharingAFallbackCompositeAreAnAmbiguousMatch() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            // Two cloud customers share the company of the local customer that has no email.
            try scenario.cloud.database.execute("""
                INSERT INTO customers (id, company, createdBy, syncStatus, createdAt)
                SELECT 'dup-' || n, 'Nordlicht Café & Bäckerei', (SELECT id FROM users LIMIT 1), 'pending', '2026-01-01'
                FROM (SELECT 1 AS n UNION ALL SELECT 2)
                """)
            let changeset = try scenario.export(scenario.local, name: "l2c")
            try expectStrictAppliesNothing(scenario, changeset)
            let outcome = try run(scenario, changeset)
            let customerRejects = outcome.rejects.filter { $0["reject"]?["table"]?.stringValue == "customers" }
            #expect(customerRejects.count == 1)
            #expect(customerRejects.first?["reject"]?["reason"]?.stringValue == "ambiguous_match")
            #expect(customerRejects.first?["row"]?["company"]?.stringValue == "Nordlicht Café & Bäckerei")
            #expect(try scenario.count(scenario.cloud, "customers") == 1 + 2 + 3, "Acme, the two look-alikes, three inserted")
            // Children of the ambiguous customer are not attached to a guess.
            #expect(reasons(outcome).allSatisfy { ["ambiguous_match", "missing_parent"].contains($0) })
        }
    }

    @Test func aTextIdTakenByAnotherRowIsAPkCollision() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            let id = try scenario.local.database.scalar("SELECT id FROM customers WHERE company = 'Pinecrest Realty'")!
            // Another logical customer in the cloud already uses that id (and has its own cloudId).
            try scenario.cloud.database.execute("""
                INSERT INTO customers (id, cloudId, email, company, createdBy, syncStatus, createdAt)
                VALUES ('\(id.string!)', 'cloud-only-customer', 'someone@else.example', 'Other Corp', (SELECT id FROM users LIMIT 1), 'pending', '2026-01-01')
                """)
            let changeset = try scenario.export(scenario.local, name: "l2c")
            try expectStrictAppliesNothing(scenario, changeset)
            let outcome = try run(scenario, changeset)
            let collision = outcome.rejects.first { $0["reject"]?["reason"]?.stringValue == "pk_collision" }
            let message = collision?["reject"]?["message"]?.stringValue ?? ""
            #expect(message.contains("cloud-only-customer") && message.contains("Other Corp"), "both identities: \(message)")
            #expect(collision?["reject"]?["table"]?.stringValue == "customers")
            #expect(try scenario.cloud.database.scalar("SELECT company FROM customers WHERE id = ?", [id]) == .text("Other Corp"))
        }
    }

    @Test func aCloudIdAndANaturalKeyPointingAtTwoRowsIsIdentityDrift() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            // Users get cloudIds on both sides; a first sync stamps the local ones on the cloud.
            _ = try Preparer.prepare(store: scenario.local, tables: ["users"], profile: scenario.profile)
            _ = try Preparer.prepare(store: scenario.cloud, tables: ["users"], profile: scenario.profile)
            _ = try scenario.importChangeset(try scenario.export(scenario.local, name: "first", tables: ["roles", "users"]), into: scenario.cloud)
            // In the cloud, Ann's cloudId now sits on Bob's row: the two identities disagree.
            let emails = try scenario.cloud.database.rows("SELECT email, cloudId FROM users ORDER BY email LIMIT 2")
            try scenario.cloud.database.execute("UPDATE users SET cloudId = NULL WHERE email = '\(emails[0][0].string!)'")
            try scenario.cloud.database.execute("UPDATE users SET cloudId = '\(emails[0][1].string!)' WHERE email = '\(emails[1][0].string!)'")
            let changeset = try scenario.export(scenario.local, name: "second", tables: ["roles", "users"])
            try expectStrictAppliesNothing(scenario, changeset)
            let outcome = try run(scenario, changeset)
            #expect(reasons(outcome).contains("identity_drift"))
            #expect(outcome.rejects.first { $0["reject"]?["reason"]?.stringValue == "identity_drift" }?["row"]?["email"]?.stringValue == emails[0][0].string)
            #expect(try scenario.count(scenario.cloud, "users") == 10)
        }
    }

    @Test func aColumnTheTargetLacksIsASchemaReject() throws {
        try withTemporaryDirectory { directory in
            let scenario = try Scenario(in: directory)
            try scenario.local.database.execute("ALTER TABLE proposals ADD COLUMN priority INTEGER DEFAULT 1")
            let changeset = try scenario.export(scenario.local, name: "l2c")
            try expectStrictAppliesNothing(scenario, changeset)
            let outcome = try run(scenario, changeset)
            #expect(reasons(outcome) == Array(repeating: "schema", count: 5))
            #expect(outcome.rejects.first?["reject"]?["message"]?.stringValue?.contains("\"priority\"") == true)
            #expect(try scenario.count(scenario.cloud, "customers") == 5, "other tables are applied")
        }
    }
}
