import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores
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
        FileHandle.standardError.write(Data("\r\u{1B}[K\(ProgressLine.finished(task: task, done: done, elapsed: elapsed))\n".utf8))
        started[task] = nil
    }

    private func draw(task: String, done: Int, total: Int?, now: Date) {
        let line = ProgressLine.running(task: task, done: done, total: total, elapsed: now.timeIntervalSince(started[task] ?? now))
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }
}
