/// How to recognise rows, per table: derived from the schema, extended by a profile file.
public struct Profile: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        /// Fallback composites, tried after cloudId and natural keys.
        public var match: [[String]]?
        /// Columns never exported nor compared.
        public var skip: [String]?
        /// Overrides the profile's cloudId column name for this table.
        public var cloudId: String?

        public init(match: [[String]]? = nil, skip: [String]? = nil, cloudId: String? = nil) {
            self.match = match
            self.skip = skip
            self.cloudId = cloudId
        }
    }

    /// The cloudId column name; `cloudId` and `cloud_id` are detected when nil.
    public var cloudId: String?
    public var tables: [String: Table]
    public var exclude: [String]

    public init(cloudId: String? = nil, tables: [String: Table] = [:], exclude: [String] = []) {
        self.cloudId = cloudId
        self.tables = tables
        self.exclude = exclude
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cloudId = try container.decodeIfPresent(String.self, forKey: .cloudId)
        tables = try container.decodeIfPresent([String: Table].self, forKey: .tables) ?? [:]
        exclude = try container.decodeIfPresent([String].self, forKey: .exclude) ?? []
    }

    public static let empty = Profile()
}
