extension NixEvaluator {
    static var derivationPrimOps: [NixPrimOp] { [] }
    static let derivationNix = "drvAttrs: throw \"derivations are not supported yet\""
    static let corepkgs = "/__corepkgs__/"
    static let fetchurlNix = "{ url, ... }: throw \"fetchurl is not supported\""
}
