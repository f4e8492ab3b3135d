import Foundation
import Testing
@testable import FerryKit

/// The line reader's fast path (`JSONParser.decodeRecord`) reads a row without a JSON tree.
/// The model is the tree decoder: for any line, well formed or hostile, both give the same
/// record or the same error.
@Suite struct RecordFastPathTests {
    private static let columns = RecordDecoder.Columns(["id", "email", "ownerId", "score", "blob"])

    /// Lines of the shapes Ferry writes, and lines of every shape it does not.
    private static let lines: [String] = [
        #"{"op":"upsert","cloudId":"c1","keys":{"id":"a"},"row":{"id":"a","email":"a@x","ownerId":"o1","score":1.5,"blob":null},"refs":{"ownerId":{"table":"owners","keys":{"id":"o1"}}},"hash":"ab12"}"#,
        #"{"op":"upsert","row":{"id":"a","email":"é\u00e9\n","ownerId":null,"score":-0,"blob":{"$base64":true,"encoded":"AAE="}}}"#,
        #"{"op":"upsert","row":{"id":"a","email":"x","ownerId":null,"score":{"$real":"inf"},"blob":1e308}}"#,
        #" { "op" : "upsert" , "row" : { "id" : 1 , "email" : "x" } } "#,
        #"{"op":"delete","keys":{"id":"a"},"base":"0000000100000002","versions":{"s1":3}}"#,
        #"{"op":"upsert","row":{"id":"a"},"was":{"email":"old@x"},"rowid":7,"reject":{"reason":"x"}}"#,
        #"{"op":"upsert","row":{}}"#,
        #"{"row":{"id":"a"},"op":"upsert"}"#,
        #"{"op":"upsert","row":{"id":"a"},"refs":{"ownerId":{"table":"owners","cloudId":"c9","keys":{"id":"o1","n":2}},"email":{"table":"t","keys":{}}}}"#,
        #"{"op":"delete","cloudId":7,"keys":{"id":"a","n":-1.5e3,"z":null},"hash":"h\u0041"}"#,
        // Fields Ferry writes plainly, written otherwise.
        #"{"op":"upse\u0072t","row":{}}"#,
        #"{"op":"Upsert","row":{}}"#,
        #"{"op":7,"row":{}}"#,
        #"{"op":"delete","keys":{"ownerId":{"$ref":{"cloudId":"c1"}},"id":"a"}}"#,
        #"{"op":"delete","keys":{"id":{"$real":"-inf"}}}"#,
        #"{"op":"delete","keys":{"id":"a","id":"b"}}"#,
        #"{"op":"delete","keys":{"id":[]}}"#,
        #"{"op":"delete","keys":"a"}"#,
        #"{"op":"delete","keys":{"id":"a"},"cloudId":{"$base64":true,"encoded":"AA=="}}"#,
        #"{"op":"delete","keys":{"id":"a"},"cloudId":true}"#,
        #"{"op":"delete","keys":{"id":"a"},"hash":7}"#,
        #"{"op":"delete","keys":{"id":"a"},"hash":"x","hash":"y"}"#,
        // References: empty, unnamed, repeated, of the wrong kind, with fields Ferry does not write.
        #"{"op":"upsert","row":{},"refs":{}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"keys":{"id":1}}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":7}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":"t","table":"u"}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":"t"},"a":{"table":"u"}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":"t","note":[1,{"x":2}]}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":"t","keys":{"id":1,"id":2}}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":"t","keys":{"id":true}}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":"t","keys":[1]}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":"t","cloudId":{"$real":"nan"}}}}"#,
        #"{"op":"upsert","row":{},"refs":{"a":{"table":"t","cloudId":false}}}"#,
        #"{"op":"upsert","row":{},"refs":{"\u0061":{"table":"t\"u","keys":{"i\nd":"x"}}}}"#,
        #"{"op":"upsert","row":{},"refs":[]}"#,
        #"{"op":"upsert","row":{},"refs":{"a":"t"}}"#,
        // Columns in another order, missing, unknown, repeated, or spelt with an escape.
        #"{"op":"upsert","row":{"email":"x","id":"a"}}"#,
        #"{"op":"upsert","row":{"id":"a","email":"x","ownerId":"o","score":1,"blob":null,"extra":2}}"#,
        #"{"op":"upsert","row":{"id":"a","id":"b"}}"#,
        #"{"op":"upsert","row":{"id":"a","email":"x","email":"y"}}"#,
        #"{"op":"upsert","row":{"\u0069d":"a"}}"#,
        #"{"op":"upsert","row":{"idx":"a"}}"#,
        // Cells that are not values.
        #"{"op":"upsert","row":{"id":true}}"#,
        #"{"op":"upsert","row":{"id":[1]}}"#,
        #"{"op":"upsert","row":{"id":{"$real":"big"}}}"#,
        #"{"op":"upsert","row":{"id":{"$base64":true,"encoded":"%%"}}}"#,
        #"{"op":"upsert","row":{"id":99999999999999999999}}"#,
        #"{"op":"upsert","row":{"id":01}}"#,
        #"{"op":"upsert","row":{"id":1.}}"#,
        #"{"op":"upsert","row":{"id":"\ud800"}}"#,
        // Fields: repeated, unknown, escaped, missing, of the wrong kind.
        #"{"op":"upsert","op":"delete","row":{}}"#,
        #"{"op":"upsert","row":{},"row":{"id":"a"}}"#,
        #"{"op":"upsert","bogus":1,"row":{}}"#,
        #"{"\u006fp":"upsert","row":{}}"#,
        #"{"row":{"id":"a"}}"#,
        #"{"op":"upsert"}"#,
        #"{"op":"upsert","row":[]}"#,
        #"{"op":"upsert","row":"x"}"#,
        #"{"op":"merge","row":{}}"#,
        #"{"op":"upsert","row":{},"rowid":1.5}"#,
        #"{"op":"upsert","row":{},"was":{}}"#,
        #"{"op":"upsert","row":{},"base":7}"#,
        // Not an object, or not only one.
        #"[]"#, #""op""#, #"{}"#, #"{"op":"upsert","row":{}} x"#, #"{"op":"upsert","row":{}"#, #"{"op":"upsert","row":{"id":"a"}"#,
        #"{"op":"upsert","row":{"id":"a",}}"#, #"{"op":"upsert","row":{"id" "a"}}"#, #"{"op":"upsert",}"#, #""#,
        #"{"op":"upsert","row":{"id":"unterminated}}"#,
    ]

