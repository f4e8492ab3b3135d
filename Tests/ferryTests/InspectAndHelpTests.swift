import Foundation
import Testing

/// `ferry inspect` summarises a changeset for a person (text) or a script (--json); `ferry
/// --help` and the README name the same subcommands.
@Suite struct InspectAndHelpTests {
    /// The sample's tables: rows, primary key, keys (match sets) and references as inspect prints them.
    static let sampleTables: [(name: String, rows: Int, keys: String?, references: [String])] = [
        ("roles", 6, "(name)", []),
        ("users", 10, "(email)", ["roleId → roles(id)"]),
        ("permissions", 61, "(resource, action, scope)", []),
        ("products", 6, "(sku)", []),
        ("customers", 5, nil, ["createdBy → users(id)"]),
        ("proposals", 5, nil, ["customerId → customers(id)", "productId → products(id)", "createdBy → users(id)"]),
        ("content", 5, nil, ["createdBy → users(id)", "parentId → content(id)"]),
    ]

    /// The text block inspect prints for `table`: from its heading line to the next blank line.
    func block(of table: String, in output: String) -> [String]? {
        let blocks = output.components(separatedBy: "\n\n").map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        return blocks.first { $0.first?.hasPrefix("\(table)  ") == true }
    }

    @Test func inspectListsEveryTableWithRowsKeysAndReferences() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let result = try ferry(["inspect", changeset.path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("tables     7, 98 rows"), "\(result.stdout)")
            for table in Self.sampleTables {
                let lines = try #require(block(of: table.name, in: result.stdout), "no block for \(table.name) in:\n\(result.stdout)")
                #expect(lines[0].hasPrefix("\(table.name)  \(table.rows) rows, "), "\(lines[0])")
                #expect(lines[0].hasSuffix("\(table.name).ndjson.gz"), "\(lines[0])")
                #expect(lines.contains("  primary key id"), "\(table.name): \(lines)")
                if let keys = table.keys {
                    #expect(lines.contains("  keys        \(keys)"), "\(table.name): \(lines)")
                }
                let references = lines.filter { $0.hasPrefix("  references  ") }.map { String($0.dropFirst("  references  ".count)) }
                #expect(Set(references) == Set(table.references), "\(table.name): \(lines)")
            }
            let users = try #require(block(of: "users", in: result.stdout))
            #expect(users.contains("  keys        (email)"))
            #expect(users.contains("  references  roleId → roles(id)"))
        }
    }

    @Test func inspectOfOneTableShowsExactlyTheSampleRowsAskedFor() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let result = try ferry(["inspect", changeset.path, "--table", "users", "--rows", "2"])
            #expect(result.status == 0, "\(result.stderr)")
            let samples = result.stdout.split(separator: "\n").filter { $0.hasPrefix("  | ") }
            #expect(samples.count == 2, "\(result.stdout)")
            for sample in samples {
                let object = try JSONSerialization.jsonObject(with: Data(sample.dropFirst(4).utf8)) as? [String: Any]
                #expect((object?["row"] as? [String: Any])?["email"] != nil, "\(sample)")
            }
            #expect(block(of: "roles", in: result.stdout) == nil, "--table users also printed roles")
            let none = try ferry(["inspect", changeset.path, "--table", "users", "--rows", "0"])
            #expect(none.status == 0, "\(none.stderr)")
            #expect(!none.stdout.contains("  | "), "\(none.stdout)")
        }
    }

    @Test func inspectJSONParsesWithSevenTables() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let result = try ferry(["inspect", changeset.path, "--json", "--rows", "1"])
            #expect(result.status == 0, "\(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "not a JSON object: \(result.stdout)")
            let tables = try #require(json["tables"] as? [[String: Any]])
            #expect(tables.count == 7)
            #expect(tables.compactMap { $0["rows"] as? Int }.reduce(0, +) == 98)
            let users = try #require(tables.first { $0["name"] as? String == "users" })
            #expect(users["rows"] as? Int == 10)
            #expect(users["primaryKey"] as? [String] == ["id"])
            #expect(users["matchSets"] as? [[String]] == [["email"]])
            let references = try #require(users["references"] as? [[String: Any]])
            #expect(references.first?["columns"] as? [String] == ["roleId"])
            #expect(references.first?["table"] as? String == "roles")
            #expect((users["samples"] as? [Any])?.count == 1)
        }
    }

    @Test func inspectOfAnUnknownTableListsTheTables() throws {
        try withTemporaryDirectory { directory in
            let changeset = try exportSample(in: directory)
            let result = try ferry(["inspect", changeset.path, "--table", "nosuchtable"])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
            #expect(result.stderr.contains("nosuchtable"), "\(result.stderr)")
            for table in Self.sampleTables {
                #expect(result.stderr.contains(table.name), "\(table.name) not listed: \(result.stderr)")
            }
            #expect(result.stdout.isEmpty)
        }
    }

    /// The subcommand names under SUBCOMMANDS: in `ferry --help`.
    func helpSubcommands() throws -> [String] {
        let result = try ferry(["--help"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "SUBCOMMANDS:"), "no SUBCOMMANDS: section in:\n\(result.stdout)")
        var names: [String] = []
        for line in lines[(start + 1)...] {
            if line.isEmpty { break }
            // "  export                  Export …"; continuation lines are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            if let name = line.split(separator: " ").first { names.append(String(name)) }
        }
        return names
    }

    @Test func helpListsEverySubcommand() throws {
        let names = try helpSubcommands()
        for name in ["export", "import", "verify", "inspect", "demo"] {
            #expect(names.contains(name), "ferry --help does not list \(name): \(names)")
        }
    }

    @Test func everySubcommandHasHelpWithAnExample() throws {
        for name in try helpSubcommands() {
            let result = try ferry([name, "--help"])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stdout.contains("USAGE: ferry \(name)"), "\(name): \(result.stdout)")
            #expect(result.stdout.contains("ferry \(name)"), "\(name): \(result.stdout)")
        }
    }

    @Test func theReadmeMentionsEverySubcommand() throws {
        let readme = packageRoot.appendingPathComponent("README.md")
        guard FileManager.default.fileExists(atPath: readme.path) else {
            Issue.record("README.md is missing at \(readme.path): the project needs a README that documents every subcommand of `ferry --help`.")
            return
        }
        let text = try String(contentsOf: readme, encoding: .utf8)
        for name in try helpSubcommands() {
            #expect(text.contains("ferry \(name)") || text.contains("`\(name)`"), "README.md does not mention the subcommand \(name) (as `ferry \(name)` or `\(name)`)")
        }
    }
}
