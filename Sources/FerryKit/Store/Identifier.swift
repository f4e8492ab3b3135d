/// SQL identifier quoting. Identifiers cannot be bound as parameters, so every table
/// and column name Ferry puts in SQL goes through here, whatever its origin.
public enum Identifier {
    /// `users` → `"users"`, `a"b` → `"a""b"`.
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func quoteList(_ names: [String]) -> String {
        names.map(quote).joined(separator: ", ")
    }
}
