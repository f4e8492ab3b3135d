import Foundation

extension Profile {
    /// Reads a profile file (Schemas/profile.schema.json), with errors that say where.
    /// Unknown keys are errors: a misspelt "mach" must not silently match nothing.
    public static func load(path: String) throws -> Profile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FerryError(.io, "cannot read the profile \(path). Check the --profile path.")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(Array(data))
        } catch {
            throw FerryError(.usage, "profile \(path) is not valid JSON at byte \(error.offset + 1): \(error.message).")
        }
        try checkKeys(json, allowed: ["cloudId", "tables", "exclude", "include", "onConflict"], at: "the top level", path: path)
        if case .object(let tables)? = json["tables"] {
            for (table, settings) in tables {
                try checkKeys(settings, allowed: ["match", "skip", "cloudId", "updatedAt", "onConflict", "redact"], at: "tables.\(table)", path: path)
            }
        }
        do {
            return try JSONDecoder().decode(Profile.self, from: data)
        } catch {
            throw FerryError(.usage, "profile \(path): \(Manifest.describe(error)). See Schemas/profile.schema.json.")
        }
    }

    private static func checkKeys(_ value: JSONValue, allowed: Set<String>, at place: String, path: String) throws {
        guard case .object(let pairs) = value else {
            throw FerryError(.usage, "profile \(path): \(place) must be a JSON object, found \(value.kindName).")
        }
        for (key, _) in pairs where !allowed.contains(key) {
            throw FerryError(.usage, "profile \(path): unknown key \"\(key)\" at \(place). Allowed: \(allowed.sorted().joined(separator: ", ")). See Schemas/profile.schema.json.")
        }
    }
}
