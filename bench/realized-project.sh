# Sourced by the benchmarks that enter a project (develop.sh, hook.sh), with $BENCH naming the benchmark
# (sh passes no arguments to a sourced file):
# builds the release devenv ($DEVENV), makes $WORK (removed on exit) with its own DEVENV_HOME, a
# package set with one tool served from a file:// tarball (no network), and the project
# $WORK/proj using it, realized; $ENV_BIN is its environment's bin directory.
scripts/build-release >/dev/null
DEVENV=$(pwd)/.build/release/devenv
WORK=$(mktemp -d "/tmp/devenv-bench-$BENCH.XXXXXX")
trap 'chmod -R u+w "$WORK"; rm -rf "$WORK"' EXIT
export DEVENV_HOME="$WORK/home" DEVENV_CONFIG="$WORK/home/config.toml" CI=true XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data"
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
printf '[inputs]\npkgs = "path:../pkgs"\n[shell]\npackages = ["tool"]\nenv = { PROJECT_MODE = "dev" }\n' > "$WORK/proj/devenv.toml"
(cd "$WORK/proj" && "$DEVENV" develop -c true 2>/dev/null)
ENV_BIN=$(cd "$WORK/proj" && "$DEVENV" print-env --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["environment"] + "/bin")')
