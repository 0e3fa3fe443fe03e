import PactaCore
import Testing

@Suite struct JSONShapeTests {
    func check(_ text: String, _ limits: JSONShapeLimits = .init(maxDepth: 4, maxStringBytes: 8)) -> [JSONShape.Violation] {
        JSONShape.check(Array(text.utf8), limits: limits)
    }

    @Test func aDocumentWithinTheLimitsPasses() {
        #expect(check(#"{"a": [1, {"b": "12345678"}], "c": null}"#).isEmpty)
    }

    @Test func nestingDeeperThanTheLimitIsReportedWhereItStarts() {
        let violations = check(#"{"a": [{"b": [[1]]}]}"#)
        #expect(violations.map(\.kind) == [.tooDeep])
        #expect(violations.first?.pointer == "/a/0/b/0")
    }

    @Test func aLongStringIsReportedWithItsPointer() {
        let violations = check(#"{"rules": {"term": {"article": "123456789"}}, "x": ["ok", "also too long"]}"#)
        #expect(violations.map(\.pointer) == ["/rules/term/article", "/x/1"])
        #expect(violations.allSatisfy { $0.kind == .stringTooLong })
    }

    @Test func escapesCountAsTheCharactersTheyStandFor() {
        #expect(check(#"{"a": "\u0041\u0042\n\t\"\\\/"}"#).isEmpty)  // 7 bytes once unescaped
        #expect(check(#"{"a": "\ud83d\ude00\ud83d\ude00\ud83d"}"#).map(\.kind) == [.stringTooLong])  // 4 + 4 + 3
    }

    @Test func aDuplicateMemberIsRejectedEvenWhenSpelledWithEscapes() {
        #expect(check(#"{"id": "a", "id": "b"}"#).map(\.pointer) == ["/id"])
        #expect(check(#"{"id": "a", "\u0069d": "b"}"#).map(\.kind) == [.duplicateMember])
        #expect(check(#"{"a": {"x": 1}, "b": {"x": 1}}"#).isEmpty)  // the same name in different objects
        #expect(check(#"[{"x": 1}, {"x": 1, "y": {"x": 2, "x": 3}}]"#).map(\.pointer) == ["/1/y/x"])
    }

    @Test func pointerSegmentsAreEscaped() {
        #expect(check(#"{"a/b": {"c~d": "123456789"}}"#).map(\.pointer) == ["/a~1b/c~0d"])
    }

    @Test func malformedInputNeverTraps() {
        for text in ["", "{", "}", "]]]", #"{"a"#, #"{"a": "\u12"#, #"{"a": "\x"}"#, #""\"#, "[,,,]", "{\"\u{0}\": 1}"] {
            _ = check(text)
        }
        #expect(check(String(repeating: "[", count: 100_000)).count == 1)
    }
}
