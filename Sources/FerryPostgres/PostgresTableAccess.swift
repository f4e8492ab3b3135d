import FerryKit
import FerrySQLite
/// Row access to one PostgreSQL table: statements prepared once per column set on the
/// connection. A write runs in a savepoint (`PostgresStore.write`), so a refused record is
/// rejected alone, unless it goes in a set: inserts into a table that was empty, updates
/// held where their order cannot matter (`PostgresStore.hold`). A table without a primary
/// key is addressed by `ctid`, which holds until the row is next written: enough for one
/// import's find-then-write.
final class PostgresTableAccess: TableAccess {
    let keyColumns: [String]
    private unowned let store: PostgresStore
    private let table: TableDefinition
    private let name: String
    private var cache: [StatementKey: PostgresStatement] = [:]

    /// What a prepared statement does and to which columns (hashed, never joined into a
    /// string per call).
    private struct StatementKey: Hashable {
        enum Kind: Hashable {
            case prefetch, prefetchAhead, existing
            case keys(limit: Int, nullsEqual: Bool)
            case expression(limit: Int, templates: [String?])
            case values, insert, update, delete
            case insertRows(Int)
            case updateRows(Int)
            case deleteRows(Int)
            case children
            case respell
        }
        let kind: Kind
        let columns: [String]
    }
    /// Each column's type (its oid), for the values PostgreSQL would convert silently.
    private let types: [String: UInt32]
    /// The SQLite type of each column Ferry made from one (its comment), whose values read
    /// back under that type's affinity.
    private let affinities: [String: PostgresTypes.Affinity]
    /// The scale of each `numeric(p,s)` column: PostgreSQL rounds a value with more decimal
    /// places to it without a word (SQLite's NUMERIC keeps whatever it is given).
    private let numericScales: [String: Int]
    /// The same, for arrays of `numeric(p,s)`: their elements are rounded alike.
    private let numericArrayScales: [String: Int]
    /// The fractional digits of a second each moment or time column keeps: PostgreSQL
    /// rounds a finer value to them without a word (`timestamp(0)` takes 05.7 as 06).
    private let secondsPrecisions: [String: Int]
    /// character(n) and varchar(n) columns: a value compares, is looked up and is booked
    /// as the column will hold it (padded; spaces beyond the length cut), or a row written
    /// with `'English'` into a character(20) reads back other, and counts as updated again
    /// at every import.
    private let characterLengths: [String: CharacterLength]
    /// Arrays of `character(n)` or `character varying(n)`: a spelling is learnt by a cast to
    /// the array type without its length (with it, the cast would cut an element a write
    /// refuses), then each element is stored by the length's rules here.
    private let arrayCharacterLengths: [String: CharacterLength]
    /// Columns whose type prints text in a spelling of its own (an interval, jsonb, an array,
    /// a timestamp, a number given as text), each with the type its values are cast to, to
    /// learn that spelling (`PostgresStore.respelledColumns`).
    private let respelledTypes: [String: String]
    /// This batch's text values of those columns, as the column reads them back once
    /// stored: column → value → spelling (the value itself where the server refused it).
    private var spellings: [String: [Value: Value]] = [:]
    /// Arrays and ranges of dates or moments: column → the elements' type
    /// (`PostgresStore.temporalElementTypes`).
    private let temporalElements: [String: UInt32]

    init(store: PostgresStore, table: TableDefinition) throws {
        self.store = store
        self.table = table
        name = store.qualified(table.name)
        keyColumns = table.primaryKey.isEmpty ? ["rowid"] : table.primaryKey
        types = try store.columnTypes(of: table.name)
        affinities = try store.convertingAffinities(of: table.name)
        (numericScales, numericArrayScales) = try store.numericScales(of: table.name)
        secondsPrecisions = try store.secondsPrecisions(of: table.name)
        characterLengths = try store.characterLengths(of: table.name)
        arrayCharacterLengths = try store.characterLengths(of: table.name, arrays: true)
        respelledTypes = try store.respelledColumns(of: table.name)
        temporalElements = try store.temporalElementTypes(of: table.name)
    }

    private var connection: PostgresConnection { store.connection }

    /// `types`: each parameter's type, where the statement cannot infer it (worked out only
    /// when the statement is prepared).
    private func statement(_ kind: StatementKey.Kind, _ columns: [String], types: @autoclosure () -> [UInt32] = [], _ make: () -> String) throws -> PostgresStatement {
        let key = StatementKey(kind: kind, columns: columns)
        if let cached = cache[key] { return cached }
        let statement = try connection.prepare(make(), types: types())
        cache[key] = statement
        return statement
    }

    private func quoted(_ column: String) -> String { column == "rowid" ? "ctid" : Identifier.quote(column) }
    private var keySQL: String { keyColumns.map { $0 == "rowid" ? "ctid::text" : Identifier.quote($0) }.joined(separator: ", ") }

    /// `"a" = $1 AND "b" = $2`, numbered from `first` (`IS NOT DISTINCT FROM` when NULL equals NULL).
    private func equality(_ columns: [String], from first: Int, nullsEqual: Bool = false) -> String {
        columns.enumerated().map { index, column in
            column == "rowid" ? "ctid = $\(first + index)::tid" : "\(quoted(column)) \(nullsEqual ? "IS NOT DISTINCT FROM" : "=") $\(first + index)"
        }.joined(separator: " AND ")
    }

    private func read(_ result: PostgresResult, row: Int, column: Int, name: String) -> Value {
        let value = result.value(row: row, column: column)
        return affinities[name].map { PostgresTypes.applyingAffinity(value, $0) } ?? value
    }

    private func keys(_ result: PostgresResult) -> [[Value]] {
        (0..<result.rowCount).map { row in keyColumns.indices.map { read(result, row: row, column: $0, name: keyColumns[$0]) } }
    }

    // MARK: Values PostgreSQL would take and change

