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

    @inline(__always) mutating func advance() {
        done += 1
        if done >= nextReport {
            nextReport = done + Self.stride
            observer?.progress(task: task, done: done, total: total)
        }
    }

    func finish() {
        observer?.finished(task: task, done: done)
    }
}
