#!/bin/sh
# Entering a realized project to run a command: `devenv develop -c true` against `bash -c true`
# (the floor) and `direnv exec DIR true` with an equivalent .envrc (the environment's bin on PATH
# and the same variables), in the same run, with hyperfine.
# Usage: bench/develop.sh [RUNS]   (default 200; needs hyperfine and direnv; builds a tiny local
# package so no network is needed)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-200}
swift build -c release --static-swift-stdlib --product devenv >/dev/null
DEVENV=$(pwd)/.build/release/devenv
WORK=$(mktemp -d /tmp/devenv-bench-develop.XXXXXX)
trap 'chmod -R u+w "$WORK"; rm -rf "$WORK"' EXIT
export DEVENV_HOME="$WORK/home" DEVENV_CONFIG="$WORK/home/config.toml" CI=true XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data"

# A package set with one tool, served from a file:// tarball; a project using it.
mkdir -p "$WORK/src/tool-1.0/bin" "$WORK/pkgs" "$WORK/proj" "$WORK/home"
printf '#!/bin/sh\necho tool\n' > "$WORK/src/tool-1.0/bin/tool"; chmod 755 "$WORK/src/tool-1.0/bin/tool"
tar -C "$WORK/src" -czf "$WORK/tool.tar.gz" tool-1.0
cat > "$WORK/pkgs/tool.toml" <<TOML
[tool]
version = "1.0"
description = "a tool"
homepage = "https://example.org"
license = "MIT"
origin = "bench"
unpack = { strip = 1 }
env = { TOOL_HOME = "\$out" }
sources.x86_64-linux = { url = "file://$WORK/tool.tar.gz", hash = "sha256:$(sha256sum "$WORK/tool.tar.gz" | cut -d' ' -f1)" }
TOML
cat > "$WORK/proj/devenv.toml" <<TOML
[inputs]
pkgs = "path:../pkgs"
[shell]
packages = ["tool"]
env = { PROJECT_MODE = "dev" }
TOML
cd "$WORK/proj"
"$DEVENV" develop -c true 2>/dev/null
ENV_BIN=$("$DEVENV" print-env --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["environment"] + "/bin")')
TOOL_HOME=$("$DEVENV" develop -c sh -c 'echo $TOOL_HOME')
cat > .envrc <<ENVRC
PATH_add $ENV_BIN
export TOOL_HOME=$TOOL_HOME
export PROJECT_MODE=dev
export DEVENV_ROOT=$WORK/proj
ENVRC
direnv allow . >/dev/null 2>&1
direnv exec . true
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$WORK/results.json" \
    'bash -c true' "$DEVENV develop -c true" "direnv exec $WORK/proj true" >/dev/null
python3 - "$WORK/results.json" <<'PY'
import json, sys
results = {r["command"].split()[0].rsplit("/", 1)[-1]: r for r in json.load(open(sys.argv[1]))["results"]}
floor, devenv, direnv = (results[k]["median"] * 1000 for k in ("bash", "devenv", "direnv"))
print(f"bash -c true (floor)      median {floor:.2f} ms")
print(f"devenv develop -c true    median {devenv:.2f} ms  ({devenv - floor:.2f} ms above the floor)")
print(f"direnv exec DIR true      median {direnv:.2f} ms  ({direnv - floor:.2f} ms above the floor)")
print(f"direnv / devenv: {direnv / devenv:.2f}x")
PY
