import Foundation
import Hummingbird

/// A direct route's query parameters, read as the generated operations read theirs: names percent-decoded
/// (Hummingbird decodes values only), the first of repeated names, and a value not of the declared type refused with
/// the problem the runtime's decoding error gets.
struct QueryParameters {
    let parameters: Parameters

    init(_ parameters: Parameters) { self.parameters = parameters }

    func string(_ name: String) -> String? {
        parameters.first { String($0.key).removingPercentEncoding == name }.map { String($0.value) }
    }

    func int(_ name: String) throws -> Int? { try value(name) { Int($0) } }

    func value<Value>(_ name: String, _ parse: (String) -> Value?) throws -> Value? {
        try string(name).map { text in
            guard let value = parse(text) else {
                throw Problem.badParameter(name, "could not be read as the type the contract declares")
            }
            return value
        }
    }
}
