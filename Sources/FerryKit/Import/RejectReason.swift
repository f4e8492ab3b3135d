/// Why a record was not applied (DESIGN.md "Conflicts and rejects").
public enum RejectReason: String, Sendable, CaseIterable {
    /// A fallback composite matches more than one target row.
    case ambiguousMatch = "ambiguous_match"
    /// A reference resolves neither in the target nor in the changeset.
    case missingParent = "missing_parent"
    /// The cloudId and a natural key point at two different target rows.
    case identityDrift = "identity_drift"
    /// A text primary key is taken by another logical row.
    case pkCollision = "pk_collision"
    /// NOT NULL, CHECK or UNIQUE on other columns refuses the row.
    case constraint
    /// A column the target lacks, or a value the column type cannot hold.
    case schema
}

/// A record that could not be applied, and why.
struct Rejection: Error {
    let reason: RejectReason
    let message: String
}
