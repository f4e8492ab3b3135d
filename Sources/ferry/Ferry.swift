import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

@main
struct Ferry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Move database rows between environments as portable, checksummed files.",
        discussion: """
            Ferry exports tables to a changeset (a folder, or one .ferry file) and imports it \
            into another database, exactly. Run `ferry demo` to see it on the bundled sample CRM.
            """,
        version: FerryVersion.current,
        subcommands: [PrepareCommand.self, ProfileCommand.self, ExportCommand.self, ImportCommand.self, ReplayCommand.self, VerifyCommand.self, InspectCommand.self, CompactCommand.self, KeygenCommand.self, DemoCommand.self]
    )

    /// ArgumentParser's own errors (a missing --db, a typo) print as one `error:` line too,
    /// pointing at the help, instead of its Error/Help/Usage block. Help, version and
    /// Ferry's own exit codes go through ArgumentParser unchanged.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is ExitCode { exit(withError: error) }
            let text = message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            let arguments = CommandLine.arguments.dropFirst()
            let command = arguments.first.flatMap { name in configuration.subcommands.first { $0.configuration.commandName == name } }
            let help = command.map { "ferry \($0.configuration.commandName ?? "") --help" } ?? "ferry --help"
            printError("error: \(text)\(text.hasSuffix(".") ? "" : ".") See `\(help)` for usage.")
            Foundation.exit(code.rawValue)
        }
    }
}

/// Flags every command shares.
struct CommonOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "No progress or summaries on stderr; errors and warnings still print.")
    var quiet = false

    @Flag(name: .long, help: "With an error, also print its detail (such as the SQL statement SQLite refused).")
    var verbose = false

    @Option(name: .long, help: "Seconds to wait for a database another program has locked (default 5).")
    var busyTimeout: Double?

    @Option(name: .long, help: "The PostgreSQL schema whose tables --db means (default public); only with a postgresql:// --db.")
    var schema: String?

    func validate() throws {
        if let busyTimeout, !(0...86_400).contains(busyTimeout) {
            throw ValidationError("--busy-timeout must be between 0 and 86400 seconds.")
        }
    }

    /// Settings that hold for the whole process.
    func apply() {
        if let busyTimeout { SQLiteDatabase.setBusyTimeout(seconds: busyTimeout) }
    }
}
