/// What `devenv search` looks for: words that must each occur (in any case) in what a package
/// is called and says of itself.
struct SearchQuery {
    let words: [String]

    init(_ query: String) { words = query.lowercased().split(separator: " ").map(String.init) }

    func matches(_ text: String) -> Bool {
        let text = text.lowercased()
        return words.allSatisfy { text.contains($0) }
    }
}
