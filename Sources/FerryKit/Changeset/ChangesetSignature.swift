import Crypto
import Foundation

/// An Ed25519 key pair's public half, as `ferry keygen` writes it to `NAME.pub`:
/// one line, `ferry-ed25519 BASE64 NAME`.
public struct SignerKey: Sendable, Equatable {
    public static let tag = "ferry-ed25519"
    public let raw: [UInt8]
    /// Who the key belongs to, as `keygen --name` gave it (display only).
    public let name: String

    public init(raw: [UInt8], name: String) {
        self.raw = raw
        self.name = name
    }

    /// The first 16 hex digits of the key's sha256: what `inspect` shows and a person compares.
    public var fingerprint: String { String(SHA256.hash(data: raw).hexString.prefix(16)) }

    public var fileText: String { "\(Self.tag) \(String(decoding: Base64.encode(raw), as: UTF8.self)) \(name)\n" }

    /// Reads a public key file (`--trust FILE`), or every `*.pub` in a folder (`--trust DIR`).
    public static func load(trust path: String) throws -> [SignerKey] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FerryError(.io, "--trust \(path): no such file or folder. Give a public key that `ferry keygen` wrote (NAME.pub), or a folder of them.")
        }
        guard isDirectory.boolValue else { return [try parse(try readSmallFile(path), place: path)] }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".pub") }.sorted()
        guard !names.isEmpty else {
            throw FerryError(.io, "--trust \(path): the folder holds no .pub file. Put the public keys you trust there (`ferry keygen` writes NAME.pub).")
        }
        return try names.map { try parse(try readSmallFile(path + "/" + $0), place: path + "/" + $0) }
    }

    static func parse(_ bytes: [UInt8], place: String) throws -> SignerKey {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        if text.hasPrefix(SigningKey.tag) {
            throw FerryError(.usage, "\(place) is a private key. --trust takes the public key (NAME.pub); keep the private one to yourself.")
        }
        guard parts.count >= 2, parts[0] == tag, let raw = Base64.decode(Array(parts[1].utf8)), raw.count == 32 else {
            throw FerryError(.format, "\(place) is not a Ferry public key (expected one line: \(tag) BASE64 NAME, as `ferry keygen` writes it).")
        }
        return SignerKey(raw: raw, name: parts.count > 2 ? String(parts[2]) : "")
    }
}

/// The private half, `NAME.key` (mode 0600): `ferry-ed25519-private BASE64 NAME`. Never printed.
public struct SigningKey: Sendable {
    static let tag = "ferry-ed25519-private"
    let key: Curve25519.Signing.PrivateKey
    public let name: String

    public var publicKey: SignerKey { SignerKey(raw: Array(key.publicKey.rawRepresentation), name: name) }

    public static func generate(name: String) -> SigningKey {
        SigningKey(key: Curve25519.Signing.PrivateKey(), name: name)
    }

    public static func load(path: String) throws -> SigningKey {
        let text = String(decoding: try readSmallFile(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        if text.hasPrefix(SignerKey.tag + " ") {
            throw FerryError(.usage, "\(path) is a public key. --sign takes the private key (NAME.key) that `ferry keygen` wrote beside it.")
        }
        guard parts.count >= 2, parts[0] == tag, let raw = Base64.decode(Array(parts[1].utf8)), raw.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw FerryError(.format, "\(path) is not a Ferry private key (expected one line: \(tag) BASE64 NAME, as `ferry keygen` writes it).")
        }
        return SigningKey(key: key, name: parts.count > 2 ? String(parts[2]) : "")
    }

    var fileText: String { "\(Self.tag) \(String(decoding: Base64.encode(Array(key.rawRepresentation)), as: UTF8.self)) \(name)\n" }

    /// Writes `BASE.key` and `BASE.pub`, both mode 0600 and neither over an existing file.
    public func write(base: String) throws -> (privatePath: String, publicPath: String) {
        let privatePath = base + ".key", publicPath = base + ".pub"
        for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw FerryError(.io, "\(path) already exists; Ferry never replaces a key. Choose another --out, or move the old key away first.")
        }
        try Self.writeNew(Array(fileText.utf8), to: privatePath)
        do {
            try Self.writeNew(Array(publicKey.fileText.utf8), to: publicPath)
        } catch {
            unlink(privatePath)
            throw error
        }
        return (privatePath, publicPath)
    }

