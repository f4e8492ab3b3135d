import ArgumentParser
import FerryKit
import Foundation

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key pair for signing changesets.",
        discussion: """
            Writes OUT.key (the private key: keep it, sign with `ferry export --sign OUT.key`) \
            and OUT.pub (the public key: give it to whoever imports, who checks with \
            `--trust OUT.pub`). Both files are created with mode 0600 and never replace an \
            existing file. The private key is never printed.

            Example:
              ferry keygen --out ops-laptop --name "ops laptop"
            """
    )

    @Option(help: "Where to write the pair: OUT.key and OUT.pub.")
    var out: String

    @Option(help: "A name for the key, shown by `inspect` and `verify` (default: the file name).")
    var name: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let name, name.contains(where: { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) }) {
            throw ValidationError("--name must be one line of printable text.")
        }
    }

    func run() throws {
        try runReportingErrors(common) {
            let base = out.hasSuffix(".key") || out.hasSuffix(".pub") ? String(out.dropLast(4)) : out
            let key = SigningKey.generate(name: name ?? URL(fileURLWithPath: base).lastPathComponent)
            let (privatePath, publicPath) = try key.write(base: base)
            if !common.quiet {
                printError("wrote \(privatePath) (private: keep it, sign with --sign) and \(publicPath) (public: others check with --trust); fingerprint \(key.publicKey.fingerprint)")
            }
        }
    }
}
