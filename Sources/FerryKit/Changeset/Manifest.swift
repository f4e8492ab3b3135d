import Foundation

/// `manifest.json`: what a changeset holds and how to check it (Schemas/manifest.schema.json).
public struct Manifest: Codable, Sendable, Equatable {
    public static let formatName = "ferry-changeset"
    /// Version 2: records carry `hash` as XXH64 and `base` as column digests (the sync
    /// book's version 2). Version 1 changesets are still read; a Ferry that reads only
    /// version 1 refuses a version 2 changeset by name instead of misreading its bases.
    public static let currentVersion = 2
    /// A changeset whose records may carry `was` (the natural key a row had before).
    public static let formerIdentityVersion = 3
    public static let readableVersions = 1...3
    public static let fileName = "manifest.json"
    /// The mode of a filtered export (`--where`).
    public static let selectionMode = "selection"

    public struct Tool: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
    }

    public struct Source: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String?
        /// Identifies the source store (its location), so later syncs can tell stores apart.
        public var fingerprint: String
        /// sha256 of the exported tables' CREATE statements.
        public var schemaHash: String
    }

    public var format: String
    public var formatVersion: Int
    public var changesetId: String
    public var createdAt: String
    public var tool: Tool
    public var source: Source
    public var mode: String
    public var incrementalTo: String?
    public var profile: Profile
    /// Tables in apply order: parents before children.
    public var tables: [ManifestTable]
    public var warnings: [String]?
    /// A filtered export's `--where` filters (mode `selection`): the changeset holds those
    /// rows and their closure, not a whole store, so `--prune` refuses it.
    public var selection: ManifestSelection?
    /// The columns a redacted export left out or replaced, and how (never the key).
    public var redaction: ManifestRedaction?
    /// sha256 of this manifest's own bytes with this field's hex zeroed (`ManifestDigest`);
    /// `encoded()` fills it in, `decode` checks it.
    public var manifestSha256: String? = nil

    /// Row counts and byte sizes above this are refused: 2^53, the largest integer every JSON
    /// reader holds exactly, and far more than any real table; it also keeps their sums from
    /// overflowing.
    public static let maximumCount = 1 << 53

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(formatVersion, forKey: .formatVersion)
        try container.encode(changesetId, forKey: .changesetId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(tool, forKey: .tool)
        try container.encode(source, forKey: .source)
        try container.encode(mode, forKey: .mode)
        try container.encode(incrementalTo, forKey: .incrementalTo) // null, not absent
        try container.encode(profile, forKey: .profile)
        try container.encode(tables, forKey: .tables)
        try container.encodeIfPresent(warnings, forKey: .warnings)
        try container.encodeIfPresent(selection, forKey: .selection)
        try container.encodeIfPresent(redaction, forKey: .redaction)
        try container.encodeIfPresent(manifestSha256, forKey: .manifestSha256)
    }

    /// `createdAt` in whole seconds since 1970 (0 when it does not parse): every member of a
    /// `.ferry` archive carries it as its mtime, so the manifest, and a signature, cover it.
    var createdSeconds: Int {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return (formatter.date(from: createdAt) ?? ISO8601DateFormatter().date(from: createdAt)).map { max(0, Int($0.timeIntervalSince1970)) } ?? 0
    }

    public func table(named name: String) -> ManifestTable? {
        tables.first { $0.name == name }
    }

    /// Pretty, key-sorted JSON: stable bytes for the same content, readable in a support ticket,
    /// sealed with its own digest (`manifestSha256`).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var unsealed = self
        unsealed.manifestSha256 = ManifestDigest.placeholder
        return try ManifestDigest.seal(Array(try encoder.encode(unsealed)) + [0x0A])
    }

    /// Decodes and checks a manifest: format, version, safe file names, unique tables.
    public static func decode(_ bytes: [UInt8], location: String) throws -> Manifest {
        let place = "\(location)/\(fileName)"
        struct Header: Decodable { var format: String?; var formatVersion: Int?; var manifestSha256: String? }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes))
        } catch {
            throw FerryError(.format, "\(place) cannot be read: \(describe(error)). The changeset is damaged: ask for a new export.")
        }
        guard header.format == formatName else {
            throw FerryError(.format, "\(place) is not a Ferry manifest (format is \(header.format.map { "\"\($0)\"" } ?? "missing"), expected \"\(formatName)\").")
        }
        guard let version = header.formatVersion, readableVersions.contains(version) else {
            throw FerryError(.format, "\(place): changeset format version \(header.formatVersion.map(String.init) ?? "missing") is not supported; this Ferry \(FerryVersion.current) reads versions \(readableVersions.lowerBound) to \(readableVersions.upperBound). Upgrade Ferry, or export again with this version.")
        }
        // The digest comes before the rest: a changed byte is "damaged", whatever it broke.
        try ManifestDigest.check(bytes, claimed: header.manifestSha256, place: place)
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw FerryError(.format, "\(place): \(describe(error)). The changeset is damaged: ask for a new export.")
        }
        try manifest.validate(place: place)
        return manifest
    }

    /// Checks what later code trusts: ids, names, and numbers it adds up.
    private func validate(place: String) throws {
        // The id becomes part of side-file names (DB.rejects-ID.ndjson): only a UUID may.
        guard changesetId.utf8.count == 36, UUID(uuidString: changesetId) != nil else {
            throw FerryError(.format, "\(place): changesetId \"\(changesetId.prefix(80))\" is not a UUID (8-4-4-4-12 hex digits). The manifest was changed or forged: ask its sender for a new export.")
        }
        var totalRows = 0
        var totalBytes = 0
        var tableNames = Set<String>()
        var fileNames = Set<String>()
        for table in tables {
            guard !table.name.isEmpty, !table.name.contains("\0") else {
                throw FerryError(.unsafe, "\(place): a table name is empty or contains a NUL character.")
            }
            guard tableNames.insert(table.name.lowercased()).inserted else {
                throw FerryError(.format, "\(place): table \(table.name) is listed twice.")
            }
            try ChangesetFileName.validate(table.file, table: table.name, place: place)
            guard fileNames.insert(table.file).inserted else {
                throw FerryError(.format, "\(place): file \(table.file) is listed for two tables.")
            }
            guard table.rows >= 0, table.bytes >= 0 else {
                throw FerryError(.format, "\(place): table \(table.name) has a negative row count or size.")
            }
            // Both bounds keep every sum below (rows of all tables, bytes of all files) exact.
            totalRows += table.rows <= Self.maximumCount ? table.rows : Self.maximumCount + 1
            totalBytes += table.bytes <= Self.maximumCount ? table.bytes : Self.maximumCount + 1
            guard totalRows <= Self.maximumCount, totalBytes <= Self.maximumCount else {
                throw FerryError(.format, "\(place): table \(table.name) claims \(table.rows) rows and \(table.bytes) bytes, more than a changeset can hold (2^53 in all). The manifest was changed or forged: ask its sender for a new export.")
            }
            guard !table.columns.isEmpty else {
                throw FerryError(.format, "\(place): table \(table.name) lists no columns.")
            }
            try UnicodeNames.refuseLookalikes(table.columns.map(\.name), what: "columns", place: "\(place), table \(table.name)")
        }
    }

    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "the top level" : String(keys.dropFirst(keys.hasPrefix(".") ? 1 : 0))
        }
        // Foundation's own sentences ("Expected to decode Int but found a string instead.")
        // are replaced by Ferry's: what was expected, where.
        func expected(_ type: Any.Type) -> String {
            switch type {
            case is Int.Type, is Int64.Type: return "a whole number (at most 2^63 - 1)"
            case is String.Type: return "a string"
            case is Bool.Type: return "true or false"
            case is Double.Type: return "a number"
            default: return type is any Collection.Type ? "a list" : "an object"
            }
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \"\(key.stringValue)\" at \(path(context))"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context): return "wrong value at \(path(context)): expected \(expected(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON, or a number too large for Ferry (whole numbers must fit in 64 bits)"
                : "unreadable value at \(path(context))"
        @unknown default: return "\(error)"
        }
    }
}