    /// Why `value` cannot go into `column` unchanged, or nil when it can (or PostgreSQL
    /// itself refuses it). PostgreSQL decodes a binary parameter with the column type's own
    /// binary format (8 bytes into a bigint make a number), takes 'yes' as a boolean and
    /// cuts the time off a date: each would change the value without a word.
    private func refusal(_ value: Value, for column: String) -> String? {
        if !temporalElements.isEmpty, let element = temporalElements[column], case .text(let bytes) = value,
           let refused = Self.temporalRefusal(bytes, elements: element, column: column) {
            return refused
        }
        guard let type = types[column] else { return nil }
        switch (value, type) {
        case (.null, _): return nil
        case (.blob, PostgresTypes.bytea): return nil
        case (.blob, _): return "column \(column) holds bytes (a BLOB) only as bytea, and this one is not"
        // Text into bytea would be read as bytea's escapes (`\x414243` becomes 3 bytes).
        case (.text, PostgresTypes.bytea): return "column \(column) is bytea and holds bytes (a BLOB), and this value is text"
        // A number into bytea would be stored as the bytes of its digits.
        case (_, PostgresTypes.bytea): return "column \(column) is bytea and holds bytes (a BLOB), and this value is a number"
        case (.text(let bytes), PostgresTypes.timestamp), (.text(let bytes), PostgresTypes.timestamptz),
             (.text(let bytes), PostgresTypes.time), (.text(let bytes), PostgresTypes.timetz):
            // 'now', 'today' and the like are read as the moment of the import (and 'epoch'
            // as 1970): a value other than the one the record carries, stored without a word.
            if let word = Self.specialTimeWord(bytes) {
                return "column \(column) holds moments, and PostgreSQL reads '\(word)' as a moment of its own choosing, not the value the record carries"
            }
            guard let precision = secondsPrecisions[column], let digits = Self.fractionalSecondDigits(bytes), digits > precision else { return nil }
            return "column \(column) keeps \(precision) fractional digit\(precision == 1 ? "" : "s") of a second, and this value has \(digits): PostgreSQL would round it"
        case (.integer(let number), PostgresTypes.timestamp), (.integer(let number), PostgresTypes.timestamptz):
            // What `adapted` could not turn into a moment: before year 1, or past 64 bits in
            // milliseconds. PostgreSQL's own words for it ("time zone displacement out of
            // range") say nothing of the value.
            guard PostgresTypes.timestampText(epoch: number, withZone: false, unit: changesetUnits[column]) == nil else { return nil }
            return "column \(column) holds moments, and this count since 1970 (\(number)) falls before year 1 or past what 64 bits of milliseconds hold: Ferry writes no such moment from a count"
        case (.integer(0), PostgresTypes.bool), (.integer(1), PostgresTypes.bool): return nil
        case (_, PostgresTypes.bool): return "column \(column) is boolean and takes 1 or 0, which this value is not"
        case (.text(let bytes), PostgresTypes.date):
            return Self.isPlainDate(String(decoding: bytes, as: UTF8.self)) ? nil : "column \(column) is a date and takes YYYY-MM-DD, which this value is not"
        case (.integer, PostgresTypes.date), (.real, PostgresTypes.date):
            // What `adapted` did not turn into a day: PostgreSQL would read the digits as a date.
            return "column \(column) is a date and takes YYYY-MM-DD or a count since 1970 of a whole day, which this number (\(value.description)) is not"
        case (.text(let bytes), _) where !numericArrayScales.isEmpty && numericArrayScales[column] != nil:
            let scale = numericArrayScales[column]!
            // `{1.555,2}`, nested or not: the elements are what lies between braces and commas.
            let elements = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { "{},\"".contains($0) })
            guard let finer = elements.first(where: { (Self.decimalPlaces(of: .text(Array($0.utf8))) ?? .min) > scale }) else { return nil }
            return "column \(column) is an array of numbers with scale \(scale), and this value's element \(finer) is finer: PostgreSQL would round it"
        case (.real, _), (.text, _), (.integer, _):
            // Most tables have no numeric(p,s) column: no lookup per cell then.
            guard !numericScales.isEmpty, let scale = numericScales[column], let places = Self.decimalPlaces(of: value), places > scale else { return nil }
            if scale < 0 { return "column \(column) keeps numbers to the nearest 1\(String(repeating: "0", count: -scale)) (numeric with scale \(scale)), and this value (\(value.description)) is finer: PostgreSQL would round it" }
            return "column \(column) keeps \(scale) decimal place\(scale == 1 ? "" : "s") (numeric with scale \(scale)), and this value (\(value.description)) has \(places): PostgreSQL would round it"
        default: return nil
        }
    }

    /// The digits of a second's fraction in a moment or time written as text (`…03:04:05.70`
    /// → 1: trailing zeros say nothing), nil when it has none.
    static func fractionalSecondDigits(_ bytes: [UInt8]) -> Int? {
        // The seconds follow the second colon; their fraction is the digits after the point.
        guard let first = bytes.firstIndex(of: UInt8(ascii: ":")),
              let second = bytes[(first + 1)...].firstIndex(of: UInt8(ascii: ":")) else { return nil }
        var index = second + 1
        while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ".") else { return nil }
        var digits = bytes[(index + 1)...].prefix { (48...57).contains($0) }
        while digits.last == UInt8(ascii: "0") { digits = digits.dropLast() }
        return digits.isEmpty ? nil : digits.count
    }

    /// The decimal places a number written as `value` has (`1.5550` → 3, `1e-5` → 5, `12` → 0),
    /// negative for trailing zeros before the point (`1200` → -2, as a negative scale
    /// counts them), or nil for zero and for what is not a number (text such as 'NaN' is
    /// PostgreSQL's to read or refuse).
    static func decimalPlaces(of value: Value) -> Int? {
        let text: String
        switch value {
        case .integer(let number): text = String(number)
        case .real(let number): guard number.isFinite else { return nil }; text = "\(number)"
        case .text(let bytes): text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        default: return nil
        }
        var mantissa = Substring(text.lowercased()), exponent = 0
        if let e = mantissa.firstIndex(of: "e") {
            guard let power = Int(mantissa[mantissa.index(after: e)...]) else { return nil }
            exponent = power
            mantissa = mantissa[..<e]
        }
        if mantissa.hasPrefix("-") || mantissa.hasPrefix("+") { mantissa = mantissa.dropFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !mantissa.isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        while fraction.hasSuffix("0") { fraction = fraction.dropLast() }
        if !fraction.isEmpty { return fraction.count - exponent }
        var whole = parts[0].drop { $0 == "0" }
        guard !whole.isEmpty else { return nil } // zero fits every scale
        var zeros = 0
        while whole.hasSuffix("0") { whole = whole.dropLast(); zeros += 1 }
        return -zeros - exponent
    }

    /// A date as PostgreSQL prints one (ISO, `YYYY-MM-DD`, a year of four or more digits,
    /// ` BC`, or ±infinity): nothing PostgreSQL would cut a time off.
    static func isPlainDate(_ text: String) -> Bool {
        if text == "infinity" || text == "-infinity" { return true }
        let date = text.hasSuffix(" BC") ? text.dropLast(3) : Substring(text)
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].count >= 4 && parts[1].count == 2 && parts[2].count == 2 && parts.allSatisfy { $0.allSatisfy(\.isNumber) && !$0.isEmpty }
    }

    /// Why an array or range literal of dates or moments cannot go into `column` unchanged:
    /// an element PostgreSQL reads as a moment of its own choosing (`{now}`, `[today,)`), or
    /// a date element that is not YYYY-MM-DD (`{2024-01-05 10:00}` loses its time). The
    /// elements are what lies between the literal's braces, brackets, parentheses, commas and
    /// quotes; a date spelled with a comma splits, and is refused as not plain either way.
    static func temporalRefusal(_ bytes: [UInt8], elements type: UInt32, column: String) -> String? {
        let delimiters = Set("{}[](),\"".utf8)
        let elements = bytes.split(whereSeparator: { delimiters.contains($0) }).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty && $0.uppercased() != "NULL" && $0.lowercased() != "empty" }
        for element in elements {
            if let word = specialTimeWord(Array(element.utf8)) {
                return "column \(column) holds \(type == PostgresTypes.date ? "dates" : "moments"), and PostgreSQL reads '\(word)' in it as a moment of its own choosing, not the value the record carries"
            }
            if type == PostgresTypes.date, !isPlainDate(element) {
                return "column \(column) holds dates and takes each as YYYY-MM-DD, which '\(element)' is not"
            }
        }
        return nil
    }

    /// The word among PostgreSQL's special date/time inputs that `bytes` spells (any case,
    /// spaces around), or nil. 'infinity' is not among them: it is stored as it reads.
    static func specialTimeWord(_ bytes: [UInt8]) -> String? {
        guard bytes.count <= 16 else { return nil }
        let word = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return ["now", "today", "tomorrow", "yesterday", "epoch", "allballs"].contains(word) ? word : nil
    }

    /// Whether PostgreSQL may fail to read `value` as `column`'s type (text into a uuid):
    /// such a lookup runs in a savepoint, so it fails alone.
    private func mayFail(_ value: Value, for column: String) -> Bool {
        guard let type = types[column] else { return false }
        let text: Set<UInt32> = [25, 1043, 1042, 19] // text, varchar, char, name
        switch value {
        case .null, .blob: return false
        case .text: return !text.contains(type)
        case .integer: return !(text.contains(type) || [20, 1700, 701].contains(type))
        case .real: return !(text.contains(type) || [1700, 701].contains(type))
        }
    }

    /// Runs a lookup; one whose value the column's type cannot read finds nothing (no row
    /// can hold it), instead of aborting the transaction.
    private func lookup(_ statement: PostgresStatement, _ columns: [String], _ values: [Value]) throws -> PostgresResult? {
        for (column, value) in zip(columns, values) where refusal(value, for: column) != nil { return nil }
        guard zip(columns, values).contains(where: { mayFail($1, for: $0) }), connection.isInTransaction else {
            return try connection.run(statement, values)
        }
        do {
            return try connection.runInSavepoint(statement, values)
        } catch let error as FerryError where error.storeFailure?.kind == .datatype {
            return nil
        }
    }

    /// A value as this table's column takes it. Prisma keeps a DateTime in SQLite as the
    /// INTEGER milliseconds since 1970 (its native connector); PostgreSQL's timestamp
    /// columns take no number, so every such row of a Prisma pair was refused. An integer
    /// bound for a timestamp column is that instant, in UTC, read in the unit
    /// `PostgresTypes.timestampText` takes; one bound for a date is that day.
    /// `units`: the changeset's unit of each column's counts (`ColumnDefinition.epochUnit`),
    /// told from the whole column at the source, which a count's size alone cannot tell
    /// for moments near 1970; empty when unknown.
    private func adapted(_ values: [Value], for columns: [String], units: [Int64?] = []) -> [Value] {
        guard adaptsValues else { return values }
        var values = values
        // The changeset's unit, remembered for the writes that adapt a row again without it:
        // a count left as it was (not a whole day in its unit) was read by its size then,
        // and 86400 milliseconds went in as the day 1970-01-02 (a tester). Noted once per
        // column list (the reconciler passes the same one every row).
        if !units.isEmpty, notedUnitColumns != columns {
            for (index, unit) in units.enumerated() where index < columns.count { changesetUnits[columns[index]] = unit }
            notedUnitColumns = columns
        }
        func unit(_ index: Int) -> Int64? { index < units.count ? units[index] : changesetUnits[columns[index]] }
        for (index, adaptation) in adaptations(in: columns) {
            switch (adaptation, values[index]) {
            case (.timestamp(let withZone), .integer(let number)):
                if let text = PostgresTypes.timestampText(epoch: number, withZone: withZone, unit: unit(index)) { values[index] = .text(text) }
            case (.date, .integer(let number)):
                // A whole day only: PostgreSQL would read the digits themselves as a date
                // (20230101 is 2023-01-01), and cut a time off (`refusal` refuses the rest).
                if let text = PostgresTypes.timestampText(epoch: number, withZone: false, unit: unit(index)), text.utf8.count == 19, text.hasSuffix(" 00:00:00") {
                    values[index] = .text(String(text.prefix(10)))
                }
            case (.characters(let length), .text(let text)):
                if let stored = length.stored(text) { values[index] = .text(stored) }
            default:
                continue
            }
        }
        return values
    }

    /// The unit the changeset gave each column of counts (`ColumnDefinition.epochUnit`).
    private var changesetUnits: [String: Int64] = [:]
    private var notedUnitColumns: [String]?

    private enum Adaptation {
        case timestamp(withZone: Bool)
        case date
        case characters(CharacterLength)
    }

    /// The positions of this table's timestamp and character(n) columns in `columns`, worked
    /// out once per column list: a caller passes the same list row after row.
    private func adaptations(in columns: [String]) -> [(Int, Adaptation)] {
        if let last = lastAdaptations, last.columns == columns { return last.positions }
        let positions = columns.enumerated().compactMap { index, column -> (Int, Adaptation)? in
            if let length = characterLengths[column] { return (index, .characters(length)) }
            if types[column] == PostgresTypes.date { return (index, .date) }
            guard let type = types[column], type == PostgresTypes.timestamp || type == PostgresTypes.timestamptz else { return nil }
            return (index, .timestamp(withZone: type == PostgresTypes.timestamptz))
        }
        lastAdaptations = (columns, positions)
        return positions
    }
    private var lastAdaptations: (columns: [String], positions: [(Int, Adaptation)])?
    /// Most tables have no such column, and then nothing is adapted (the lists' comparison
    /// was a fiftieth of a reconcile, lookups, updates and prefetches each passing its own).
    private lazy var adaptsValues = !characterLengths.isEmpty
        || types.values.contains { $0 == PostgresTypes.timestamp || $0 == PostgresTypes.timestamptz || $0 == PostgresTypes.date }

    /// Before matching and comparing, in the text this table reads back (see `adapted(_:for:)`),
    /// so an untouched row of a Prisma pair compares equal; text bound for a column that
    /// spells values its own way in that spelling (learnt for the batch, `learnSpellings`,
    /// or asked now), so an import of the same changeset again finds the row unchanged.
    func adapted(_ row: [Value], columns: [String], sourceTypes: [String], sourceUnits: [Int64?]) throws -> [Value] {
        var values = adapted(row, for: columns, units: sourceUnits)
        guard !respelledTypes.isEmpty else { return values }
        var unknown: [String: [Value]] = [:]
        for (index, column) in columns.enumerated() where respelledTypes[column] != nil {
            guard asksSpelling(of: row[index], in: column), respells(values[index], in: column) else { continue }
            if let spelled = spellings[column]?[values[index]] { values[index] = spelled } else { unknown[column] = [values[index]] }
        }
        guard !unknown.isEmpty else { return values }
        try learn(unknown)
        for (index, column) in columns.enumerated() where unknown[column] != nil {
            values[index] = spellings[column]?[values[index]] ?? values[index]
        }
        return values
    }

    var respellsValues: Bool { !respelledTypes.isEmpty }

    /// Before a batch: the spelling of each text value its records bring to such a column,
    /// asked in one query (the values of the last batch are forgotten).
    func learnSpellings(of records: [Record]) throws {
        guard !respelledTypes.isEmpty else { return }
        spellings.removeAll(keepingCapacity: true)
        var wanted: [String: [Value]] = [:]
        var seen: [String: Set<Value>] = [:]
        for record in records where record.operation == .upsert {
            for (column, value) in record.row where respelledTypes[column] != nil {
                guard asksSpelling(of: value, in: column) else { continue }
                let value = adapted([value], for: [column])[0]
                if respells(value, in: column), seen[column, default: []].insert(value).inserted { wanted[column, default: []].append(value) }
            }
        }
        if !wanted.isEmpty { try learn(wanted) }
    }

    /// Whether a record's `value` (as given, before `adapted(_:for:)`) is worth asking the
    /// column's spelling of: text; and a number made into a moment when the column keeps
    /// fewer than milliseconds (timestamp(0) rounds what Prisma's milliseconds spell).
    private func asksSpelling(of value: Value, in column: String) -> Bool {
        switch value {
        case .text: return true
        case .integer: return coarseMoments.contains(column)
        default: return false
        }
    }

    /// Timestamp columns that keep fewer than 3 decimals of a second.
    private lazy var coarseMoments: Set<String> = Set(respelledTypes.compactMap { column, type in
        guard let type = types[column], type == PostgresTypes.timestamp || type == PostgresTypes.timestamptz,
              let spelled = respelledTypes[column], let open = spelled.firstIndex(of: "("), let close = spelled.firstIndex(of: ")"),
              let precision = Int(spelled[spelled.index(after: open)..<close]), precision < 3 else { return nil }
        return column
    })

    /// Whether `value` may read back in another spelling from `column`: text the column takes
    /// (never one a write refuses: 'now' would be learnt as a moment), not already in the
    /// spelling every server prints (a lowercase uuid, a plain date).
    private func respells(_ value: Value, in column: String) -> Bool {
        guard case .text(let bytes) = value, !bytes.contains(0), refusal(value, for: column) == nil else { return false }
        switch types[column] {
        case PostgresTypes.uuid?:
            return !(bytes.count == 36 && bytes.enumerated().allSatisfy { index, byte in
                [8, 13, 18, 23].contains(index) ? byte == UInt8(ascii: "-") : (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102)
            })
        case PostgresTypes.date?:
            return !(bytes.count == 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-"))
        default:
            return true
        }
    }

    /// Asks the server how each column reads back each of its values once stored: one query
    /// (in a savepoint) casting them to the column's type. A value the type refuses fails
    /// the query, which is then asked again in halves, down to that value, which is kept as
    /// it is (its write will be refused with the server's reason).
    private func learn(_ wanted: [String: [Value]]) throws {
        let columns = wanted.keys.sorted()
        let statement = try statement(.respell, columns) {
            let casts = columns.indices.map { "u.c\($0)::\(respelledTypes[columns[$0]]!)" }.joined(separator: ", ")
            let arrays = columns.indices.map { "$\($0 + 1)::text[]" }.joined(separator: ", ")
            let names = columns.indices.map { "c\($0)" }.joined(separator: ", ")
            return "SELECT \(casts) FROM unnest(\(arrays)) WITH ORDINALITY AS u(\(names), i) ORDER BY u.i"
        }
        let result: PostgresResult
        store.spellingQueries += 1
        do {
            result = try connection.runInSavepoint(statement, columns.map { .text(Self.arrayLiteral(wanted[$0]!)) })
        } catch let error as FerryError where error.storeFailure?.rejectsRecord == true {
            let total = wanted.values.map(\.count).reduce(0, +)
            if total == 1 {
                for (column, values) in wanted { spellings[column, default: [:]][values[0]] = values[0] }
            } else if columns.count > 1 {
                for column in columns { try learn([column: wanted[column]!]) }
            } else {
                let values = wanted[columns[0]]!
                try learn([columns[0]: Array(values[..<(values.count / 2)])])
                try learn([columns[0]: Array(values[(values.count / 2)...])])
            }
            return
        }
        for (position, column) in columns.enumerated() {
            let values = wanted[column]!
            var learnt = spellings[column] ?? [:]
            let length = arrayCharacterLengths[column]
            for row in 0..<min(result.rowCount, values.count) {
                var spelled = read(result, row: row, column: position, name: column)
                if let length, case .text(let printed) = spelled {
                    // An element the column refuses: kept as given, for the write to be refused.
                    spelled = length.storedArray(printed).map { .text($0) } ?? values[row]
                }
                learnt[values[row]] = spelled
            }
            spellings[column] = learnt
        }
    }

    private func checkWritable(_ columns: [String], _ values: [Value]) throws {
        for (column, value) in zip(columns, values) {
            if let reason = refusal(value, for: column) {
                throw FerryError(.store, "table \(table.name): \(reason)",
                                 storeFailure: StoreFailure(.datatype, code: "ferry"))
            }
        }
    }

    // MARK: Prefetching a batch's rows

    /// One batch's lookups answered ahead (column → value → the keys `keys(where:)` would
    /// give) and its rows (key → every column, in the definition's order), kept true through
    /// this access's own writes; dropped when the store forgets rows (a delete, a cascading
    /// update) and by the next batch. Only where nothing else writes (`onlyFerryWrites`).
    private var answers: [String: [Value: [[Value]]]] = [:]
    /// Where each key stands in `answers` (column → the value that finds it), so a write
    /// moves its entries without searching.
    private var answeredKeys: [[Value]: [String: Value]] = [:]
    private var prefetchedRows: [[Value]: [Value]] = [:]
    /// The keys of every row this batch's lookups found, as they were found (a write here
    /// since does not take one out): the rows whose book entries the batch will read.
    private(set) var keysFoundByPrefetch: [[Value]] = []
    private var prefetchEpoch = 0
    private lazy var columnNames = table.columnNames
    /// `columns` as a select list, each read as `PostgresTypes.readExpression` has it.
    private func selectList(_ columns: [String]) -> String {
        columns.map { PostgresTypes.readExpression(Identifier.quote($0), type: types[$0]) }.joined(separator: ", ")
    }
    private lazy var columnPositions = Dictionary(columnNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })

    /// What a column is, for prefetching: the array type its lookups are asked with, and
    /// whether a value of one form (text in a text column of a deterministic collation, an
    /// integer in an integer column) equals only the values written the same way, so a
    /// value nothing matched can be answered "none".
    private struct Prefetchable {
        let arrayType: String
        let exactWhenText: Bool
        let exactWhenInteger: Bool
    }
    /// Columns with a UNIQUE index of their own (no predicate, no expression): a value finds
    /// at most one row.
    private var prefetchableColumns: [String: Prefetchable]?
    private func prefetchable() throws -> [String: Prefetchable] {
        if let prefetchableColumns { return prefetchableColumns }
        prefetchableColumns = try columnKinds(uniqueAlone: true)
        return prefetchableColumns!
    }

    /// How each column's values compare (`Prefetchable`): every column of a type whose
    /// lookups a set can answer, or (`uniqueAlone`) only those with a UNIQUE index of their own.
    private func columnKinds(uniqueAlone: Bool) throws -> [String: Prefetchable] {
        let result = try connection.query("""
            SELECT a.attname, coalesce(co.collisdeterministic, true) FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND (NOT $2 OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indnatts = 1
                                     AND i.indkey[0] = a.attnum AND i.indpred IS NULL AND i.indexprs IS NULL))
            """, [.text(name), .text(uniqueAlone ? "true" : "false")])
        var columns: [String: Prefetchable] = [:]
        for row in 0..<result.rowCount {
            guard let column = result.string(row: row, column: 0), let type = types[column] else { continue }
            let deterministic = result.value(row: row, column: 1) == .integer(1)
            switch type {
            case PostgresTypes.text, PostgresTypes.varchar: columns[column] = Prefetchable(arrayType: "text[]", exactWhenText: deterministic, exactWhenInteger: false)
            case PostgresTypes.int2, PostgresTypes.int4, PostgresTypes.int8: columns[column] = Prefetchable(arrayType: "bigint[]", exactWhenText: false, exactWhenInteger: true)
            case PostgresTypes.uuid: columns[column] = Prefetchable(arrayType: "uuid[]", exactWhenText: false, exactWhenInteger: false)
            default: break
            }
        }
        return columns
    }

    var prefetches: Bool { !table.primaryKey.isEmpty && connection.isInTransaction && ((try? store.onlyFerryWrites()) ?? false) }

    /// One column's lookups of a batch: the values worth asking the server for.
    private struct Wanted {
        let column: String
        let position: Int
        let values: [Value]
        let arrayType: String
        /// A value may fail the array's type (text that is no uuid): asked in a savepoint.
        let mayFail: Bool
    }

    private func wanted(_ lookups: [(column: String, values: [Value])]) throws -> [Wanted] {
        let prefetchable = try prefetchable()
        return lookups.compactMap { column, values in
            guard let kind = prefetchable[column], let position = columnPositions[column] else { return nil }
            var wanted: [Value] = [], seen = Set<Value>()
            for value in values {
                let value = adapted([value], for: [column])[0]
                // What `keys(where:)` answers without asking the server, it answers again.
                guard !Self.holdsNUL([value]), refusal(value, for: column) == nil else { continue }
                switch value {
                case .text, .integer: if seen.insert(value).inserted { wanted.append(value) }
                default: continue
                }
            }
            guard !wanted.isEmpty else { return nil }
            return Wanted(column: column, position: position, values: wanted, arrayType: kind.arrayType, mayFail: wanted.contains { mayFail($0, for: column) })
        }
    }

    /// The next batch's rows, asked for while this batch is applied: what was asked, the
    /// result once read, and the writes made here since it was sent (the server ran it
    /// before them), to be applied to its answers as they were to this batch's.
    private struct Lookahead {
        /// The lookups as the caller named them, and what of them was asked.
        let lookups: [(column: String, values: [Value])]
        let wanted: [Wanted]
        /// Columns of them asked as they come (`Wanted.mayFail`).
        let failing: [Wanted]
        let id: Int
        let epoch: Int
        let answer: Answer
        var writes: [(key: [Value], columns: [String], values: [Value], inserted: Bool, deleted: Bool)] = []
    }
    /// Where a lookahead's result lands when the connection reads it (a lookahead dropped
    /// meanwhile is read into nothing anyone looks at).
    private final class Answer {
        var result: PostgresResult?
    }
    private var lookahead: Lookahead?

    func prefetch(_ lookups: [(column: String, values: [Value])], next: [(column: String, values: [Value])]?) throws {
        answers.removeAll(keepingCapacity: true)
        answeredKeys.removeAll(keepingCapacity: true)
        prefetchedRows.removeAll(keepingCapacity: true)
        keysFoundByPrefetch.removeAll(keepingCapacity: true)
        prefetchEpoch = store.rowsEpoch
        let ahead = lookahead
        lookahead = nil
        guard connection.isInTransaction, !table.primaryKey.isEmpty else { return }
        var answered = false
        if let ahead, Self.same(ahead.lookups, lookups), ahead.epoch == store.rowsEpoch {
            // Asked while the last batch was applied: its answers, then that batch's writes.
            // (Reading the result throws if the server refused the query.)
            if ahead.answer.result == nil { try connection.collect(through: ahead.id) }
            if let result = ahead.answer.result {
                store.batchesAnsweredAhead += 1
                fill(from: result, ahead.wanted)
                for write in ahead.writes {
                    if write.deleted {
                        notePrefetchedDelete(at: write.key)
                    } else {
                        notePrefetchedWrite(at: write.key, write.columns, write.values, inserted: write.inserted)
                    }
                }
                try ask(ahead.failing)
                answered = true
            }
        }
        if !answered { try ask(try wanted(lookups)) }
        if let next { try askAhead(next) }
    }

    private static func same(_ a: [(column: String, values: [Value])], _ b: [(column: String, values: [Value])]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.column == $1.column && $0.values == $1.values }
    }

    /// Asks the server for the rows of `wanted`, one query per column, and waits.
    private func ask(_ wanted: [Wanted]) throws {
        for one in wanted {
            let statement = try statement(.prefetch, [one.column]) {
                "SELECT \(keySQL), \(selectList(columnNames)) FROM \(name) WHERE \(quoted(one.column)) = ANY ($1::\(one.arrayType))"
            }
            let parameter = Value.text(Self.arrayLiteral(one.values))
            let result: PostgresResult
            if one.mayFail {
                // Text that is no uuid fails the whole array: each value is then asked alone.
                do { result = try connection.runInSavepoint(statement, [parameter]) } catch let error as FerryError where error.storeFailure?.kind == .datatype { continue }
            } else {
                result = try connection.run(statement, [parameter])
            }
            fill(from: result, [one])
        }
    }

    /// Sends the next batch's query without waiting: one query for every column, rows
    /// matching any. Not when a value may fail its column's type (then asked as it comes).
    private func askAhead(_ lookups: [(column: String, values: [Value])]) throws {
        let all = try self.wanted(lookups)
        let wanted = all.filter { !$0.mayFail }
        guard !wanted.isEmpty else { return }
        let columns = wanted.map(\.column)
        let statement = try statement(.prefetchAhead, columns) {
            let conditions = wanted.enumerated().map { "\(quoted($1.column)) = ANY ($\($0 + 1)::\($1.arrayType))" }
            return "SELECT \(keySQL), \(selectList(columnNames)) FROM \(name) WHERE \(conditions.joined(separator: " OR "))"
        }
        let table = self.table.name
        let answer = Answer()
        let id = try connection.sendWithoutWaiting(statement, wanted.map { .text(Self.arrayLiteral($0.values)) }, result: { answer.result = $0 }, failure: { error in
            // Never a record's reject: the transaction is aborted, and the import with it.
            FerryError(.store, "PostgreSQL refused to look up rows of \(table) ahead: \((error as? FerryError)?.message ?? "\(error)") Nothing was imported; please report this.")
        })
        lookahead = Lookahead(lookups: lookups, wanted: wanted, failing: all.filter(\.mayFail), id: id, epoch: store.rowsEpoch, answer: answer)
    }

    /// This batch's answers for `wanted`, from a result of rows (key, then every column).
    private func fill(from result: PostgresResult, _ wanted: [Wanted]) {
        var found: [String: [Value: [[Value]]]] = [:]
        let names = columnNames
        for row in 0..<result.rowCount {
            let key = keyColumns.indices.map { read(result, row: row, column: $0, name: keyColumns[$0]) }
            let cells = names.indices.map { read(result, row: row, column: keyColumns.count + $0, name: names[$0]) }
            prefetchedRows[key] = cells
            keysFoundByPrefetch.append(key)
            for one in wanted { found[one.column, default: [:]][cells[one.position], default: []].append(key) }
        }
        let prefetchable = prefetchableColumns ?? [:]
        for one in wanted {
            guard let kind = prefetchable[one.column] else { continue }
            var known: [Value: [[Value]]] = [:]
            for value in one.values {
                if let keys = found[one.column]?[value] {
                    known[value] = keys
                    for key in keys { answeredKeys[key, default: [:]][one.column] = value }
                } else if Self.isExact(value, kind) {
                    known[value] = []
                }
                // Else the row may hold it written otherwise (a uuid in capitals): asked alone.
            }
            answers[one.column] = known
        }
    }

    // MARK: Children of a batch's deletes

    /// Rows of this table by the value of a foreign-key column, for the parents a batch
    /// deletes (`prefetchChildren`): a value asked and absent holds an empty list. Kept exact
    /// through this access's writes; dropped when a write elsewhere may have cascaded here.
    private var childRows: [String: [Value: [[Value]]]] = [:]
    /// Where each of those rows stands: column, then key, then its value.
    private var childStanding: [String: [[Value]: Value]] = [:]
    private var childRowsEpoch = 0
    private var childColumnKinds: [String: Prefetchable]?
    /// Rows one query may bring: past it, each parent's children are asked alone.
    static let childRowsLimit = 100_000

    func prefetchChildren(by column: String, of values: [Value]) throws -> [[Value]]? {
        forgetChildren(by: column)
        guard connection.isInTransaction, !table.primaryKey.isEmpty, keyColumns == table.primaryKey else { return nil }
        if childColumnKinds == nil { childColumnKinds = try columnKinds(uniqueAlone: false) }
        guard let kind = childColumnKinds?[column] else { return nil }
        var wanted: [Value] = [], seen = Set<Value>()
        for value in adapted(values, for: Array(repeating: column, count: values.count))
        where Self.isExact(value, kind) && !Self.holdsNUL([value]) && seen.insert(value).inserted {
            wanted.append(value)
        }
        guard !wanted.isEmpty else { return nil }
        let statement = try statement(.children, [column]) {
            "SELECT \(keySQL), \(quoted(column)) FROM \(name) WHERE \(quoted(column)) = ANY ($1::\(kind.arrayType)) LIMIT \(Self.childRowsLimit + 1)"
        }
        let result = try connection.run(statement, [.text(Self.arrayLiteral(wanted))])
        guard result.rowCount <= Self.childRowsLimit else { return nil }
        if childRowsEpoch != store.rowsEpoch {
            forgetChildren()
            childRowsEpoch = store.rowsEpoch
        }
        var found: [Value: [[Value]]] = [:], standing: [[Value]: Value] = [:], keys: [[Value]] = []
        for row in 0..<result.rowCount {
            let key = keyColumns.indices.map { read(result, row: row, column: $0, name: keyColumns[$0]) }
            let value = read(result, row: row, column: keyColumns.count, name: column)
            found[value, default: []].append(key)
            standing[key] = value
            keys.append(key)
        }
        for value in wanted where found[value] == nil { found[value] = [] }
        childRows[column] = found
        childStanding[column] = standing
        store.childLookupsTogether += wanted.count
        return keys
    }

    /// The rows whose `column` holds `value`, when a batch asked for them.
    private func children(where column: String, equal value: Value) -> [[Value]]? {
        guard !childRows.isEmpty else { return nil }
        if childRowsEpoch != store.rowsEpoch {
            forgetChildren()
            return nil
        }
        return childRows[column]?[value]
    }

    /// Drops the answers for `column`, or (nil) for every column.
    private func forgetChildren(by column: String? = nil) {
        guard let column else {
            childRows.removeAll()
            childStanding.removeAll()
            return
        }
        childRows[column] = nil
        childStanding[column] = nil
    }

    private func noteChildGone(at key: [Value]) {
        for column in Array(childStanding.keys) {
            guard let value = childStanding[column]?.removeValue(forKey: key) else { continue }
            childRows[column]?[value]?.removeAll { $0 == key }
        }
    }

    private func noteChildWrite(at key: [Value], _ columns: [String], _ values: [Value], inserted: Bool) {
        for column in Array(childRows.keys) {
            guard let index = columns.firstIndex(of: column) else {
                // A default filled it: which rows hold a value is not known here now.
                if inserted { forgetChildren(by: column) }
                continue
            }
            if let old = childStanding[column]?.removeValue(forKey: key) { childRows[column]?[old]?.removeAll { $0 == key } }
            let value = values[index]
            guard !value.isNull else { continue }
            guard let kind = childColumnKinds?[column], Self.isExact(value, kind) else {
                forgetChildren(by: column)
                continue
            }
            if childRows[column]?[value] != nil {
                childRows[column]?[value]?.append(key)
                childStanding[column]?[key] = value
            }
        }
    }

    /// Asks which of `keys` are rows of the table, with one query, and remembers those
    /// that are (`PostgresStore.rememberRow`): a child's parent found then needs no round
    /// trip. Only for a key of one text or integer column.
    func prefetchKeys(_ keys: [[Value]]) throws {
        guard connection.isInTransaction, keyColumns == table.primaryKey, keyColumns.count == 1, let type = types[keyColumns[0]] else { return }
        let arrayType: String
        switch type {
        case PostgresTypes.text, PostgresTypes.varchar: arrayType = "text[]"
        case PostgresTypes.int2, PostgresTypes.int4, PostgresTypes.int8: arrayType = "bigint[]"
        default: return
        }
        let wanted = keys.compactMap { key -> Value? in
            guard !store.rowsKnown(in: table.name, key) else { return nil }
            switch (key[0], arrayType) {
            case (.text(let bytes), "text[]") where !bytes.contains(0): return key[0]
            case (.integer, "bigint[]"): return key[0]
            default: return nil
            }
        }
        guard !wanted.isEmpty else { return }
        let statement = try statement(.existing, keyColumns) { "SELECT \(keySQL) FROM \(name) WHERE \(quoted(keyColumns[0])) = ANY ($1::\(arrayType))" }
        let result = try connection.run(statement, [.text(Self.arrayLiteral(wanted))])
        for row in 0..<result.rowCount { store.rememberRow(in: table.name, [read(result, row: row, column: 0, name: keyColumns[0])]) }
    }

    private static func isExact(_ value: Value, _ kind: Prefetchable) -> Bool {
        switch value {
        case .text: return kind.exactWhenText
        case .integer: return kind.exactWhenInteger
        default: return false
        }
    }

    /// `{"a","b\"c",5}`: PostgreSQL's array input, each element quoted with its quotes and
    /// backslashes escaped.
    static func arrayLiteral(_ values: [Value]) -> [UInt8] {
        var literal: [UInt8] = [UInt8(ascii: "{")]
        literal.reserveCapacity(values.count * 32)
        for (index, value) in values.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            switch value {
            case .integer(let number): literal += String(number).utf8
            case .text(let bytes):
                literal.append(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                    literal.append(byte)
                }
                literal.append(UInt8(ascii: "\""))
            default: literal += "NULL".utf8
            }
        }
        literal.append(UInt8(ascii: "}"))
        return literal
    }

    /// Whether this batch's answers still hold (nothing cascaded into the table since).
    private var prefetchCurrent: Bool {
        if prefetchEpoch != store.rowsEpoch, !answers.isEmpty || !prefetchedRows.isEmpty {
            answers.removeAll(keepingCapacity: true)
            answeredKeys.removeAll(keepingCapacity: true)
            prefetchedRows.removeAll(keepingCapacity: true)
        }
        return !answers.isEmpty || !prefetchedRows.isEmpty
    }

    /// Keeps this batch's answers true after this access wrote `values` into `columns` of
    /// the row at `key` (inserted, or updated).
    private func notePrefetchedWrite(at key: [Value], _ columns: [String], _ values: [Value], inserted: Bool) {
        noteChildWrite(at: key, columns, values, inserted: inserted)
        lookahead?.writes.append((key, columns, values, inserted, false))
        guard prefetchCurrent else { return }
        // Read again when asked: the row as stored may be written otherwise than sent.
        prefetchedRows[key] = nil
        var standing = inserted ? [:] : (answeredKeys[key] ?? [:])
        for column in Array(answers.keys) {
            guard let index = columns.firstIndex(of: column) else {
                // A default (or NULL) filled the column of an inserted row: unknown here.
                if inserted { forgetAnswers(of: column) }
                continue
            }
            // The value the row held no longer finds it (unique: it found only this row).
            if let old = standing.removeValue(forKey: column) { answers[column]?[old] = nil }
            let value = values[index]
            guard let kind = prefetchableColumns?[column], Self.isExact(value, kind) else {
                // Written in a form whose equals are not known: "none" answers may be wrong now.
                answers[column] = answers[column]?.filter { !$0.value.isEmpty }
                continue
            }
            answers[column]?[value] = [key]
            standing[column] = value
        }
        answeredKeys[key] = standing.isEmpty ? nil : standing
    }

    /// Keeps this batch's answers true after this access deleted the row at `key`: the
    /// values that found it find nothing now.
    private func notePrefetchedDelete(at key: [Value]) {
        noteChildGone(at: key)
        lookahead?.writes.append((key, [], [], false, true))
        guard prefetchCurrent else { return }
        prefetchedRows[key] = nil
        for (column, value) in answeredKeys.removeValue(forKey: key) ?? [:] {
            let left = answers[column]?[value]?.filter { $0 != key }
            answers[column]?[value] = left
        }
    }

    private func forgetAnswers(of column: String) {
        guard let dropped = answers.removeValue(forKey: column) else { return }
        for keys in dropped.values {
            for key in keys { answeredKeys[key]?[column] = nil }
        }
    }

    // MARK: TableAccess

    /// PostgreSQL's text holds no NUL byte, so no row equals a value with one (and libpq
    /// would cut the parameter short there).
    private static func holdsNUL(_ values: [Value]) -> Bool {
        values.contains { if case .text(let bytes) = $0 { return bytes.contains(0) } else { return false } }
    }

    func keys(where columns: [String], equal values: [Value], limit: Int, nullsEqual: Bool) throws -> [[Value]] {
        if Self.holdsNUL(values) { return [] }
        let values = adapted(values, for: columns)
        // A child's parent, asked by its primary key: rows written or found before need no round trip.
        let byPrimaryKey = !table.primaryKey.isEmpty && columns == table.primaryKey && limit >= 1
        if byPrimaryKey, store.rowsKnown(in: table.name, values) { return [values] }
        if columns.count == 1, !nullsEqual, limit >= 1, prefetchCurrent, let known = answers[columns[0]]?[values[0]] {
            return Array(known.prefix(limit))
        }
        if columns.count == 1, !nullsEqual, limit >= 1, let known = children(where: columns[0], equal: values[0]) {
            return Array(known.prefix(limit))
        }
        let statement = try statement(.keys(limit: limit, nullsEqual: nullsEqual), columns) {
            "SELECT \(keySQL) FROM \(name) WHERE \(equality(columns, from: 1, nullsEqual: nullsEqual)) LIMIT \(limit)"
        }
        if byPrimaryKey { store.rowLookupsByKey += 1 }
        let found = try lookup(statement, columns, values).map(keys) ?? []
        if byPrimaryKey, let key = found.first { store.rememberRow(in: table.name, key) }
        return found
    }

    func keys(where key: ExpressionKey, equal values: [Value], limit: Int) throws -> [[Value]] {
        if Self.holdsNUL(values) { return [] }
        // A template is one expression of a UNIQUE index of this very table, as PostgreSQL
        // printed it (PostgresCatalog): never text from a changeset.
        let statement = try statement(.expression(limit: limit, templates: key.templates), key.columns) {
            let conditions = zip(key.columns, key.templates).enumerated().map { index, part in
                let column = Identifier.quote(part.0)
                guard let template = part.1 else { return "\(column) = $\(index + 1)" }
                return "(\(ExpressionKey.fill(template, with: column))) = (\(ExpressionKey.fill(template, with: "$\(index + 1)")))"
            }
            return "SELECT \(keySQL) FROM \(name) WHERE \(conditions.joined(separator: " AND ")) LIMIT \(limit)"
        }
        return try lookup(statement, key.columns, values).map(keys) ?? []
    }

    func values(_ columns: [String], at key: [Value]) throws -> [Value]? {
        if Self.holdsNUL(key) { return nil }
        // Whether a parent row exists is asked for every child that points at it: rows this
        // transaction wrote or found are answered here, without a round trip.
        if columns.isEmpty, store.rowsKnown(in: table.name, key) { return [] }
        if prefetchCurrent, let row = prefetchedRows[key] {
            // The row as fetched when the caller asks for every column in the table's order.
            if columns == columnNames { return row }
            var cells: [Value] = []
            cells.reserveCapacity(columns.count)
            for column in columns {
                guard let position = columnPositions[column] else { break }
                cells.append(row[position])
            }
            if cells.count == columns.count { return cells }
        }
        let statement = try statement(.values, columns) {
            "SELECT \(columns.isEmpty ? "1" : selectList(columns)) FROM \(name) WHERE \(equality(keyColumns, from: 1))"
        }
        guard let result = try lookup(statement, keyColumns, key), result.rowCount > 0 else { return nil }
        if columns.isEmpty { store.rememberRow(in: table.name, key) }
        return columns.indices.map { read(result, row: 0, column: $0, name: columns[$0]) }
    }

    func insert(_ columns: [String], _ values: [Value]) throws -> [Value] {
        let values = adapted(values, for: columns)
        try checkWritable(columns, values)
        let statement = try statement(.insert, columns) {
            // OVERRIDING SYSTEM VALUE: a GENERATED ALWAYS identity column takes the id the
            // changeset carries, as any other key column does (PostgreSQL refuses it otherwise).
            let list = columns.isEmpty ? "DEFAULT VALUES"
                : "(\(Identifier.quoteList(columns))) OVERRIDING SYSTEM VALUE VALUES (\(columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")))"
            return "INSERT INTO \(name) \(list) RETURNING \(keySQL)"
        }
        let result = try naming(columns) { try store.write(statement, values) }
        store.insertedIds.insert(table.name)
        try store.noteGrowth(of: table.name, sql: name, by: result.affectedRows)
        guard result.rowCount > 0 else { return [] }
        let key = keys(result)[0]
        if !table.primaryKey.isEmpty { store.rememberRow(in: table.name, key) }
        notePrefetchedWrite(at: key, columns, values, inserted: true)
        return key
    }

    var insertsRowsTogether: Bool { (try? store.onlyFerryWrites()) ?? false }
    /// Every statement is a round trip: a new row among matched ones waits for a set too.
    var holdsNewRowsForSets: Bool { true }

    /// A primary key, unique or exclusion constraint declared DEFERRABLE (a transaction may
    /// defer it, and INITIALLY DEFERRED ones are): asked as if one is, should the catalog not answer.
    private(set) lazy var defersUniqueChecks: Bool = (try? connection.scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') AND condeferrable)",
        [.text(name)])) != .integer(0)

    func insert(_ columns: [String], rows: [[Value]]) throws -> [[Value]]? {
        guard rows.count > 1, !columns.isEmpty, !table.primaryKey.isEmpty, connection.isInTransaction else { return nil }
        let positions = keyColumns.compactMap { columns.firstIndex(of: $0) }
        guard positions.count == keyColumns.count else { return nil }
        let rows = rows.map { adapted($0, for: columns) }
        // The key as bound is the key as stored only for text in a text column and an
        // integer in an integer one (a uuid reads back in its own spelling): else row by row.
        var keys: [[Value]] = []
        keys.reserveCapacity(rows.count)
        for row in rows {
            let key = positions.map { row[$0] }
            for (column, value) in zip(keyColumns, key) {
                switch (value, types[column]) {
                case (.text, PostgresTypes.text?), (.text, PostgresTypes.varchar?): continue
                case (.integer, PostgresTypes.int2?), (.integer, PostgresTypes.int4?), (.integer, PostgresTypes.int8?): continue
                default: return nil
                }
            }
            keys.append(key)
            try checkWritable(columns, row)
        }
        // A statement takes at most 65,535 parameters.
        let perStatement = max(1, 65_535 / columns.count)
        try store.isolated {
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + perStatement, rows.count)]
                let statement = try statement(.insertRows(chunk.count), columns) {
                    let tuples = (0..<chunk.count).map { row in
                        "(" + columns.indices.map { "$\(row * columns.count + $0 + 1)" }.joined(separator: ", ") + ")"
                    }
                    return "INSERT INTO \(name) (\(Identifier.quoteList(columns))) OVERRIDING SYSTEM VALUE VALUES \(tuples.joined(separator: ", "))"
                }
                try connection.run(statement, Array(chunk.joined()))
                start += chunk.count
            }
        }
        store.insertedIds.insert(table.name)
        store.rowsInsertedTogether += keys.count
        try store.noteGrowth(of: table.name, sql: name, by: keys.count)
        for (key, row) in zip(keys, rows) {
            store.rememberRow(in: table.name, key)
            // A table that was not empty: the batch's answers (and those asked ahead) see the rows.
            notePrefetchedWrite(at: key, columns, row, inserted: true)
        }
        return keys
    }

    func update(at key: [Value], _ columns: [String], _ values: [Value], previous: [Value]?) throws {
        guard !columns.isEmpty else { return }
        let values = adapted(values, for: columns)
        try checkWritable(columns, values)
        if store.holdsWrites, connection.isInTransaction, try store.onlyFerryWrites(),
           let moves = try uniqueMoves(at: key, columns, values, previous: previous.map { adapted($0, for: columns) }) {
            try store.hold(HeldUpdate(access: self, table: table.name, key: key, columns: columns, values: values, moves: moves))
            notePrefetchedWrite(at: key, columns, values, inserted: false)
            return
        }
        let statement = try updateStatement(columns)
        if columns.contains(where: table.primaryKey.contains) { store.forgetRows() }
        // A foreign key with ON UPDATE CASCADE carries the change into other tables.
        if try columns.contains(where: store.cascadingColumns(of: table.name).contains) { store.forgetRows() }
        if try naming(columns, { try store.write(statement, values + key) }).affectedRows > 0 {
            notePrefetchedWrite(at: key, columns, values, inserted: false)
        }
    }

    /// Runs a write whose parameters $1… are the values of `columns`: a value the server
    /// could not read (it names the parameter, not the column) is refused naming its column.
    private func naming<T>(_ columns: [String], _ write: () throws -> T) throws -> T {
        do {
            return try write()
        } catch let error as FerryError {
            guard let parameter = error.storeFailure?.parameter, parameter >= 1, parameter <= columns.count,
                  !error.message.contains("column ") else { throw error }
            throw error.rephrased("column \(columns[parameter - 1]): \(error.message)")
        }
    }

    /// `UPDATE … SET columns = $1… WHERE key = $n…`. No "AND column IS DISTINCT FROM $n"
    /// guard: json and point have no equality (the statement failed), and citext, interval
    /// ('1 day' = '24 hours'), numeric scale and nondeterministic collations call different
    /// values equal, so a change was counted and never written. The reconciler writes only
    /// columns whose values differ.
    private func updateStatement(_ columns: [String]) throws -> PostgresStatement {
        try statement(.update, columns) {
            let assignments = columns.enumerated().map { "\(Identifier.quote($1)) = $\($0 + 1)" }.joined(separator: ", ")
            return "UPDATE \(name) SET \(assignments) WHERE \(equality(keyColumns, from: columns.count + 1))"
        }
    }

    // MARK: Held updates

    /// What an update of this table may be held for (`PostgresStore.hold`): only one whose
    /// effect cannot depend on the order the held rows are written in. Sent together, a
    /// set's rows are checked one by one in an order PostgreSQL picks, and a value that must
    /// be unique could find its row already moved away (a set passes where rows sent in
    /// file order fail) or still there. So: no key column (a cascade, a moved row), no
    /// column another table's foreign key points at, no column of a multi-column unique
    /// index, none of a unique index with an expression or predicate or an exclusion
    /// constraint; a column with a unique index of its own only where a value equals only
    /// itself (`prefetchable`), so the store can see two held rows trade a value.
    private struct HoldRules {
        /// An exclusion constraint, a unique index over expressions or with a predicate, no
        /// primary key, or a key column of a type not known here: nothing of the table is held.
        let never: Bool
        let forbidden: Set<String>
        /// Columns with a unique index of their own, whose moves are tracked when their
        /// values are exact (`prefetchable`), and which are never held otherwise: citext
        /// calls `K1` and `k1` equal, char(n) ignores trailing spaces.
        let unique: Set<String>
    }
    private var holdRules: HoldRules?
    private func rules() throws -> HoldRules {
        if let holdRules { return holdRules }
        let never = try connection.scalar("""
            SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL))
                OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = $1::regclass AND k.contype = 'x')
            """, [.text(name)]) != .integer(0)
        let result = try connection.query("""
            SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indnatts > 1
            UNION SELECT a.attname FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = ANY (k.confkey)
            WHERE k.contype = 'f' AND k.confrelid = $1::regclass
            """, [.text(name)])
        let forbidden = Set((0..<result.rowCount).compactMap { result.string(row: $0, column: 0) }).union(keyColumns)
        let single = try connection.query("""
            SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indnatts = 1
            """, [.text(name)])
        let unique = Set((0..<single.rowCount).compactMap { single.string(row: $0, column: 0) })
        let rules = HoldRules(never: never || table.primaryKey.isEmpty || !keyColumns.allSatisfy { types[$0] != nil }, forbidden: forbidden, unique: unique)
        holdRules = rules
        return rules
    }

    /// The unique values an update moves (column, value it takes, value it leaves), when the
    /// update may be held; nil when it must go to the server now. A value it takes must be
    /// known free (this batch's lookups found no other row holding it): one that another
    /// row holds fails the update, and a held set would fail whole and the import run again.
    private func uniqueMoves(at key: [Value], _ columns: [String], _ values: [Value], previous: [Value]?) throws -> [HeldUpdate.Move]? {
        let rules = try rules()
        guard !rules.never, columns.count + keyColumns.count <= Self.heldParameterLimit else { return nil }
        let unique = try prefetchable()
        var moves: [HeldUpdate.Move] = []
        for (index, column) in columns.enumerated() {
            guard !rules.forbidden.contains(column), types[column] != nil else { return nil }
            guard rules.unique.contains(column) else { continue }
            guard let kind = unique[column], let previous, Self.isExactOrNull(values[index], kind), Self.isExactOrNull(previous[index], kind),
                  !Self.endsInSpace(values[index]), !Self.endsInSpace(previous[index]) else { return nil }
            if !values[index].isNull {
                guard prefetchCurrent, let holders = answers[column]?[values[index]], holders.allSatisfy({ $0 == key }) else { return nil }
            }
            moves.append(HeldUpdate.Move(column: column, takes: values[index], leaves: previous[index]))
        }
        return moves
    }

    private static func isExactOrNull(_ value: Value, _ kind: Prefetchable) -> Bool {
        value.isNull || isExact(value, kind)
    }

    /// varchar(n) cuts trailing spaces beyond n without a word: `'k1 '` may be stored as a
    /// `'k1'` that another row holds.
    private static func endsInSpace(_ value: Value) -> Bool {
        if case .text(let bytes) = value { return bytes.last == UInt8(ascii: " ") }
        return false
    }

    /// A statement takes at most 65,535 parameters: a set of 256 rows of up to 255 columns.
    static let heldParameterLimit = 255
    /// How many rows go in one statement: a few sizes, so each column set prepares a few.
    static let heldSetSizes = [256, 64, 16, 4, 1]

    /// Writes held updates of `columns` (each row: the values, then the key), in sets.
    func sendHeld(_ columns: [String], _ rows: [[Value]], lastUnawaited failure: ((Error) -> Error)? = nil) throws {
        let width = columns.count + keyColumns.count
        try sendInSets(rows, lastUnawaited: failure) { size in
            if size == 1 { return try updateStatement(columns) }
            // Each parameter typed as its column (a domain as its base type, which the
            // assignment then checks): VALUES would read an untyped one as text.
            return try statement(.updateRows(size), columns, types: (0..<size).flatMap { _ in (columns + keyColumns).map { types[$0] ?? 0 } }) {
                let names = columns.indices.map { "c\($0)" } + keyColumns.indices.map { "k\($0)" }
                let assignments = columns.enumerated().map { "\(Identifier.quote($1)) = v.c\($0)" }.joined(separator: ", ")
                return "UPDATE \(name) AS t SET \(assignments) FROM (VALUES \(Self.tuples(size, width))) AS v(\(names.joined(separator: ", "))) WHERE \(keysMatch)"
            }
        }
        store.rowsUpdatedTogether += rows.count
    }

    /// Sends `rows` in sets of `heldSetSizes`, each set one statement (`statement(size)`)
    /// over the rows' values end to end; with `failure`, the last goes out unawaited.
    private func sendInSets(_ rows: [[Value]], lastUnawaited failure: ((Error) -> Error)?, _ statement: (Int) throws -> PostgresStatement) throws {
        var start = 0
        while start < rows.count {
            let size = Self.heldSetSizes.first { $0 <= rows.count - start }!
            let chunk = rows[start..<start + size]
            start += size
            let statement = try statement(size)
            if start == rows.count, let failure {
                try connection.sendWithoutWaiting(statement, Array(chunk.joined()), failure: failure)
            } else {
                try connection.run(statement, Array(chunk.joined()))
            }
        }
    }

    /// `($1, $2), ($3, $4)`: `size` rows of `width` parameters.
    private static func tuples(_ size: Int, _ width: Int) -> String {
        (0..<size).map { row in "(" + (0..<width).map { "$\(row * width + $0 + 1)" }.joined(separator: ", ") + ")" }.joined(separator: ", ")
    }

    /// The table's key equal to the VALUES list's `k0`, `k1`, ….
    private var keysMatch: String {
        keyColumns.enumerated().map { "t.\(Identifier.quote($1)) = v.k\($0)" }.joined(separator: " AND ")
    }

    /// One past the largest id (or, past the type's range, the first free one), never the
    /// sequence's next value: a sequence is moved past the ids this import inserted only
    /// when it commits (`advanceSequences`), and ids an application wrote itself may lie
    /// ahead of it.
    func freshIntegerKey() throws -> FreshIntegerKey {
        let column = Identifier.quote(keyColumns[0]), limit = table.integerKeyLimit
        return try FreshIntegerKey.after(try connection.scalar("SELECT max(\(column))::bigint FROM \(name)"), limit: limit) {
            try connection.scalar("SELECT k::bigint FROM (\(FreshIntegerKey.firstFreeQuery(column: column, table: name, limit: limit))) AS q")
        }
    }

    func delete(at key: [Value]) throws {
        if try !table.primaryKey.isEmpty && store.deleteTouchesOnlyItsRow(in: table.name) {
            store.forgetRow(in: table.name, key)
            notePrefetchedDelete(at: key)
            if store.holdsWrites, connection.isInTransaction {
                try store.hold(HeldDelete(access: self, table: table.name, key: key))
                return
            }
        } else {
            // A delete may cascade into other tables: what any table knew is forgotten.
            store.forgetRows()
        }
        _ = try store.write(try deleteStatement(), key)
    }

    private func deleteStatement() throws -> PostgresStatement {
        try statement(.delete, []) { "DELETE FROM \(name) WHERE \(equality(keyColumns, from: 1))" }
    }

    /// The table's name as the import's definitions spell it.
    var tableName: String { table.name }

    /// Whether a foreign key of this table points at `table` (lowercased).
    func pointsAt(_ table: String) -> Bool {
        self.table.references.contains { $0.table.lowercased() == table }
    }

    /// Deletes the rows at `keys`, held by `PostgresStore.hold(_:)`, in sets.
    func sendHeldDeletes(_ keys: [[Value]], lastUnawaited failure: ((Error) -> Error)? = nil) throws {
        try sendInSets(keys, lastUnawaited: failure) { size in
            if size == 1 { return try deleteStatement() }
            return try statement(.deleteRows(size), [], types: (0..<size).flatMap { _ in keyColumns.map { types[$0] ?? 0 } }) {
                let names = keyColumns.indices.map { "k\($0)" }
                return "DELETE FROM \(name) AS t USING (VALUES \(Self.tuples(size, keyColumns.count))) AS v(\(names.joined(separator: ", "))) WHERE \(keysMatch)"
            }
        }
    }
}
