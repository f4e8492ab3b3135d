import FerryKit

/// One update an import made on trust (`PostgresStore.hold`): written with others of its
/// table and columns in one statement, instead of one round trip each.
struct HeldUpdate {
    /// A value of a column with a unique index of its own that the update takes, and the
    /// one it leaves.
    struct Move {
        let column: String
        let takes: Value
        let leaves: Value
    }
    /// Held strongly: the access must outlive its held writes, whatever ends first.
    let access: PostgresTableAccess
    let table: String
    let key: [Value]
    let columns: [String]
    let values: [Value]
    let moves: [Move]
}

/// The updates held so far, by table and columns, in the order they were made. Rows of
/// one statement are written in an order PostgreSQL picks, so a set holds no two updates
/// whose order could matter: two of one row, or one taking a unique value another leaves
/// (`mustSendFirst`).
struct HeldUpdates {
    private struct Group {
        let access: PostgresTableAccess
        let columns: [String]
        var rows: [[Value]] // the values, then the key
    }
    private struct GroupKey: Hashable {
        let table: String
        let columns: [String]
    }
    private var groups: [Group] = []
    private var groupIndex: [GroupKey: Int] = [:]
    private struct RowKey: Hashable {
        let table: String
        let key: [Value]
    }
    private struct UniqueValue: Hashable {
        let table: String
        let column: String
        let value: Value
    }
    private var heldRows: Set<RowKey> = []
    /// Unique values taken and left so far.
    private var taken: Set<UniqueValue> = []
    private var left: Set<UniqueValue> = []
    private(set) var count = 0
    /// Updates a set holds at most: memory stays small, and a set is one statement or few.
    static let limit = 256

    var isEmpty: Bool { count == 0 }

    /// Whether `update` may only follow the held ones once they are written.
    func mustSendFirst(_ update: HeldUpdate) -> Bool {
        if heldRows.contains(RowKey(table: update.table, key: update.key)) { return true }
        return update.moves.contains { move in
            (!move.takes.isNull && left.contains(UniqueValue(table: update.table, column: move.column, value: move.takes)))
                || (!move.leaves.isNull && taken.contains(UniqueValue(table: update.table, column: move.column, value: move.leaves)))
        }
    }

    mutating func add(_ update: HeldUpdate) {
        let key = GroupKey(table: update.table, columns: update.columns)
        if let index = groupIndex[key] {
            groups[index].rows.append(update.values + update.key)
        } else {
            groupIndex[key] = groups.count
            groups.append(Group(access: update.access, columns: update.columns, rows: [update.values + update.key]))
        }
        heldRows.insert(RowKey(table: update.table, key: update.key))
        for move in update.moves {
            if !move.takes.isNull { taken.insert(UniqueValue(table: update.table, column: move.column, value: move.takes)) }
            if !move.leaves.isNull { left.insert(UniqueValue(table: update.table, column: move.column, value: move.leaves)) }
        }
        count += 1
    }

    /// Writes every held update, and holds none after (even when the server refuses one).
    /// `lastUnawaited`: the last statement goes out without waiting for its result (read,
    /// and a refusal thrown as `failure` makes it, before the connection's next statement).
    mutating func send(lastUnawaited failure: ((Error) -> Error)? = nil) throws {
        let groups = self.groups
        self = HeldUpdates()
        for (index, group) in groups.enumerated() {
            try group.access.sendHeld(group.columns, group.rows, lastUnawaited: index == groups.count - 1 ? failure : nil)
        }
    }

}
