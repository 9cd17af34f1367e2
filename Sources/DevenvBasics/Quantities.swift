/// The durations and sizes people write on the command line and in config.toml.
public enum Quantities {
    /// `30d`, `12h`, `45m`, `90s`, `2w`, `250ms` → seconds.
    public static func duration(_ text: String) -> Double? {
        if text.hasSuffix("ms") {
            guard let value = Double(text.dropLast(2)), value >= 0 else { return nil }
            return value / 1000
        }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()), value >= 0 else {
            return nil
        }
        return value * factor
    }

    /// `1024`, `500K`, `200M`, `2G`, `1T` (powers of 1024) → bytes.
    public static func size(_ text: String) -> UInt64? {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        if let value = UInt64(text) { return value }
        guard let unit = text.uppercased().last, let factor = units[unit], let value = Double(text.dropLast()),
            value >= 0
        else {
            return nil
        }
        // Whole bytes, or nothing for what no count of bytes is (`1e30G`, `infG`).
        return UInt64(exactly: (value * Double(factor)).rounded(.down))
    }
}
