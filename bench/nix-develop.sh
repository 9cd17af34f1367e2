#!/bin/sh
# Entering a realized flake project against the same project written as devenv.toml: `devenv
# develop -c true` in each, in the same run, with hyperfine. The goal: the flake within 2 ms.
# Usage: bench/nix-develop.sh [RUNS]   (default 200; needs hyperfine; no network)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-200}
BENCH=nix-develop
. bench/realized-project.sh
mkdir -p "$WORK/flake"
cat > "$WORK/flake/flake.nix" <<'NIX'
{
  description = "the bench project as a flake";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.flake-utils.url = "github:numtide/flake-utils";
  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachDefaultSystem (system:
      let pkgs = nixpkgs.legacyPackages.${system}; in {
        devShells.default = pkgs.mkShell {
          packages = [ pkgs.tool ];
          PROJECT_MODE = "dev";
          shellHook = ''
            export TOOL_BIN=${pkgs.tool}/bin/tool
          '';
        };
      });
}
NIX
# The same shell as devenv.toml: its hook too (a hook is a bash process, whichever file says it).
mkdir -p "$WORK/toml"
cat > "$WORK/toml/devenv.toml" <<'TOML'
[inputs]
pkgs = "path:../pkgs"
[shell]
packages = ["tool"]
env = { PROJECT_MODE = "dev" }
hook = "export TOOL_BIN=$TOOL_HOME/bin/tool"
TOML
export DEVENV_NIXPKGS=path:../pkgs
(cd "$WORK/flake" && "$DEVENV" develop -c true 2>/dev/null)
(cd "$WORK/toml" && "$DEVENV" develop -c true 2>/dev/null)
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$WORK/results.json" \
    "$DEVENV develop -C $WORK/toml -c true" "$DEVENV develop -C $WORK/flake -c true" >/dev/null
python3 - "$WORK/results.json" <<'PY'
import json, sys
toml, flake = (r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"])
print(f"devenv.toml project: develop -c true  median {toml:.2f} ms")
print(f"flake.nix project:   develop -c true  median {flake:.2f} ms  ({flake - toml:+.2f} ms)")
PY
