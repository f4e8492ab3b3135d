/// One applied changeset, as the target's `_ferry_imports` audit table remembers it.
public struct ImportLogEntry: Sendable, Equatable {
    public var changesetId: String
    public var appliedAt: String
    public var sourceName: String
    public var sourceFingerprint: String
    public var mode: String
    public var totals: ImportReport.Counts

    public init(changesetId: String, appliedAt: String, sourceName: String, sourceFingerprint: String, mode: String, totals: ImportReport.Counts) {
        self.changesetId = changesetId
        self.appliedAt = appliedAt
        self.sourceName = sourceName
        self.sourceFingerprint = sourceFingerprint
        self.mode = mode
        self.totals = totals
    }
}
