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

/// One delete an import made on trust: the row's children were deleted or cleared by the
/// import before it, and nothing but Ferry writes (`PostgresStore.deleteTouchesOnlyItsRow`).
/// Written with others of its table in one statement.
struct HeldDelete {
    let access: PostgresTableAccess
    let table: String
    let key: [Value]
}

/// The updates and deletes held so far, in sets of one table (and, for updates, one set of
/// columns), sent in the order the sets began. Rows of one statement are written in an
/// order PostgreSQL picks, so a set holds no two writes whose order could matter: two
/// updates of one row, or one taking a unique value another leaves (`mustSendFirst`). A
/// delete joins its table's last set of deletes only when no set after it must go first:
/// one of a table pointing at its table, or of its table's updates; else it begins a set.
struct HeldWrites {
    private struct Group {
        let access: PostgresTableAccess
        let table: String
        /// nil: deletes.
        let columns: [String]?
        var rows: [[Value]] // an update's values, then the key; a delete's key
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
    /// Tables with deletes held.
    private var deleting: Set<String> = []
    /// Unique values taken and left so far.
    private var taken: Set<UniqueValue> = []
    private var left: Set<UniqueValue> = []
    private(set) var count = 0
    /// Writes a set holds at most: memory stays small, and a set is one statement or few.
    static let limit = 256

    var isEmpty: Bool { count == 0 }

    /// Whether `update` may only follow the held writes once they are written. A deleted
    /// row's unique values are free for any update after it: updates of a table with
    /// deletes held wait for them.
    func mustSendFirst(_ update: HeldUpdate) -> Bool {
        if deleting.contains(update.table) || heldRows.contains(RowKey(table: update.table, key: update.key)) { return true }
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
            groups.append(Group(access: update.access, table: update.table, columns: update.columns, rows: [update.values + update.key]))
        }
        heldRows.insert(RowKey(table: update.table, key: update.key))
        for move in update.moves {
            if !move.takes.isNull { taken.insert(UniqueValue(table: update.table, column: move.column, value: move.takes)) }
            if !move.leaves.isNull { left.insert(UniqueValue(table: update.table, column: move.column, value: move.leaves)) }
        }
        count += 1
    }

    mutating func add(_ delete: HeldDelete) {
        deleting.insert(delete.table)
        count += 1
        if let last = groups.lastIndex(where: { $0.columns == nil && $0.table == delete.table }),
           !groups[(last + 1)...].contains(where: { mayHaveToPrecede($0, deleteOf: delete.access) }) {
            groups[last].rows.append(delete.key)
            return
        }
        groups.append(Group(access: delete.access, table: delete.table, columns: nil, rows: [delete.key]))
    }

    /// Whether writes of `group` may have to reach the server before a delete from the
    /// table of `access`: anything but deletes from a table it points at that does not
    /// point back (a parent's rows go after its children's either way).
    private func mayHaveToPrecede(_ group: Group, deleteOf access: PostgresTableAccess) -> Bool {
        guard group.columns == nil, group.table != access.tableName else { return true }
        let name = access.tableName.lowercased(), other = group.table.lowercased()
        return !access.pointsAt(other) || group.access.pointsAt(name)
    }

    /// Writes every held update and delete, and holds none after (even when the server
    /// refuses one). `lastUnawaited`: the last statement goes out without waiting for its
    /// result (read, and a refusal thrown as `failure` makes it, before the connection's
    /// next statement).
    mutating func send(lastUnawaited failure: ((Error) -> Error)? = nil) throws {
        let groups = self.groups
        self = HeldWrites()
        for (index, group) in groups.enumerated() {
            let unawaited = index == groups.count - 1 ? failure : nil
            if let columns = group.columns {
                try group.access.sendHeld(columns, group.rows, lastUnawaited: unawaited)
            } else {
                try group.access.sendHeldDeletes(group.rows, lastUnawaited: unawaited)
            }
        }
    }
}
