#!/bin/sh
# Nix evaluation: `devenv nix-instantiate --eval --strict` against Nix 2.8's `nix-instantiate --eval
# --strict`, in the same run, on a flake-like dev-shell expression (lib-style helpers building the
# devShells of 4 systems from 20 package-like sets, no package set needed) and three CPU-heavy
# expressions: foldl' over genList 10^6, listToAttrs of 200,000 names, fromJSON of a ~5.8 MB file.
# Each pair must print the same value. Prints medians (wall and user+sys CPU), peak RSS and ratios.
# Usage: bench/nix-eval.sh [RUNS]   (default 5; needs nix-instantiate from nix-bin and python3)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
scripts/build-release >/dev/null
DEVENV=$(pwd)/.build/release/devenv
WORK=$(mktemp -d /tmp/devenv-bench-nix-eval.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/nix"
cat > "$WORK/foldl.nix" <<'EOF'
builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000000)
EOF
cat > "$WORK/listToAttrs.nix" <<'EOF'
builtins.length (builtins.attrNames (builtins.listToAttrs
  (builtins.genList (i: { name = "a${toString i}"; value = i; }) 200000)))
EOF
cat > "$WORK/fromJSON.nix" <<'EOF'
let j = builtins.fromJSON (builtins.readFile ./big.json); in builtins.deepSeq j (builtins.length j.packages)
EOF
python3 - "$WORK/big.json" <<'PY'
import json, sys
items = [{"name": f"pkg-{i}", "version": f"{i % 10}.{i % 7}.{i % 13}",
          "description": "A package with some description text " * 2, "deps": [f"pkg-{j}" for j in range(i % 5)],
          "size": i * 37, "ratio": i / 7.0, "free": i % 2 == 0,
          "meta": {"homepage": f"https://example.org/{i}", "license": None}} for i in range(20000)]
open(sys.argv[1], "w").write(json.dumps({"packages": items}))
PY
cat > "$WORK/devshell.nix" <<'EOF'
let
  lib = rec {
    id = x: x;
    foldr = op: nul: list:
      let len = builtins.length list;
          fold' = n: if n == len then nul else op (builtins.elemAt list n) (fold' (n + 1));
      in fold' 0;
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    mapAttrs' = f: set: builtins.listToAttrs (map (attr: f attr set.${attr}) (builtins.attrNames set));
    nameValuePair = name: value: { inherit name value; };
    optionalAttrs = cond: as: if cond then as else { };
    optional = cond: elem: if cond then [ elem ] else [ ];
    concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
    recursiveUpdate = lhs: rhs:
      let f = attrPath: builtins.zipAttrsWith (n: values:
            if builtins.tail values == [ ] || !(builtins.isAttrs (builtins.head values) && builtins.isAttrs (builtins.elemAt values 1))
            then builtins.head values
            else f (attrPath ++ [ n ]) values);
      in f [ ] [ rhs lhs ];
    unique = foldr (x: acc: if builtins.elem x acc then acc else [ x ] ++ acc) [ ];
    makeBinPath = concatMapStringsSep ":" (p: "${p}/bin");
    closure = pkgs: builtins.genericClosure {
      startSet = map (p: { key = p.name; pkg = p; }) pkgs;
      operator = item: map (p: { key = p.name; pkg = p; }) item.pkg.deps;
    };
    mkDerivationLike = { name, version, deps ? [ ], env ? { } }:
      let self = {
        inherit name version deps env;
        type = "derivation";
        outPath = "/nix/store/${builtins.substring 0 32 (builtins.hashString "sha256" "${name}-${version}")}-${name}-${version}";
        meta = { description = "The ${name} package"; platforms = systems; };
        override = f: mkDerivationLike ({ inherit name version deps env; } // f { inherit name version deps env; });
      }; in self;
  };
  systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
  mkPkgs = system: let
    pkgs = builtins.listToAttrs (builtins.genList (i: lib.nameValuePair "pkg${toString i}" (lib.mkDerivationLike {
      name = "pkg${toString i}";
      version = "1.${toString i}.${toString (i * 7 - (i / 3) * 3)}";
      deps = builtins.genList (j: pkgs."pkg${toString j}") (if i < 3 then i else 3);
      env = lib.optionalAttrs (i / 2 * 2 == i) { "PKG${toString i}_HOME" = "/opt/pkg${toString i}"; };
    })) 20);
  in pkgs // { inherit system; };
  mkShell = pkgs: { name, packages, env ? { } }:
    let all = map (item: item.pkg) (lib.closure packages);
    in {
      inherit name;
      type = "derivation";
      system = pkgs.system;
      nativeBuildInputs = map (p: p.outPath) all;
      PATH = lib.makeBinPath (map (p: p.outPath) all);
      shellHook = lib.concatMapStringsSep "\n" (p: "echo ${p.name} ${p.version}") all;
      env = builtins.foldl' (acc: p: acc // p.env) env all;
      meta = lib.recursiveUpdate { description = "shell ${name}"; } { inherit (builtins.head all) meta; };
    };
