import Foundation

/// Receives progress of long work. The library never prints; the CLI renders this on a
/// terminal and stays quiet in pipes.
public protocol ProgressObserver: AnyObject {
    /// `total` is nil when unknown.
    func progress(task: String, done: Int, total: Int?)
    func finished(task: String, done: Int)
}

/// Calls the observer at most every `stride` rows, so the hot loop pays one compare per row.
struct ProgressTicker {
    let observer: ProgressObserver?
    let task: String
    let total: Int?
    var done = 0
    private var nextReport = 0
    private static let stride = 16_384

    init(observer: ProgressObserver?, task: String, total: Int?) {
        self.observer = observer
        self.task = task
        self.total = total
        observer?.progress(task: task, done: 0, total: total)
    }

    @inline(__always) mutating func advance() { advance(to: done + 1) }

    /// For work counted elsewhere: `done` rows so far.
    @inline(__always) mutating func advance(to done: Int) {
        self.done = done
        if done >= nextReport {
            nextReport = done + Self.stride
            observer?.progress(task: task, done: done, total: total)
        }
    }

    func finish() {
        observer?.finished(task: task, done: done)
    }
}

/// The text of a progress line: `task: done/total rows  rate rows/s  N s left`, and the
/// summary line when a task ends. Kept apart from the drawing so it can be tested.
public enum ProgressLine {
    public static func running(task: String, done: Int, total: Int?, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\(task): \(count(done))"
        if let total { line += "/\(count(total)) rows" } else { line += " rows" }
        if rate > 0, let perSecond = wholeNumber(rate) { line += "  \(count(perSecond)) rows/s" }
        // The total is the manifest's (a stranger's) number: a time left too large for an Int is not shown.
        if let total, rate > 0, total > done, let left = wholeNumber((Double(total - done) / rate).rounded(.up)) {
            line += "  \(left) s left"
        }
        return line
    }

    public static func finished(task: String, done: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? wholeNumber(Double(done) / elapsed).map { " \(count($0)) rows/s" } ?? "" : ""
        return "\(task): \(count(done)) \(done == 1 ? "row" : "rows") in \(String(format: "%.2f", elapsed)) s\(rate)"
    }

    /// `value` as an Int when it is finite and far from Int's bounds (Int(_:) would trap).
    private static func wholeNumber(_ value: Double) -> Int? {
        value.isFinite && abs(value) < 1e15 ? Int(value) : nil
    }

    /// 9,999 as is, then thousands (`12k`), then millions (`12M`).
    public static func count(_ value: Int) -> String {
        if value >= 10_000_000 { return "\(value / 1_000_000)M" }
        if value >= 10_000 { return "\(value / 1_000)k" }
        return "\(value)"
    }
}
