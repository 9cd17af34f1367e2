#!/bin/sh
# Garbage collection of a store of 10,000 small paths in 100 reference chains of 100, each chain
# rooted: `gc --dry-run` and `gc` (after dropping half of the roots) times and peak memory; and,
# in the same run, `nix-store --gc` (dry: --print-dead) on a Nix store with the same shape.
# Usage: bench/gc.sh [CHAINS] [LENGTH]   (default 100 100; needs GNU time and nix-store from nix-bin;
# takes a few minutes)
set -eu
cd "$(dirname "$0")/.."
CHAINS=${1:-100}
LENGTH=${2:-100}
scripts/build-release >/dev/null
DEVENV=$(pwd)/.build/release/devenv
WORK=$(mktemp -d /tmp/devenv-bench-gc.XXXXXX)
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
export DEVENV_HOME="$WORK/home" DEVENV_CONFIG="$WORK/config.toml" CI=true
printf 'sandbox = "disabled"\njobs = 2\n' > "$DEVENV_CONFIG"
mkdir -p "$WORK/set"
python3 - "$WORK/set/chains.toml" "$CHAINS" "$LENGTH" <<'PY'
import sys
out, chains, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(out, "w") as f:
    for c in range(chains):
        for i in range(length):
            f.write(f'[c{c}_{i}]\nversion = "1"\ndescription = "d"\nhomepage = "h"\nlicense = "l"\norigin = "o"\n')
            if i:
                f.write(f'dependencies = ["c{c}_{i - 1}"]\n')
            f.write("script = 'mkdir -p \"$out\"; echo \"$DEVENV_DEPENDENCIES\" > \"$out/deps\"'\n\n")
PY
echo "building $((CHAINS * LENGTH)) paths..." >&2
HEADS=$(python3 -c "print(' '.join(f'c{c}_{$LENGTH - 1}' for c in range($CHAINS)))")
"$DEVENV" build --packages "$WORK/set" $HEADS > "$WORK/heads" 2>/dev/null
xargs "$DEVENV" store add-root < "$WORK/heads"
measure() { /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" > "$WORK/out" 2>/dev/null; cat "$WORK/t"; }
set -- $(measure "$DEVENV" gc --dry-run); DRY_KEEP="$1 $2"
head -n $((CHAINS / 2)) "$WORK/heads" | xargs "$DEVENV" store remove-root
set -- $(measure "$DEVENV" gc --dry-run); DRY="$1 $2"; DEAD=$(grep -c '^would remove' "$WORK/out")
set -- $(measure "$DEVENV" gc); REAL="$1 $2"; REMOVED=$(grep -c '^removed' "$WORK/out")

# The same shape in a Nix store of its own, registered with --register-validity.
NIXSTORE="$WORK/nix/store"; NIXSTATE="$WORK/nix/state"
mkdir -p "$NIXSTORE" "$NIXSTATE/gcroots"
python3 - "$NIXSTORE" "$CHAINS" "$LENGTH" "$WORK/validity" <<'PY'
import hashlib, os, sys
store, chains, length, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
def name(c, i):
    h = hashlib.sha256(f"{c}-{i}".encode()).digest()
    return store + "/" + "".join(alphabet[b % 32] for b in h[:32]) + f"-c{c}_{i}"
with open(out, "w") as f:
    for c in range(chains):
        for i in range(length):
            path = name(c, i)
            os.makedirs(path)
            with open(path + "/deps", "w") as d:
                d.write((name(c, i - 1) if i else "") + "\n")
            refs = [name(c, i - 1)] if i else []
            f.write(f"{path}\n\n{len(refs)}\n" + "".join(r + "\n" for r in refs))
PY
NIX="nix-store --store local?store=$NIXSTORE&state=$NIXSTATE&log=$WORK/nix/log"
$NIX --register-validity < "$WORK/validity" 2>/dev/null || $NIX --register-validity --reregister < "$WORK/validity"
python3 - "$NIXSTORE" "$CHAINS" "$LENGTH" "$NIXSTATE/gcroots" <<'PY'
import hashlib, os, sys
store, chains, length, roots = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
for c in range(chains // 2, chains):
    h = hashlib.sha256(f"{c}-{length - 1}".encode()).digest()
    os.symlink(store + "/" + "".join(alphabet[b % 32] for b in h[:32]) + f"-c{c}_{length - 1}", f"{roots}/c{c}")
PY
set -- $(measure $NIX --gc --print-dead); NIXDRY="$1 $2"; NIXDEAD=$(grep -c -- "-c[0-9]*_[0-9]*$" "$WORK/out" || true)
set -- $(measure $NIX --gc); NIXREAL="$1 $2"
NIXLEFT=$(find "$NIXSTORE" -mindepth 1 -maxdepth 1 -name '*-c*_*' | wc -l)
python3 - "$DRY_KEEP" "$DRY" "$REAL" "$NIXDRY" "$NIXREAL" "$DEAD" "$REMOVED" "$((CHAINS * LENGTH))" "$NIXDEAD" "$NIXLEFT" <<'PY'
import sys
(dk, dry, real, ndry, nreal) = [tuple(map(float, a.split())) for a in sys.argv[1:6]]
dead, removed, total, nixdead, nixleft = sys.argv[6:11]
print(f"store: {total} paths in chains, half of the roots dropped: {dead} dead, {removed} removed")
print(f"nix store: {nixdead} dead, {nixleft} left after its collection")
print(f"devenv gc --dry-run (all rooted)  {dk[0]:.2f} s  {dk[1] / 1024:.1f} MiB")
print(f"devenv gc --dry-run               {dry[0]:.2f} s  {dry[1] / 1024:.1f} MiB")
print(f"devenv gc                         {real[0]:.2f} s  {real[1] / 1024:.1f} MiB")
print(f"nix-store --gc --print-dead       {ndry[0]:.2f} s  {ndry[1] / 1024:.1f} MiB")
print(f"nix-store --gc                    {nreal[0]:.2f} s  {nreal[1] / 1024:.1f} MiB")
PY
