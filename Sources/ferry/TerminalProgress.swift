import FerryKit
import Foundation

/// Draws "task  done/total  rate  time left" on one terminal line; nothing when stderr is
/// not a terminal (pipes, CI) or with --quiet.
final class TerminalProgress: ProgressObserver {
    private var started: [String: Date] = [:]
    private var lastDraw = Date.distantPast

    /// nil when progress should stay silent.
    static func make(quiet: Bool) -> TerminalProgress? {
        quiet || isatty(STDERR_FILENO) == 0 ? nil : TerminalProgress()
    }

    func progress(task: String, done: Int, total: Int?) {
        let now = Date()
        if started[task] == nil { started[task] = now }
        // At most ten redraws a second: drawing must not slow the work it reports.
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        draw(task: task, done: done, total: total, now: now)
    }

    func finished(task: String, done: Int) {
        let elapsed = Date().timeIntervalSince(started[task] ?? Date())
        let rate = elapsed > 0 ? " \(Self.count(Int(Double(done) / elapsed))) rows/s" : ""
        FileHandle.standardError.write(Data("\r\u{1B}[K\(task): \(Self.count(done)) rows in \(String(format: "%.2f", elapsed)) s\(rate)\n".utf8))
        started[task] = nil
    }

    private func draw(task: String, done: Int, total: Int?, now: Date) {
        let elapsed = now.timeIntervalSince(started[task] ?? now)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\(task): \(Self.count(done))"
        if let total { line += "/\(Self.count(total)) rows" } else { line += " rows" }
        if rate > 0 { line += "  \(Self.count(Int(rate))) rows/s" }
        if let total, rate > 0, total > done {
            line += "  \(Int((Double(total - done) / rate).rounded(.up))) s left"
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    static func count(_ value: Int) -> String {
        if value >= 10_000_000 { return "\(value / 1_000_000)M" }
        if value >= 10_000 { return "\(value / 1_000)k" }
        return "\(value)"
    }
}
