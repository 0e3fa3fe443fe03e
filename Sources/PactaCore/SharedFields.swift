/// A value's fields kept in one immutable, shared box (``Event``, ``Rules``; each says why): copying the value costs
/// one reference count, and equal values may share one box. Changing a field makes a new box, so the owner is still a
/// value.
final class SharedFields<Fields: Hashable & Sendable>: Hashable, Sendable {
    let fields: Fields

    init(_ fields: Fields) { self.fields = fields }

    /// A new box with `change` applied to a copy of the fields.
    func updated(_ change: (inout Fields) -> Void) -> SharedFields {
        var fields = self.fields
        change(&fields)
        return SharedFields(fields)
    }

    /// Equal fields, checked without comparing them when both sides hold the same box.
    static func == (lhs: SharedFields, rhs: SharedFields) -> Bool { lhs === rhs || lhs.fields == rhs.fields }

    func hash(into hasher: inout Hasher) { hasher.combine(fields) }
}