/// A table's entry in the manifest: its definition plus the file that holds its rows.
public struct ManifestTable: Codable, Sendable, Equatable {
    public var definition: TableDefinition
    public var file: String
    public var rows: Int
    public var bytes: Int
    public var sha256: String
    /// The table's AUTOINCREMENT counter at export (SQLite's `sqlite_sequence`), so a replay
    /// hands out the ids the source would have; nil when the table has none.
    public var sequence: Int64?

    public var name: String { definition.name }
    public var columns: [ColumnDefinition] { definition.columns }

    public init(definition: TableDefinition, file: String, rows: Int, bytes: Int, sha256: String) {
        self.definition = definition
        self.file = file
        self.rows = rows
        self.bytes = bytes
        self.sha256 = sha256
    }

    enum CodingKeys: String, CodingKey {
        case name, file, rows, bytes, sha256, sequence, columns, primaryKey, cloudId, matchSets, fallbackMatchSets, references, create, indexes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        definition = TableDefinition(
            name: try c.decode(String.self, forKey: .name),
            columns: try c.decode([ColumnDefinition].self, forKey: .columns),
            primaryKey: try c.decode([String].self, forKey: .primaryKey),
            cloudId: try c.decodeIfPresent(String.self, forKey: .cloudId),
            matchSets: try c.decode([[String]].self, forKey: .matchSets),
            fallbackMatchSets: try c.decodeIfPresent([[String]].self, forKey: .fallbackMatchSets) ?? [],
            references: try c.decode([Reference].self, forKey: .references),
            create: try c.decode(String.self, forKey: .create),
            indexes: try c.decode([String].self, forKey: .indexes))
        file = try c.decode(String.self, forKey: .file)
        rows = try c.decode(Int.self, forKey: .rows)
        bytes = try c.decode(Int.self, forKey: .bytes)
        sha256 = try c.decode(String.self, forKey: .sha256)
        sequence = try c.decodeIfPresent(Int64.self, forKey: .sequence)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(definition.name, forKey: .name)
        try c.encode(file, forKey: .file)
        try c.encode(rows, forKey: .rows)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(sha256, forKey: .sha256)
        try c.encodeIfPresent(sequence, forKey: .sequence)
        try c.encode(definition.columns, forKey: .columns)
        try c.encode(definition.primaryKey, forKey: .primaryKey)
        try c.encode(definition.cloudId, forKey: .cloudId)
        try c.encode(definition.matchSets, forKey: .matchSets)
        try c.encode(definition.fallbackMatchSets, forKey: .fallbackMatchSets)
        try c.encode(definition.references, forKey: .references)
        try c.encode(definition.create, forKey: .create)
        try c.encode(definition.indexes, forKey: .indexes)
    }
}
