import FerryKit

/// What a PostgreSQL trigger function does to the row, read from its source, so that an
/// import sets aside only the triggers that stamp rows with the current time.
enum PostgresTriggerFunction {
    enum Kind: Equatable { case stamp, stampAndMore, other }

    private static let timeSources = ["now()", "current_timestamp", "clock_timestamp()", "statement_timestamp()", "transaction_timestamp()",
                                      "localtimestamp", "current_date", "current_time", "localtime"]

    /// `moddatetime` (the contrib module's stamp), or a PL/pgSQL or SQL body whose statements
    /// only set NEW's columns to the current time and return, possibly under an IF:
    /// `NEW.last_update = CURRENT_TIMESTAMP; RETURN NEW;`. A body that also raises, derives
    /// a value from the row or writes elsewhere is `stampAndMore` when it stamps too.
    static func kind(name: String, language: String, source: String) -> Kind {
        if name == "moddatetime" { return .stamp }
        guard language == "plpgsql" || language == "sql" else { return .other }
        var text = source.lowercased()
        // Comments out; string literals stay (they only ever make a statement "more").
        while let start = text.range(of: "--") {
            let end = text[start.upperBound...].firstIndex(of: "\n") ?? text.endIndex
            text.removeSubrange(start.lowerBound..<end)
        }
        while let start = text.range(of: "/*"), let end = text[start.upperBound...].range(of: "*/") {
            text.removeSubrange(start.lowerBound..<end.upperBound)
        }
        var stamps = 0, more = 0
        for piece in text.split(separator: ";") {
            var statement = piece.trimmingCharacters(in: .whitespacesAndNewlines)
            // Block and branch words around the statements.
            var stripped = true
            while stripped {
                stripped = false
                for word in ["begin", "else", "end if", "end"] where statement == word || statement.hasPrefix(word + " ") || statement.hasPrefix(word + "\n") {
                    statement = String(statement.dropFirst(word.count)).trimmingCharacters(in: .whitespacesAndNewlines)
                    stripped = true
                }
                for word in ["if ", "elsif "] where statement.hasPrefix(word) {
                    guard let then = statement.range(of: " then") else { break }
                    statement = String(statement[then.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
                    stripped = true
                }
            }
            if statement.isEmpty || ["return new", "return old", "return null"].contains(statement) { continue }
            if statement.hasPrefix("new."), let assign = statement.range(of: ":=") ?? statement.range(of: "=") {
                let value = statement[assign.upperBound...]
                if timeSources.contains(where: { value.contains($0) }) && !value.contains("new.") { stamps += 1; continue }
            }
            more += 1
        }
        if stamps == 0 { return .other }
        return more == 0 ? .stamp : .stampAndMore
    }
}
