import Foundation

extension Profile {
    /// Reads a profile file (Schemas/profile.schema.json), with errors that say where.
    public static func load(path: String) throws -> Profile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FerryError(.io, "cannot read the profile \(path). Check the --profile path.")
        }
        do {
            return try JSONDecoder().decode(Profile.self, from: data)
        } catch {
            throw FerryError(.usage, "profile \(path): \(Manifest.describe(error)). See Schemas/profile.schema.json.")
        }
    }
}
