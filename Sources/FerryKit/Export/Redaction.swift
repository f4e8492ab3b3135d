import Crypto
import Foundation

/// What becomes of a redacted column's values in a changeset.
public enum RedactionRule: String, Codable, Sendable, CaseIterable {
    /// Every value becomes NULL.
    case null
    /// The column is left out of the changeset.
    case drop
    /// The shape stays, the person goes: an email keeps its domain, a phone number its last
    /// two digits, other text its punctuation and spaces.
    case mask
    /// A keyed pseudonym (HMAC-SHA256 under `--redact-key`): the same value gives the same
    /// pseudonym in every table and every changeset made with the key, so redacted keys,
    /// foreign keys and cloudIds still match each other.
    case hash
}

/// One redacted column, as the manifest records it.
public struct RedactedColumn: Codable, Sendable, Equatable {
    public var table: String
    public var column: String
    public var rule: RedactionRule
    /// Set when the rule was not asked for but follows a foreign key to a hashed column, so
    /// the reference still matches its parent.
    public var follows: String?

    public init(table: String, column: String, rule: RedactionRule, follows: String? = nil) {
        self.table = table
        self.column = column
        self.rule = rule
        self.follows = follows
    }
}

/// The manifest's record of a redacted export: which columns, how, and which key (by an
/// id derived from it, never the key itself).
public struct ManifestRedaction: Codable, Sendable, Equatable {
    public var columns: [RedactedColumn]
    /// The first 16 hex digits of HMAC(key, "ferry redaction key id"): two changesets whose
    /// pseudonyms match show the same id.
    public var keyId: String?
}

/// `--redact TABLE.COLUMN=RULE` (and a profile's `redact`), with `--redact-key FILE`.
public struct Redaction: Sendable {
    public var columns: [RedactedColumn]
    let key: SymmetricKey?

    /// `arguments`: `TABLE.COLUMN=RULE` each; `profile`: its tables' `redact` maps;
    /// `keyPath`: the secret for `hash`.
    public init(arguments: [String], profile: Profile, keyPath: String?) throws {
        var columns: [RedactedColumn] = []
        func add(_ table: String, _ column: String, _ ruleName: String, place: String) throws {
            guard let rule = RedactionRule(rawValue: ruleName.lowercased()) else {
                throw FerryError(.usage, "\(place): unknown rule \"\(ruleName)\". Rules: \(RedactionRule.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            if let earlier = columns.first(where: { $0.table.lowercased() == table.lowercased() && $0.column.lowercased() == column.lowercased() }) {
                guard earlier.rule == rule else {
                    throw FerryError(.usage, "\(place): \(table).\(column) is already redacted with \(earlier.rule.rawValue); give one rule per column.")
                }
                return
            }
            columns.append(RedactedColumn(table: table, column: column, rule: rule))
        }
        for (table, settings) in profile.tables.sorted(by: { $0.key < $1.key }) {
            for (column, rule) in (settings.redact ?? [:]).sorted(by: { $0.key < $1.key }) {
                try add(table, column, rule, place: "profile: tables.\(table).redact.\(column)")
            }
        }
        for argument in arguments {
            guard let equals = argument.lastIndex(of: "="), let dot = argument[..<equals].firstIndex(of: ".") else {
                throw FerryError(.usage, "--redact \(argument.prefix(80)): expected TABLE.COLUMN=RULE, e.g. --redact customers.email=hash.")
            }
            try add(String(argument[..<dot]), String(argument[argument.index(after: dot)..<equals]), String(argument[argument.index(after: equals)...]),
                    place: "--redact \(argument.prefix(80))")
        }
        self.columns = columns
        if let keyPath {
            var info = stat()
            guard stat(keyPath, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                throw FerryError(.usage, "--redact-key \(keyPath) is not a regular file. Give a file holding the secret: make one with head -c 32 /dev/urandom > redact.key, and keep it to make later tickets match.")
            }
            let file = try InputFile(path: keyPath)
            guard file.size <= 4096 else { throw FerryError(.usage, "--redact-key \(keyPath) is larger than 4 KiB; give a small file holding a secret.") }
            let secret = try ByteRange(file: file).readAll()
            guard secret.count >= 16 else {
                throw FerryError(.usage, "--redact-key \(keyPath) holds \(secret.count) bytes; a key needs at least 16 (make a new one with: head -c 32 /dev/urandom > redact.key).")
            }
            key = SymmetricKey(data: secret)
        } else {
            key = nil
        }
        if key == nil, let hashed = columns.first(where: { $0.rule == .hash }) {
            throw FerryError(.usage, "\(hashed.table).\(hashed.column)=hash needs a secret: --redact-key FILE (make one with: head -c 32 /dev/urandom > redact.key, and keep it to make later tickets match).")
        }
    }

    public var isEmpty: Bool { columns.isEmpty }

    var keyId: String? {
        key.map { String(Array(HMAC<SHA256>.authenticationCode(for: Array("ferry redaction key id".utf8), using: $0)).hexString.prefix(16)) }
    }
}

/// What kind of value a column holds, as far as a pseudonym or a mask must fit it: a
/// PostgreSQL column refuses an integer beyond its width, text that is not a uuid or JSON,
/// and a value longer than varchar(n). SQLite takes anything (`.any`).
enum RedactedValueKind: Sendable, Equatable {
    case any
    /// An integer of this many bits (PostgreSQL's integer 32, smallint 16).
    case integer(bits: Int)
    case uuid
    case json
    /// Text of at most this many characters (varchar(n), char(n)).
    case text(limit: Int)
    /// A number kept exactly (numeric, real, double precision, money): masked to 0, never hashed.
    case number
    /// A type whose values no pseudonym or mask fits (timestamps, dates, booleans, arrays, …).
    case other(String)

