import ArgumentParser
import Foundation
import FerryKit
import FerrySQLite
import FerryPostgres
import FerryStores

/// `--max-line-size`, for every command that reads a changeset's records.
struct LineSizeOptions: ParsableArguments {
    @Option(name: .customLong("max-line-size"),
            help: ArgumentHelp("The longest record line (and so the largest value) a changeset may hold: bytes, or a number with K, M or G (1024-based). A longer line is refused.", valueName: "BYTES"))
    var maxLineSize = ByteCount(ChangesetReader.defaultMaximumLineLength)

    var bytes: Int { maxLineSize.bytes }
}

/// A size in bytes from the command line: `1000`, `64K`, `64M`, `1G` (also `64MiB`, `64mb`).
struct ByteCount: ExpressibleByArgument {
    let bytes: Int

    init(_ bytes: Int) {
        self.bytes = bytes
    }

    init?(argument: String) {
        var text = Substring(argument.trimmingCharacters(in: .whitespaces).uppercased())
        for unit in ["IB", "B"] where text.hasSuffix(unit) && text.count > unit.count {
            text = text.dropLast(unit.count)
            break
        }
        var multiplier = 1
        if let last = text.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            multiplier = 1 << (10 * power)
            text = text.dropLast()
        }
        guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let number = Int(text) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, bytes > 0 else { return nil }
        self.bytes = bytes
    }

    var defaultValueDescription: String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20)M" : "\(bytes)"
    }
}
