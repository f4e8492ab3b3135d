import ArgumentParser
import FerryKit
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
        printError("error: \(message)")
        if common.verbose, let detail = error.detail { printError("detail: \(detail)") }
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
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

func printOutput(_ text: String) {
    FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Parses `--tables a,b,c`.
func tableList(_ text: String?) -> [String]? {
    text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
}

/// The profile file named by `--profile`, or the empty profile.
func loadProfile(_ path: String?) throws -> Profile {
    try path.map { try Profile.load(path: $0) } ?? .empty
}

