/// Names that are one name to Ferry. Swift compares strings by canonical equivalence, so
/// `é` written as one code point (NFC) and as `e` with a combining accent (NFD) are equal
/// wherever a column or table is looked up by name, while a database keeps both apart.
enum UnicodeNames {
    /// Throws when two of `names` differ only in how their characters are composed: every
    /// later lookup would take one for the other.
    static func refuseLookalikes(_ names: [String], what: String, place: String) throws {
        var first: [String: String] = [:]
        for name in names {
            guard let earlier = first[name] else { first[name] = name; continue }
            guard Array(earlier.unicodeScalars) != Array(name.unicodeScalars) else { continue }
            throw FerryError(.schema, "\(place): the \(what) \"\(earlier)\" (\(codePoints(earlier))) and \"\(name)\" (\(codePoints(name))) differ only in how their accents are encoded (Unicode normalization), and Ferry cannot tell them apart. Rename one of them, then run the command again.")
        }
    }

    /// Throws for the first of `tables` with two columns that differ only in composition.
    static func refuseLookalikeColumns(in tables: [TableDefinition], place: String) throws {
        for table in tables {
            try refuseLookalikes(table.columns.map(\.name), what: "columns", place: "\(place), table \(table.name)")
        }
    }

    /// Throws when a column a changeset brings and one of the target's table differ only in
    /// composition: Ferry would take one for the other, and the store would not.
    static func refuseMismatchedColumns(_ incoming: [String], target: TableDefinition, store: String) throws {
        for name in incoming {
            guard let held = target.columns.first(where: { $0.name == name }),
                  !held.name.unicodeScalars.elementsEqual(name.unicodeScalars) else { continue }
            throw FerryError(.schema, "table \(target.name): the changeset's column \"\(name)\" (\(codePoints(name))) and \(store)'s \"\(held.name)\" (\(codePoints(held.name))) differ only in how their accents are encoded (Unicode normalization), and Ferry cannot tell them apart. Rename one of them so both are spelt alike, then import again. Nothing was imported.")
        }
    }

    static func codePoints(_ name: String) -> String {
        name.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true).leftPadded(to: 4) }.joined(separator: " ")
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
