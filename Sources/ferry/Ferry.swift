import ArgumentParser
import FerryKit

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
        subcommands: [PrepareCommand.self, ProfileCommand.self, ExportCommand.self, ImportCommand.self, ReplayCommand.self, VerifyCommand.self, InspectCommand.self, DemoCommand.self]
    )
}

/// Flags every command shares.
struct CommonOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "No progress or summaries on stderr; errors still print.")
    var quiet = false
}
