import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

@Suite struct RecordCodecTests {
    private func roundTrip(_ value: Value) throws -> Value {
        var buffer = JSONBuffer()
        buffer.appendValue(value)
        let json = try JSONParser.parse(buffer.bytes)
        return try RecordDecoder.decodeValue(json, column: "c")
    }

    @Test func everyRandomDoubleRoundTripsBitForBit() throws {
        var generator = SplitMix64(seed: 2026)
        var mismatches = 0
        // Random bit patterns cover subnormals, huge and tiny exponents and 17-digit mantissas.
        for _ in 0..<300_000 {
            let value = Double(bitPattern: generator.next())
            if value.isNaN { continue }
            if try roundTrip(.real(value)) != .real(value) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// The record line, byte for byte: each object's opening travels with its first key,
    /// so an object without keys, a row without refs and a ref with keys are all pinned.
    @Test func recordLinesAreWrittenExactly() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("format.db").path
            let db = try SQLiteDatabase(path: path, mode: .readWriteCreate)
            try db.execute("""
                CREATE TABLE roles (id TEXT PRIMARY KEY NOT NULL, cloudId TEXT UNIQUE, name TEXT NOT NULL UNIQUE);
                CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL UNIQUE, roleId TEXT REFERENCES roles(id), score REAL);
                CREATE TABLE log (msg TEXT, n INTEGER);
                INSERT INTO roles VALUES ('r1', 'c-1', 'admin');
                INSERT INTO users VALUES ('u1', 'a@x', 'r1', 1.5), ('u2', 'b@x', NULL, 2);
                INSERT INTO log VALUES ('hi', 1);
                """)
            let store = try SQLiteStore(path: path, mode: .readOnly)
            let tables = try store.tables(profile: .empty)
            func lines(_ name: String) throws -> [String] {
                let table = try #require(tables.first { $0.name == name })
                let encoder = RecordEncoder(table: table, tables: tables)
                var buffer = JSONBuffer()
                try store.scan(table, columns: table.columnNames, joining: encoder.joins) { encoder.append($0, to: &buffer) }
                return buffer.string.split(separator: "\n").map(String.init)
            }
            #expect(try lines("roles") == [#"{"op":"upsert","cloudId":"c-1","keys":{"name":"admin"},"row":{"id":"r1","cloudId":"c-1","name":"admin"}}"#])
            #expect(try lines("users") == [
                #"{"op":"upsert","keys":{"email":"a@x"},"row":{"id":"u1","email":"a@x","roleId":"r1","score":1.5},"refs":{"roleId":{"table":"roles","cloudId":"c-1","keys":{"name":"admin"}}}}"#,
                #"{"op":"upsert","keys":{"email":"b@x"},"row":{"id":"u2","email":"b@x","roleId":null,"score":2.0}}"#,
            ])
            #expect(try lines("log") == [#"{"op":"upsert","keys":{},"row":{"msg":"hi","n":1}}"#])
        }
    }

    @Test func realsAlwaysCarryADotOrExponent() {
        for (value, text) in [(1.0, "1.0"), (-0.0, "-0.0"), (1e300, "1e+300"), (Double.leastNonzeroMagnitude, "5e-324"), (0.1, "0.1"), (1e16, "1e+16"), (123456789.0, "123456789.0")] {
            var buffer = JSONBuffer()
            buffer.appendReal(value)
            #expect(buffer.string == text)
        }
    }

    @Test func nonFiniteRealsUseTheTaggedForm() throws {
        for (value, text) in [(Double.infinity, #"{"$real":"inf"}"#), (-Double.infinity, #"{"$real":"-inf"}"#)] {
            var buffer = JSONBuffer()
            buffer.appendReal(value)
            #expect(buffer.string == text)
            #expect(try roundTrip(.real(value)) == .real(value))
        }
        guard case .real(let nan) = try roundTrip(.real(.nan)) else { Issue.record("NaN did not come back as a REAL"); return }
        #expect(nan.isNaN)
    }

    @Test func integersKeepAll64Bits() throws {
        for value: Int64 in [.min, .max, 0, -1, 9_007_199_254_740_993, -9_007_199_254_740_993] {
            var buffer = JSONBuffer()
            buffer.appendInteger(value)
            #expect(buffer.string == String(value))
            #expect(try roundTrip(.integer(value)) == .integer(value))
        }
    }

    @Test func anIntegerWiderThan64BitsIsAnErrorNotADouble() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("9223372036854775808".utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("-9223372036854775809".utf8)) }
    }

    @Test func textWithNULControlsLineSeparatorsAndEmojiRoundTrips() throws {
        let text = "a\u{0}b\u{1}\u{1F}\t\n\r\"\\/\u{7F}\u{2028}\u{2029}😀é"
        var buffer = JSONBuffer()
        buffer.appendValue(.text(text))
        #expect(!buffer.bytes.contains(0x0A), "a record line must never contain a raw newline")
        #expect(buffer.string.contains("\\u2028"))
        #expect(try roundTrip(.text(text)) == .text(text))
        #expect(try roundTrip(.text("")) == .text(""))
    }

    /// Plain printable ASCII is copied in one go; every byte just outside that range must
    /// still take the escaping path.
    @Test(arguments: [
        ("plain ~ text", #""plain ~ text""#), ("", #""""#), ("quote \"", #""quote \"""#), ("back\\slash", #""back\\slash""#),
        ("tab\t", #""tab\t""#), ("unit\u{1F}", #""unit\u001f""#), ("del\u{7F}", #""del\u007f""#), ("é", "\"é\""), ("\u{2028}", #""\u2028""#),
    ])
    func textIsEscapedExactlyWhereJSONNeedsIt(text: String, json: String) {
        var buffer = JSONBuffer()
        Array(text.utf8).withUnsafeBufferPointer { buffer.appendText($0) }
        #expect(buffer.string == json)
    }

    /// The check reads sixteen, then eight bytes at a time: every byte value, at every
    /// position of a vector, a word and the tail, must give what a byte-by-byte check gives.
    @Test func thePlainASCIICheckAgreesWithAByteByByteCheckEverywhere() {
        func plain(_ byte: UInt8) -> Bool { byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") }
        #expect([UInt8]().withUnsafeBufferPointer { JSONBuffer.isPlainASCII($0) })
        // Shorter than a word, whole words and vectors, and every mix of vector, word and tail.
        for length in Array(1...49) {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = UInt8(value)
                    let fast = bytes.withUnsafeBufferPointer { JSONBuffer.isPlainASCII($0) }
                    if fast != plain(UInt8(value)) {
                        Issue.record("byte \(value) at \(position) of \(length): \(fast)")
                        return
                    }
                }
            }
        }
    }

    @Test func invalidUTF8TextIsKeptExactlyAsTaggedBase64() throws {
        let bytes: [UInt8] = [0x61, 0xFF, 0xC0, 0x80, 0xED, 0xA0, 0x80]
        var buffer = JSONBuffer()
        buffer.appendValue(.text(bytes))
        #expect(buffer.string.contains(#""type":"text""#))
        #expect(try roundTrip(.text(bytes)) == .text(bytes))
    }

    @Test func blobsOfEveryLengthRoundTripThroughBase64() throws {
        var generator = SplitMix64(seed: 7)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(try roundTrip(.blob(bytes)) == .blob(bytes))
        }
        let all = (0...255).map { UInt8($0) }
        #expect(try roundTrip(.blob(all)) == .blob(all))
        var buffer = JSONBuffer()
        buffer.appendValue(.blob([0, 1, 2]))
        #expect(buffer.string == #"{"$base64":true,"encoded":"AAEC"}"#)
    }

    @Test func utf8ValidationRejectsOverlongsSurrogatesAndTruncation() {
        #expect(UTF8Validation.isValid(Array("héllo 😀".utf8)))
        for bad: [UInt8] in [[0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF]] {
            #expect(!UTF8Validation.isValid(bad), "\(bad)")
        }
    }

    @Test func valuesOfTheWrongShapeAreNamedInTheError() throws {
        for text in ["true", "[1]", #"{"a":1}"#, #"{"$real":"big"}"#, #"{"$base64":true,"encoded":"!!"}"#, #"{"$base64":true,"encoded":"AA==","x":1}"#] {
            let json = try JSONParser.parse(Array(text.utf8))
            #expect {
                _ = try RecordDecoder.decodeValue(json, column: "name")
            } throws: { error in
                (error as? FerryError)?.message.contains("column \"name\"") == true
            }
        }
    }

    @Test func parserRefusesDuplicateKeysLoneSurrogatesAndTrailingText() {
        for text in [#"{"a":1,"a":2}"#, #""\ud800""#, "{} x", "01", "1.", "-", #""a"#, "nul"] {
            #expect(throws: JSONParser.Failure.self, "\(text)") { try JSONParser.parse(Array(text.utf8)) }
        }
    }

    @Test func parserReadsEscapedSurrogatePairs() throws {
        #expect(try JSONParser.parse(Array(#""\ud83d\ude00""#.utf8)) == .string(Array("😀".utf8)))
    }
}