    /// The kind of a column from its declared type (`pg:TYPE` for a PostgreSQL column).
    init(declaredType: String) {
        let declared = declaredType.lowercased()
        guard let colon = declared.firstIndex(of: ":"), declared.hasPrefix("pg") else { self = .any; return }
        let base = String(declared[declared.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        let limit = base.range(of: #"\((\d+)\)$"#, options: .regularExpression).flatMap { Int(base[$0].dropFirst().dropLast()) }
        switch base {
        case "integer", "int", "int4", "serial": self = .integer(bits: 32)
        case "smallint", "int2", "smallserial": self = .integer(bits: 16)
        case "bigint", "int8", "bigserial", "text", "bytea", "citext", "name": self = .any
        case "uuid": self = .uuid
        case "json", "jsonb": self = .json
        case _ where base.hasPrefix("character varying") || base.hasPrefix("varchar") || base.hasPrefix("character") || base.hasPrefix("char"):
            self = limit.map { .text(limit: $0) } ?? .any
        case _ where base.hasPrefix("numeric") || base.hasPrefix("decimal") || base == "real" || base == "double precision" || base == "money" || base.hasPrefix("float"):
            self = .number
        default: self = .other(base)
        }
    }

    /// Why `rule` cannot make a value of this kind, or nil when it can.
    func refusal(of rule: RedactionRule) -> String? {
        switch (self, rule) {
        case (.number, .hash): return "a pseudonym of a number would not be a number the column keeps exactly; use mask (0) or null"
        case (.json, .mask): return "masked JSON is not JSON; use hash (a JSON string) or null"
        case (.uuid, .mask): return "a masked uuid is not a uuid; use hash (a uuid-shaped pseudonym) or null"
        case (.other(let type), .hash), (.other(let type), .mask): return "no pseudonym or mask is a valid \(type); use null or drop"
        default: return nil
        }
    }
}

/// A redacted cell's rule, and the kind of value its column takes.
struct CellRule: Sendable {
    let rule: RedactionRule
    let kind: RedactedValueKind
}

/// The redaction worked out for a store's tables: each table's rules, with hashing carried
/// along foreign keys (a child's `ownerId` is hashed as its parent's `id` is), checked so
/// that the changeset still imports.
struct RedactionPlan: Sendable {
    /// Lowercased table name → column → rule.
    private let rules: [String: [String: RedactionRule]]
    /// Lowercased table name → column → the kind of value it takes (redacted columns only).
    private let kinds: [String: [String: RedactedValueKind]]
    private let key: SymmetricKey?
    let manifest: ManifestRedaction
    /// Advice for rules that will make trouble on import without being wrong (a masked natural key).
    let warnings: [String]

    init(_ redaction: Redaction, tables: [TableDefinition]) throws {
        var byName: [String: TableDefinition] = [:]
        for table in tables { byName[table.name.lowercased()] = table }
        // Table and column names compare without case, as SQL's do (`REFERENCES Person(id)`
        // names the column `ID`).
        var rules: [String: [String: RedactionRule]] = [:]
        func rule(_ table: String, _ column: String) -> RedactionRule? { rules[table.lowercased()]?[column.lowercased()] }
        var recorded: [RedactedColumn] = []
        for wanted in redaction.columns {
            guard let table = byName[wanted.table.lowercased()] else {
                throw FerryError(.usage, "--redact \(wanted.table).\(wanted.column): no table \(wanted.table) (or it is excluded). Tables: \(tables.map(\.name).joined(separator: ", ")).")
            }
            guard let column = table.columns.first(where: { $0.name.lowercased() == wanted.column.lowercased() }) else {
                throw FerryError(.usage, "--redact \(wanted.table).\(wanted.column): table \(table.name) has no column \(wanted.column). Columns: \(table.columnNames.joined(separator: ", ")).")
            }
            rules[table.name.lowercased(), default: [:]][column.name.lowercased()] = wanted.rule
            recorded.append(RedactedColumn(table: table.name, column: column.name, rule: wanted.rule))
        }
        for table in tables {
            for reference in table.references {
                for (child, parentColumn) in zip(reference.columns, reference.to) {
                    // A column others point at: only a pseudonym keeps their references matching.
                    if let parentRule = rule(reference.table, parentColumn), parentRule != .hash {
                        throw FerryError(.usage, "--redact \(reference.table).\(parentColumn)=\(parentRule.rawValue): \(table.name).\(child) points at that column, and would point at nothing. Use hash, which gives \(table.name).\(child) the same pseudonym.")
                    }
                    // A reference changed on its own side points at nothing: only NULL (no parent) or dropping it is safe.
                    if let childRule = rule(table.name, child), childRule == .mask || (childRule == .hash && rule(reference.table, parentColumn) != .hash) {
                        throw FerryError(.usage, "--redact \(table.name).\(child)=\(childRule.rawValue): the column points at \(reference.table).\(parentColumn), and a changed value would point at no row. Hash \(reference.table).\(parentColumn) instead (the reference follows it), or use null.")
                    }
                }
            }
            for column in table.columns {
                guard let columnRule = rule(table.name, column.name), columnRule != .hash else { continue }
                if table.primaryKey.contains(column.name) {
                    throw FerryError(.usage, "--redact \(table.name).\(column.name)=\(columnRule.rawValue): \(column.name) is \(table.name)'s primary key; only hash keeps rows apart and matchable.")
                }
                if columnRule == .null || columnRule == .drop, column.notNull, column.default == nil || columnRule == .null {
                    throw FerryError(.usage, "--redact \(table.name).\(column.name)=\(columnRule.rawValue): \(column.name) is NOT NULL\(columnRule == .drop ? " without a default" : ""), so no row could be imported. Use mask or hash.")
                }
                // Masked values repeat: rows of a unique key would merge into one on import.
                if columnRule == .mask, let key = table.matchSets.first(where: { $0.contains(column.name) }) {
                    throw FerryError(.usage, "--redact \(table.name).\(column.name)=mask: \(column.name) is part of the unique key (\(key.joined(separator: ", "))), and masked values repeat, so different rows would be taken for one on import. Use hash, which keeps them apart.")
                }
            }
        }
        // Hashing follows foreign keys, transitively: a child's key column takes its parent's rule.
        var changed = true
        while changed {
            changed = false
            for table in tables {
                for reference in table.references {
                    for (child, parentColumn) in zip(reference.columns, reference.to) where rule(reference.table, parentColumn) == .hash {
                        if rule(table.name, child) == .hash { continue }
                        if let other = rule(table.name, child) {
                            throw FerryError(.usage, "--redact \(table.name).\(child)=\(other.rawValue): the column points at \(reference.table).\(parentColumn), which is hashed; it is hashed alike so the reference still matches. Leave out the rule for \(table.name).\(child).")
                        }
                        rules[table.name.lowercased(), default: [:]][child.lowercased()] = .hash
                        let parentName = byName[reference.table.lowercased()]?.column(named: parentColumn)?.name
                            ?? byName[reference.table.lowercased()]?.columns.first { $0.name.lowercased() == parentColumn.lowercased() }?.name ?? parentColumn
                        recorded.append(RedactedColumn(table: table.name, column: child, rule: .hash, follows: "\(byName[reference.table.lowercased()]?.name ?? reference.table).\(parentName)"))
                        changed = true
                    }
                }
            }
        }
        var kinds: [String: [String: RedactedValueKind]] = [:]
        for table in tables {
            for column in table.columns {
                guard let columnRule = rule(table.name, column.name) else { continue }
                let kind = RedactedValueKind(declaredType: column.type)
                if let why = kind.refusal(of: columnRule) {
                    throw FerryError(.usage, "--redact \(table.name).\(column.name)=\(columnRule.rawValue): the column is \(column.type.split(separator: ":").last.map(String.init) ?? column.type), and \(why).")
                }
                // A profile's fallback composite is matched on: masked values repeat, and rows would be taken for one another.
                if columnRule == .mask, let composite = table.fallbackMatchSets.first(where: { $0.contains(column.name) }) {
                    throw FerryError(.usage, "--redact \(table.name).\(column.name)=mask: the profile matches \(table.name) by (\(composite.joined(separator: ", "))), and masked values repeat, so rows would be taken for one another on import. Use hash, which keeps them apart.")
                }
                kinds[table.name.lowercased(), default: [:]][column.name.lowercased()] = kind
            }
        }
        var warnings: [String] = []
        if redaction.key != nil && !redaction.columns.contains(where: { $0.rule == .hash }) {
            warnings.append("--redact-key is given but no column is hashed: the key changes nothing. Did you mean --redact TABLE.COLUMN=hash?")
        }
        self.rules = rules
        self.kinds = kinds
        key = redaction.key
        manifest = ManifestRedaction(columns: recorded, keyId: redaction.keyId)
        self.warnings = warnings.sorted()
    }

    /// Column (lowercased) → rule.
    func rules(of table: String) -> [String: RedactionRule] { rules[table.lowercased()] ?? [:] }

    /// The columns left out of the changeset.
    func dropped(from table: TableDefinition) -> [String] {
        let own = rules(of: table.name)
        return table.columnNames.filter { own[$0.lowercased()] == .drop }
    }

    /// The rule of each cursor index of an encoder's scan: the table's own columns, then
    /// each joined parent's columns under the parent's rules.
    func cellRules(for encoder: RecordEncoder, table: String) -> CellRedactor? {
        var byIndex: [Int: CellRule] = [:]
        func cell(_ table: String, _ column: String) -> CellRule? {
            rules(of: table)[column.lowercased()].map { CellRule(rule: $0, kind: kinds[table.lowercased()]?[column.lowercased()] ?? .any) }
        }
        for (index, column) in encoder.scanColumns.enumerated() { if let rule = cell(table, column) { byIndex[index] = rule } }
        var next = encoder.scanColumns.count
        for join in encoder.joins {
            for column in join.parentColumns {
                if let rule = cell(join.reference.table, column) { byIndex[next] = rule }
                next += 1
            }
        }
        guard let last = byIndex.keys.max() else { return nil }
        // By position, not hashed: the cursor asks for every cell of every row.
        return CellRedactor(rules: (0...last).map { byIndex[$0] }, key: key)
    }
}

/// Replaces the redacted cells of a scan's rows.
struct CellRedactor: Sendable {
    /// Each scan position's rule, nil where the cell goes out as it is (past the end too).
    let rules: [CellRule?]
    let key: SymmetricKey?

    func wrap(_ cursor: RowCursor) -> RowCursor { RedactedCursor(base: cursor, redactor: self) }

    /// Whether the table's own `column` (in `encoder`'s scan) is redacted.
    func covers(column: String, in encoder: RecordEncoder) -> Bool {
        encoder.scanColumns.firstIndex(of: column).map { rule(at: $0) != nil } ?? false
    }

    func rule(at index: Int) -> CellRule? { index < rules.count ? rules[index] : nil }

    func redact(_ value: Value, _ cell: CellRule) -> Value {
        if value.isNull { return value }
        switch cell.rule {
        case .null, .drop: return .null
        case .mask:
            // A numeric too long for a double travels as text: masked, it is still a number.
            if cell.kind == .number { return .integer(0) }
            if case .text(limit: let limit) = cell.kind, case .text(let bytes) = Self.mask(value) { return .text(Array(String(decoding: bytes, as: UTF8.self).prefix(limit).utf8)) }
            return Self.mask(value)
        case .hash: return pseudonym(value, kind: cell.kind)
        }
    }

    static func mask(_ value: Value) -> Value {
        switch value {
        // A number has no shape to keep that is not its value (a PIN's last digits are half of it).
        case .integer: return .integer(0)
        case .real: return .real(0)
        case .blob(let bytes): return .blob([UInt8](repeating: 0, count: bytes.count))
        case .text(let bytes): return .text(maskText(String(decoding: bytes, as: UTF8.self)))
        case .null: return .null
        }
    }

    /// `ann.lee@example.com` → `***@example.com` (only when the whole value is one address);
    /// `+1 555-123-4567` → `+* ***-***-**67` (only when the whole value is a phone number);
    /// any other text keeps its spaces and punctuation, every letter and digit a `*`.
    static func maskText(_ text: String) -> String {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
           !text.contains(where: { $0.isWhitespace || $0 == "," || $0 == ";" || $0 == "<" || $0 == ">" }) {
            return "***@" + parts[1]
        }
        let digits = text.filter(\.isNumber).count
        let phoneLike = digits >= 4 && text.allSatisfy { $0.isNumber || " +-().".contains($0) }
        var seen = 0
        return String(text.map { character -> Character in
            guard character.isLetter || character.isNumber else { return character }
            if phoneLike && character.isNumber {
                seen += 1
                return seen > digits - 2 ? character : "*"
            }
            return "*"
        })
    }

    /// HMAC-SHA256 of the value's type and bytes: an integer stays a (positive) integer, a
    /// REAL a REAL, a BLOB 32 bytes, text 24 hex digits (`…@redacted.invalid` for an email,
    /// so a CHECK on its shape still holds).
    func pseudonym(_ value: Value, kind: RedactedValueKind = .any) -> Value {
        guard let key else { return .null }
        let input: [UInt8]
        switch value {
        case .integer(let number): input = Array("i:\(number)".utf8)
        case .real(let number): input = Array("r:\(number.bitPattern)".utf8)
        case .text(let bytes): input = Array("t:".utf8) + bytes
        case .blob(let bytes): input = Array("b:".utf8) + bytes
        case .null: return .null
        }
        let code = Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
        let high = code.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        switch (value, kind) {
        case (.integer, .integer(bits: let bits)): return .integer(Int64(high >> UInt64(65 - bits)) | 1)
        case (.integer, _): return .integer(Int64(high >> 1) | 1)
        case (.real, _): return .real(Double(high >> 11))
        case (.blob, _): return .blob(code)
        case (.text, .uuid):
            let hex = code.prefix(16).hexString
            let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
            return .text(parts.joined(separator: "-"))
        case (.text, .json): return .text("\"\(code.prefix(12).hexString)\"")
        case (.text(let bytes), _):
            let hex = code.prefix(12).hexString
            let email = hex + "@redacted.invalid"
            if case .text(limit: let limit) = kind {
                return .text(String((bytes.contains(UInt8(ascii: "@")) && email.count <= limit ? email : hex).prefix(limit)))
            }
            return .text(bytes.contains(UInt8(ascii: "@")) ? email : hex)
        case (.null, _): return .null
        }
    }
}

/// A scan's row with its redacted cells replaced; every other cell read as it is.
private struct RedactedCursor: RowCursor {
    let base: RowCursor
    let redactor: CellRedactor

    func value(at index: Int) -> Value {
        let value = base.value(at: index)
        guard let rule = redactor.rule(at: index) else { return value }
        return redactor.redact(value, rule)
    }

    func isNull(at index: Int) -> Bool {
        guard redactor.rule(at: index) != nil else { return base.isNull(at: index) }
        return value(at: index).isNull
    }

    func appendJSON(at index: Int, to buffer: inout JSONBuffer) {
        guard redactor.rule(at: index) != nil else { return base.appendJSON(at: index, to: &buffer) }
        buffer.appendValue(value(at: index))
    }
}
