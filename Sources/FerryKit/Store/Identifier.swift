/// SQL identifier quoting. Identifiers cannot be bound as parameters, so every table
/// and column name Ferry puts in SQL goes through here, whatever its origin.
public enum Identifier {
    /// `name` with ASCII letters lowercased and every other character kept: how SQLite
    /// matches names without case (`É` and `é` are two names to it).
    public static func asciiLowercased(_ name: String) -> String {
        String(decoding: name.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// `users` → `"users"`, `a"b` → `"a""b"`.
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func quoteList(_ names: [String]) -> String {
        names.map(quote).joined(separator: ", ")
    }
}
