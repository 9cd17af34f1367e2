#!/bin/sh
# Entering a realized project to run a command: `devenv develop -c true` against `bash -c true`
# (the floor) and `direnv exec DIR true` with an equivalent .envrc (the environment's bin on PATH
# and the same variables), in the same run, with hyperfine.
# Usage: bench/develop.sh [RUNS]   (default 200; needs hyperfine and direnv; builds a tiny local
# package so no network is needed)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-200}
BENCH=develop
. bench/realized-project.sh
cd "$WORK/proj"
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
