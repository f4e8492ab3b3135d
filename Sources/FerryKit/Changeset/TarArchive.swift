import Foundation

/// The `.ferry` single-file form of a changeset: a POSIX ustar archive of the folder's
/// files, readable with `tar xf`. Ferry reads members in place (no extraction), so an
/// archive's names can never write anywhere.
enum TarArchive {
    static let blockSize = 512

    /// Writes `files` (plain names inside `folder`) into a new archive at `path`.
    /// Every member's mtime is `mtime` (the manifest's createdAt, so a signature covers it).
    static func write(folder: String, files: [String], to path: String, mtime: Int) throws {
        let output = try OutputFile(creating: path)
        for name in files {
            let input = try InputFile(path: folder + "/" + name)
            try output.write(try header(name: name, size: input.size, mtime: mtime))
            try ByteRange(file: input).forEachChunk { try output.write($0) }
            let padding = (blockSize - input.size % blockSize) % blockSize
            try output.write([UInt8](repeating: 0, count: padding))
        }
        try output.write([UInt8](repeating: 0, count: blockSize * 2))
        try output.close()
    }

    private static func header(name: String, size: Int, mtime: Int) throws -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 100 else { throw FerryError(.io, "file name \(name) is too long for a .ferry archive (100 bytes at most).") }
        // ustar sizes are 11 octal digits: 8 GiB a member.
        guard size < 0o77777777777 else { throw FerryError(.io, "\(name) is larger than 8 GiB, the limit of a .ferry archive member; export to a folder instead.") }
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String { String(value, radix: 8).leftPadded(to: width - 1) }
        block.replaceSubrange(0..<nameBytes.count, with: nameBytes)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(mtime, width: 12), at: 136)
        put("        ", at: 148)
        block[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        put("00", at: 263)
        let checksum = block.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 7), at: 148)
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// Lists the regular-file members of an archive: name → byte range.
    static func members(of file: InputFile) throws -> [String: ByteRange] {
        var result: [String: ByteRange] = [:]
        var offset = 0
        var block = [UInt8](repeating: 0, count: blockSize)
        while offset + blockSize <= file.size {
            let read = try block.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: blockSize, at: offset) }
            guard read == blockSize else { break }
            if block.allSatisfy({ $0 == 0 }) { return result }
            let place = "\(file.path) (archive header at byte \(offset))"
            var stored = block
            stored.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
            guard let expected = octalValue(block[148..<156]), expected == stored.reduce(0, { $0 + Int($1) }) else {
                throw FerryError(.format, "\(place): the header checksum is wrong. The .ferry file is damaged: copy it again or ask for a new export.")
            }
            guard let size = octalValue(block[124..<136]) else {
                throw FerryError(.format, "\(place): the member size is not readable. The .ferry file is damaged.")
            }
            let prefix = cString(block[345..<500])
            let name = (prefix.isEmpty ? "" : prefix + "/") + cString(block[0..<100])
            let type = block[156]
            // Checked arithmetic: a forged size must end in a refusal, never in a trap.
            let dataStart = offset + blockSize
            let (dataEnd, endOverflows) = dataStart.addingReportingOverflow(size)
            let (rounded, padOverflows) = size.addingReportingOverflow(blockSize - 1)
            let (next, nextOverflows) = dataStart.addingReportingOverflow(rounded / blockSize * blockSize)
            guard !endOverflows, !padOverflows, !nextOverflows, dataEnd <= file.size else {
                throw FerryError(.format, "\(file.path): member \(name) is cut short (the file is truncated). Copy it again or ask for a new export.")
            }
            if type == UInt8(ascii: "0") || type == 0 {
                guard !name.contains("/"), !name.hasPrefix(".") || name == "." else {
                    throw FerryError(.unsafe, "\(file.path): member \"\(name)\" is not a plain file name. A .ferry archive holds only the changeset's own files; it is damaged or forged.")
                }
                // `tar xf` would let the last copy win; which one Ferry checked must never be in doubt.
                guard result[name] == nil else {
                    throw FerryError(.unsafe, "\(file.path): member \"\(name)\" appears twice. A .ferry archive holds each file once; it is damaged or forged. Ask for a new export.")
                }
                result[name] = ByteRange(file: file, offset: dataStart, count: size)
            } else if type != UInt8(ascii: "5") {
                throw FerryError(.unsafe, "\(file.path): member \"\(name)\" is not a regular file (type '\(Character(UnicodeScalar(type)))'). A .ferry archive holds only plain files; it is damaged or forged.")
            }
            offset = next
        }
        if result.isEmpty {
            throw FerryError(.format, "\(file.path) is neither a changeset folder nor a .ferry archive.")
        }
        return result
    }

    /// Checks that the archive is exactly what `write` makes of `members`: each header the
    /// one Ferry writes for that name and size, zero padding, two zero blocks, nothing after.
    /// A signature covers the manifest and the manifest every member's bytes; this covers
    /// the rest, so no byte of a signed archive can change unnoticed (a header checksum alone
    /// misses a changed byte inside the checksum field, and the last zero block is never read).
    static func checkCanonical(_ file: InputFile, members expectedOrder: [String], mtime expectedTime: Int) throws {
        let expected = Set(expectedOrder)
        let damaged = { (what: String) in
            FerryError(.checksum, "\(file.path): \(what), so the archive is not the one that was signed. Copy it again, or ask its sender for a new signed export.")
        }
        var offset = 0
        var seen = Set<String>()
        var block = [UInt8](repeating: 0, count: blockSize)
        func readBlock(at position: Int) throws -> Bool {
            guard position + blockSize <= file.size else { return false }
            return try block.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: blockSize, at: position) } == blockSize
        }
        while true {
            guard try readBlock(at: offset) else { throw damaged("it ends without the closing zero blocks") }
            if block.allSatisfy({ $0 == 0 }) { break }
            let name = cString(block[0..<100])
            guard expected.contains(name), seen.insert(name).inserted else { throw damaged("member \"\(name)\" is not one the signed manifest names (or appears twice)") }
            guard name == expectedOrder[seen.count - 1] else { throw damaged("member \(name) is out of the order Ferry writes") }
            guard let size = octalValue(block[124..<136]),
                  let canonical = try? header(name: name, size: size, mtime: expectedTime), canonical == block else {
                throw damaged("the header of \(name) at byte \(offset) is not the one Ferry writes")
            }
            let dataEnd = offset + blockSize + size
            let next = offset + blockSize + (size + blockSize - 1) / blockSize * blockSize
            guard next <= file.size else { throw damaged("member \(name) is cut short") }
            if next > dataEnd {
                var padding = [UInt8](repeating: 0, count: next - dataEnd)
                _ = try padding.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: next - dataEnd, at: dataEnd) }
                guard padding.allSatisfy({ $0 == 0 }) else { throw damaged("the padding after \(name) is not zero") }
            }
            offset = next
        }
        guard try readBlock(at: offset + blockSize), block.allSatisfy({ $0 == 0 }), offset + 2 * blockSize == file.size else {
            throw damaged("its end is not two zero blocks and nothing after them")
        }
        guard seen == expected else { throw damaged("it lacks \(expected.subtracting(seen).sorted().joined(separator: ", "))") }
    }

    private static func octalValue(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var sawDigit = false
        for byte in bytes {
            if byte == 0 || byte == 0x20 { if sawDigit { break } else { continue } }
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 8)
            guard !overflow, shifted <= Int.max - 7 else { return nil }
            value = shifted + Int(byte - UInt8(ascii: "0"))
            sawDigit = true
        }
        return sawDigit ? value : nil
    }

    private static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
