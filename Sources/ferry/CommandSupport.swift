import ArgumentParser
import FerryKit
import Foundation

/// Exit codes of DESIGN.md: 0 applied, 3 applied with rejects or deferred conflicts, 1 nothing applied.
enum FerryExit {
    static let failed: Int32 = 1
    static let partial: Int32 = 3
}

/// Runs a command body, turning Ferry's errors into one readable line and exit code 1
/// (never a stack trace).
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as FerryError {
        printError("error: \(error.message)")
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

