import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// The buffer manages its own memory: whatever is written must come back whole, in order,
/// however many times it had to grow on the way.
@Suite struct JSONBufferTests {
    @Test func everythingWrittenSurvivesEachGrowthFromTheSmallestCapacity() {
        var buffer = JSONBuffer(capacity: 1)
        var expected = ""
        var generator = SplitMix64(seed: 11)
        for round in 0..<3_000 {
            switch round % 6 {
            case 0:
                let value = Int64.random(in: .min ... .max, using: &generator)
                buffer.appendInteger(value)
                expected += String(value)
            case 1:
                let text = String(repeating: "abc", count: round % 40)
                Array(text.utf8).withUnsafeBufferPointer { buffer.appendText($0) }
                expected += "\"\(text)\""
            case 2:
                buffer.append(raw: #"{"op":"upsert""#)
                expected += #"{"op":"upsert""#
            case 3:
                let bytes = (0..<(round % 50)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                bytes.withUnsafeBufferPointer { buffer.appendBase64Object($0) }
                expected += #"{"$base64":true,"encoded":""# + Data(bytes).base64EncodedString() + #""}"#
            case 4:
                buffer.append(contentsOf: Array("é\n".utf8))
                expected += "é\n"
            default:
                buffer.append(UInt8(ascii: ","))
                expected += ","
            }
        }
        #expect(buffer.count == expected.utf8.count)
        #expect(buffer.string == expected)
        buffer.removeAll()
        let emptied = buffer.isEmpty
        #expect(emptied)
        buffer.appendInteger(.min)
        #expect(buffer.string == "-9223372036854775808")
    }

    @Test func base64MatchesFoundationAtEveryPaddingLength() {
        var generator = SplitMix64(seed: 3)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var out = [UInt8](repeating: 0, count: Base64.encodedCount(length))
            let written = bytes.withUnsafeBufferPointer { data in out.withUnsafeMutableBufferPointer { Base64.encode(data, into: $0.baseAddress!) } }
            #expect(written == out.count)
            #expect(String(decoding: out, as: UTF8.self) == Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    @Test func bytesAreACopyThatLaterWritesDoNotChange() {
        var buffer = JSONBuffer(capacity: 4)
        buffer.append(raw: "abc")
        let copy = buffer.bytes
        buffer.append(raw: "defghijklmnopqrstuvwxyz") // past the smallest capacity (16): grows, the old memory is freed
        #expect(copy == Array("abc".utf8))
        #expect(buffer.withBytes { Array($0) } == Array("abcdefghijklmnopqrstuvwxyz".utf8))
    }
}
