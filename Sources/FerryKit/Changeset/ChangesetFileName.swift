/// File names inside a changeset: one path component, derived from the table name.
public enum ChangesetFileName {
    public static let suffix = ".ndjson.gz"

    /// `users` → `users.ndjson.gz`; bytes outside `[A-Za-z0-9_-]` are percent-encoded, so
    /// `a/b` or `"x"` can never name a path outside the folder.
    public static func forTable(_ name: String) -> String {
        var result = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                result.append(Character(UnicodeScalar(byte)))
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result + suffix
    }

    /// Refuses any file name that could leave the changeset folder.
    static func validate(_ file: String, table: String, place: String) throws {
        let allowed = file.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "%"):
                return true
            default:
                return false
            }
        }
        guard allowed, !file.hasPrefix("."), file.hasSuffix(suffix), file.utf8.count <= 255 else {
            throw FerryError(.unsafe, "\(place): table \(table) names the file \"\(file)\", which is not a plain file name inside the changeset (letters, digits, _ - . % only, ending in \(suffix)). Ferry never reads or writes outside the changeset folder; the changeset is damaged or forged.")
        }
    }
}

extension String {
    package func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
