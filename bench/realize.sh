#!/bin/sh
# Realizing go_1_24 from a local file:// mirror of its wheel (so the network does not count):
# fetch + verify + unpack + hash + register, against the floor of `unzip -q` plus
# `nix-hash --type sha256` of the same tree, in the same run; plus devenv's peak memory.
# Usage: bench/realize.sh [RUNS]   (default 5; downloads the wheel once into bench/.cache)
# Needs GNU time (Debian package `time`) for peak memory.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
scripts/build-release >/dev/null
python3 - "$RUNS" "$(pwd)/.build/release/devenv" <<'PY'
import base64, hashlib, os, shutil, statistics, subprocess, sys, tempfile

runs, devenv = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, "bench")
from timing import fresh_home, go_wheel_mirror, remove_home, timed

url, mirror = go_wheel_mirror(devenv, tempfile.mkdtemp())
recipe = open("packages/pypi.toml").read()
pinned = recipe.split(url)[1].split('hash = "')[1].split('"')[0]
cache = os.path.abspath("bench/.cache")
wheel = os.path.join(cache, url.rsplit("/", 1)[1])
sha = hashlib.sha256()
with open(wheel, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
        sha.update(block)
digest = "sha256-" + base64.b64encode(sha.digest()).decode()
assert digest == pinned, (digest, pinned)

devenv_times, floor_times, rss = [], [], []
for _ in range(runs):
    home, env = fresh_home(mirror)
    seconds, peak = timed([devenv, "build", "go_1_24"], env=env)
    devenv_times.append(seconds)
    rss.append(peak)
    remove_home(home)

    scratch = tempfile.mkdtemp(prefix="floor-")
    a, _ = timed(["unzip", "-q", wheel, "-d", scratch])
    b, _ = timed(["nix-hash", "--type", "sha256", scratch])
    floor_times.append(a + b)
    shutil.rmtree(scratch)

d, f = statistics.median(devenv_times), statistics.median(floor_times)
print(f"wheel: {os.path.basename(wheel)} ({os.path.getsize(wheel) / 1e6:.1f} MB)  runs: {runs}")
print(f"devenv build go_1_24 (file:// mirror)  median {d:.3f} s  peak RSS {max(rss):.1f} MiB")
print(f"unzip -q + nix-hash --type sha256      median {f:.3f} s")
print(f"devenv / floor: {d / f:.2f}x")
PY
