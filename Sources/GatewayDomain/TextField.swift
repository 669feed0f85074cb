/// Checks on free text from requests, beyond what each field's own rules say: what Postgres
/// cannot store (the NUL character) is refused with an error that names the field.
public enum TextField {
    public static func check(_ text: String, param: String) throws(RequestError) {
        if text.unicodeScalars.contains(where: { $0.value == 0 }) {
            throw RequestError(code: "parameter_invalid", param: param, "\(param) contains a NUL character (\\u0000), which is not allowed")
        }
    }
}

extension String {
    /// The string without the given characters at either end.
    func trimming(_ characters: String) -> String {
        let set = Set(characters)
        return String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