in {
  devShells = lib.genAttrs systems (system:
    let pkgs = mkPkgs system; in
    lib.mapAttrs' (n: p: lib.nameValuePair "shell-${n}" (mkShell pkgs {
      name = "shell-${n}";
      packages = [ p ] ++ lib.optional (p.name != "pkg0") pkgs.pkg0;
      env = { SHELL_NAME = n; };
    })) (builtins.removeAttrs pkgs [ "system" ]) // {
      default = mkShell pkgs { name = "default"; packages = builtins.attrValues (builtins.removeAttrs pkgs [ "system" ]); };
    });
}
EOF
python3 - "$WORK" "$RUNS" "$DEVENV" <<'PY'
import os, statistics, subprocess, sys, time

work, runs, devenv = sys.argv[1], int(sys.argv[2]), sys.argv[3]
nix_env = {**os.environ, "NIX_REMOTE": "dummy://", "HOME": work + "/nix", "NIX_STATE_DIR": work + "/nix"}

def measure(argv, env):
    """Wall seconds, user+sys CPU seconds, peak RSS (KiB) and output of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=work, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert status == 0, argv
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out

cases = ["devshell", "foldl", "listToAttrs", "fromJSON"]
print(f"runs: {runs} each, alternating; medians")
print(f"{'case':<12} {'devenv wall':>11} {'nix wall':>9} {'ratio':>6} {'devenv cpu':>10} {'nix cpu':>8} "
      f"{'ratio':>6} {'RSS devenv / nix':>18}")
for case in cases:
    tools = {"devenv": ([devenv, "nix-instantiate", "--eval", "--strict", case + ".nix"], os.environ),
             "nix": (["nix-instantiate", "--eval", "--strict", case + ".nix"], nix_env)}
    outputs = {name: measure(argv, env)[3] for name, (argv, env) in tools.items()}  # warm-up
    assert outputs["devenv"] == outputs["nix"], (case, outputs)
    samples = {name: [] for name in tools}
    for _ in range(runs):
        for name, (argv, env) in tools.items():
            samples[name].append(measure(argv, env))
    wall = {n: statistics.median(s[0] for s in v) for n, v in samples.items()}
    cpu = {n: statistics.median(s[1] for s in v) for n, v in samples.items()}
    rss = {n: max(s[2] for s in v) / 1024 for n, v in samples.items()}
    print(f"{case:<12} {wall['devenv']:>10.3f}s {wall['nix']:>8.3f}s {wall['devenv'] / wall['nix']:>5.2f}× "
          f"{cpu['devenv']:>9.3f}s {cpu['nix']:>7.3f}s {cpu['devenv'] / cpu['nix']:>5.2f}× "
          f"{rss['devenv']:>8.1f} / {rss['nix']:.1f} MiB")
print("ratio: devenv / nix-instantiate (below 1: devenv is faster)")
PY
