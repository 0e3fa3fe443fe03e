/// A value's fields kept in one immutable, shared box (``Event``, ``Rules``). Copying the value then costs one
/// reference count, where copying the fields cost one per string they hold and, for `Rules`, about 1,000 bytes of mostly
/// absent clauses; equal values may share one box (``RulesInterner``). Changing a field makes a new box, so the owner is
/// still a value.
final class SharedFields<Fields: Hashable & Sendable>: Sendable {
    let fields: Fields

    init(_ fields: Fields) { self.fields = fields }

    /// A new box with `change` applied to a copy of the fields.
    func updated(_ change: (inout Fields) -> Void) -> SharedFields {
        var fields = self.fields
        change(&fields)
        return SharedFields(fields)
    }

    /// Equal fields, checked without comparing them when both sides hold the same box.
    static func same(_ lhs: SharedFields, _ rhs: SharedFields) -> Bool { lhs === rhs || lhs.fields == rhs.fields }
}