    @Test func everyLineDecodesAsTheTreeDecoderDecodesIt() throws {
        for line in Self.lines { try expectSameOutcome(Array(line.utf8), line) }
    }

    /// Ferry's own lines take the fast path (else it would be there for nothing).
    @Test func plainLinesTakeTheFastPath() {
        for line in Self.lines.prefix(10) {
            let bytes = Array(line.utf8)
            #expect(bytes.withUnsafeBufferPointer { JSONParser.decodeRecord($0, columns: Self.columns) } != nil, "\(line)")
        }
    }

    /// Manifest columns the fast path cannot compare as bytes (an escape in the name, two
    /// names alike) turn it off for the table.
    @Test func columnsSpeltWithEscapesOrRepeatedTurnTheFastPathOff() throws {
        let quoted = RecordDecoder.Columns(["a\"b"])
        let line = Array(#"{"op":"upsert","row":{"a\"b":1}}"#.utf8)
        #expect(line.withUnsafeBufferPointer { JSONParser.decodeRecord($0, columns: quoted) } == nil)
        #expect(try line.withUnsafeBufferPointer { try RecordDecoder.decode($0, columns: quoted) }.row.map(\.0) == ["a\"b"])
        let twice = RecordDecoder.Columns(["a", "a"])
        let repeated = Array(#"{"op":"upsert","row":{"a":1,"a":2}}"#.utf8)
        #expect(repeated.withUnsafeBufferPointer { JSONParser.decodeRecord($0, columns: twice) } == nil)
        #expect(throws: FerryError.self) { try repeated.withUnsafeBufferPointer { try RecordDecoder.decode($0, columns: twice) } }
    }

    /// Random edits of good lines: a byte dropped, doubled or replaced by one JSON cares about.
    @Test func mutatedLinesDecodeAsTheTreeDecoderDecodesThem() throws {
        var random = SplitMix64(seed: 16)
        let alphabet = Array(#"{}[]":,\ "0-9eE.ntrufalsx"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        let seeds = Self.lines.prefix(10).map { Array($0.utf8) }
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(bytes[at], at: at)
                default: bytes[at] = alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
                }
            }
            try expectSameOutcome(bytes, "round \(round): \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    private func expectSameOutcome(_ bytes: [UInt8], _ label: String) throws {
        let tree = Result { try bytes.withUnsafeBufferPointer { try RecordDecoder.decode($0) } }
        let fast = Result { try bytes.withUnsafeBufferPointer { try RecordDecoder.decode($0, columns: Self.columns) } }
        switch (tree, fast) {
        case (.success(let expected), .success(let got)):
            #expect(Self.describe(got) == Self.describe(expected), "\(label)")
        case (.failure(let expected), .failure(let got)):
            #expect("\(got)" == "\(expected)", "\(label)")
        default:
            Issue.record("one decoder failed, the other did not: \(label) tree \(tree) fast \(fast)")
        }
    }

    /// Every field of a record, names and values in order (tuples are not Equatable).
    private static func describe(_ record: Record) -> String {
        func pairs(_ list: [(String, Value)]) -> String { list.map { "\($0.0)=\(String(reflecting: $0.1))" }.joined(separator: ",") }
        func refs(_ list: [(String, Record.ReferenceIdentity)]) -> String {
            list.map { "\($0.0)->\($0.1.table)/\(String(reflecting: $0.1.cloudId))/\(pairs($0.1.keys))" }.joined(separator: ",")
        }
        return [
            "\(record.operation)", String(reflecting: record.cloudId), pairs(record.keys), refs(record.keyRefs), pairs(record.row), refs(record.refs),
            record.hash ?? "-", "\(String(describing: record.base))", "\(String(describing: record.legacyBase))", "\(String(describing: record.versions))",
            pairs(record.was), refs(record.wasRefs), "\(String(describing: record.rowid))",
        ].joined(separator: " | ")
    }
}