    private static func writeNew(_ bytes: [UInt8], to path: String) throws {
        // O_EXCL and the mode at creation: the key is never readable by others, not even for a moment.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw FerryError(.io, "cannot create \(path): \(String(cString: strerror(errno))). Check that the folder exists and is writable.")
        }
        let file = OutputFile(descriptor: fd, path: path)
        try file.write(bytes)
        try file.sync()
        try file.close()
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: message))
    }
}

/// `manifest.sig`: an Ed25519 signature over the manifest, which names every other file of
/// the changeset by sha256. Four lines, nothing else, so a changed byte anywhere in it is
/// seen (the reader re-renders what it parsed and compares bytes):
/// ```
/// ferry-signature 1
/// key BASE64-PUBLIC-KEY
/// signer NAME
/// signature BASE64-SIGNATURE
/// ```
/// The signed message is `ferry-signature 1\nSIGNER\nSHA256-OF-MANIFEST-HEX`, so the
/// signer's name is covered too.
public struct ChangesetSignature: Sendable, Equatable {
    public static let fileName = "manifest.sig"
    static let header = "ferry-signature 1"

    public let key: SignerKey
    let signature: [UInt8]

    static func message(manifest: [UInt8], signer: String) -> [UInt8] {
        Array("\(header)\n\(signer)\n\(SHA256.hash(data: manifest).hexString)".utf8)
    }

    static func make(manifest: [UInt8], with signingKey: SigningKey) throws -> ChangesetSignature {
        let publicKey = signingKey.publicKey
        return ChangesetSignature(key: publicKey, signature: try signingKey.sign(message(manifest: manifest, signer: publicKey.name)))
    }

    var fileBytes: [UInt8] {
        let base64 = { (bytes: [UInt8]) in String(decoding: Base64.encode(bytes), as: UTF8.self) }
        return Array("\(Self.header)\nkey \(base64(key.raw))\nsigner \(key.name)\nsignature \(base64(signature))\n".utf8)
    }

    static func parse(_ bytes: [UInt8], place: String) throws -> ChangesetSignature {
        let damaged = FerryError(.checksum, "\(place) is not a well-formed Ferry signature; the changeset was changed or damaged. Copy it again, or ask its sender for a new signed export.")
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard bytes.count < 4096, lines.count == 5, lines[0] == header, lines[4].isEmpty,
              lines[1].hasPrefix("key "), lines[2].hasPrefix("signer "), lines[3].hasPrefix("signature "),
              let raw = Base64.decode(Array(lines[1].dropFirst(4).utf8)), raw.count == 32,
              let signature = Base64.decode(Array(lines[3].dropFirst(10).utf8)), signature.count == 64 else { throw damaged }
        let parsed = ChangesetSignature(key: SignerKey(raw: raw, name: String(lines[2].dropFirst(7))), signature: signature)
        // Base64 has more than one spelling of some bytes: only the one Ferry writes counts.
        guard parsed.fileBytes == bytes else { throw damaged }
        return parsed
    }

    /// Whether the signature is the key's over `manifest`.
    func isValid(for manifest: [UInt8]) -> Bool {
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.raw) else { return false }
        return publicKey.isValidSignature(signature, for: Self.message(manifest: manifest, signer: key.name))
    }
}

/// Who signed a changeset, and whether a trusted key says so.
public struct SignatureCheck: Sendable {
    public let key: SignerKey
    /// The trusted key that matched (its file's name wins over the one the changeset claims).
    public let trusted: SignerKey?

    public var description: String {
        if let trusted { return "signed by \(trusted.name.isEmpty ? "(unnamed key)" : trusted.name) (ed25519 \(trusted.fingerprint)), trusted" }
        return "signed by \(key.name.isEmpty ? "(unnamed key)" : key.name) (ed25519 \(key.fingerprint)), not checked against a trusted key: pass --trust PUBKEY"
    }
}

func readSmallFile(_ path: String, limit: Int = 64 * 1024) throws -> [UInt8] {
    let file = try InputFile(path: path)
    guard file.size <= limit else { throw FerryError(.format, "\(path) is larger than \(limit / 1024) KiB; it is not a Ferry key.") }
    return try ByteRange(file: file).readAll()
}
