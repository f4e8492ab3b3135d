import ArgumentParser
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
import Foundation

/// Exit codes of DESIGN.md: 0 applied, 3 applied with rejects or deferred conflicts, 1 nothing applied.
enum FerryExit {
    static let failed: Int32 = 1
    static let partial: Int32 = 3
}

/// Runs a command body, turning every error into one readable `error:` line and exit code 1
/// (never a stack trace). `--verbose` adds the error's detail (the SQL SQLite refused).
/// `unapplied` is appended to errors that do not already say what became of the target.
func runReportingErrors(_ common: CommonOptions, unapplied: String? = nil, _ body: () throws -> Void) throws {
    common.apply()
    do {
        try body()
    } catch let error as FerryError {
        var message = error.message
        if let unapplied, message.range(of: "othing was", options: .caseInsensitive) == nil, !message.contains("was applied") {
            message += (message.hasSuffix(".") ? " " : ". ") + unapplied
        }
        // One line: a newline inside the message (from a stranger's names) is escaped too.
        printError("error: \(message.replacingOccurrences(of: "\n", with: "\\n"))")
        if common.verbose, let detail = error.detail { printError("detail: \(detail.replacingOccurrences(of: "\n", with: "\\n"))") }
        throw ExitCode(FerryExit.failed)
    } catch let error where error is ExitCode || error is CleanExit || error is ValidationError {
        throw error
    } catch {
        // Foundation's file errors and the like: still one line, still exit 1.
        printError("error: \(error.localizedDescription)\(unapplied.map { " \($0)" } ?? "")")
        throw ExitCode(FerryExit.failed)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((printable(text.hasSuffix("\n") ? String(text.dropLast()) : text) + "\n").utf8))
}

/// Text from a stranger's changeset (a table name, a changeset id) may hold control
/// characters: escape codes that retitle the terminal, or a newline that forges a second
/// `error:` line. Messages print them as `\u{1B}`, keeping the line breaks Ferry itself
/// put between lines.
func printable(_ text: String) -> String {
    var out = ""
    out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
        if (scalar.value < 0x20 && scalar != "\n") || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
            out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

func printOutput(_ text: String) {
    FileHandle.standardOutput.write(Data((printable(text.hasSuffix("\n") ? String(text.dropLast()) : text) + "\n").utf8))
}

/// Parses `--tables a,b,c`.
func tableList(_ text: String?) -> [String]? {
    text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
}

/// The profile file named by `--profile`, or the empty profile.
func loadProfile(_ path: String?) throws -> Profile {
    try path.map { try Profile.load(path: $0) } ?? .empty
}


/// `--trust PUBKEY` (repeatable; a file or a folder of `.pub` files).
struct TrustOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Accept the changeset only if signed by this public key (repeatable; a .pub file or a folder of them).", valueName: "pubkey"))
    var trust: [String] = []

    /// The trusted keys, or nil when none were named (a signature is then checked, not required).
    func keys() throws -> [SignerKey]? {
        trust.isEmpty ? nil : try trust.flatMap { try SignerKey.load(trust: $0) }
    }

    /// Opens a changeset; with --trust, a manifest too damaged to read is named for what it
    /// means here: not the changeset that was signed.
    func open(_ open: () throws -> ChangesetReader) throws -> ChangesetReader {
        do {
            return try open()
        } catch let error as FerryError where !trust.isEmpty && (error.kind == .format || error.kind == .checksum) {
            throw error.rephrased("the changeset is not the one that was signed, and is refused: \(error.message)")
        }
    }
}
