extension NixEvaluator {
    static var derivationPrimOps: [NixPrimOp] { [] }
    static let derivationNix = "drvAttrs: derivationStrict drvAttrs"
    static let corepkgs = "/__corepkgs__/"
    static let fetchurlNix = "{ url, ... }: throw \"fetchurl is not supported\""
}
