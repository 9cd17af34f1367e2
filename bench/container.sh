#!/bin/sh
# `devenv container build` of a nodejs_24 + bash environment (realized beforehand), against the
# floor of `tar | gzip` of the same closure, in the same run; the image's size against the
# closure's NAR size and the floor's archive; and a rebuild with every layer kept.
# Usage: bench/container.sh [RUNS]   (default 5; realizes nodejs_24 and bash once into
# bench/.cache/container: needs PyPI and Debian's mirror the first time)
# Needs GNU time (Debian package `time`).
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
scripts/build-release >/dev/null
python3 - "$RUNS" "$(pwd)/.build/release/devenv" <<'PY'
import json, os, statistics, subprocess, sys, time

runs, devenv = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, "bench")
from timing import set_aside, timed, wipe

cache = os.path.abspath("bench/.cache/container")
project = os.path.join(cache, "project")
os.makedirs(project, exist_ok=True)
with open(os.path.join(project, "devenv.toml"), "w") as f:
    f.write('[shell]\npackages = ["nodejs_24", "bash"]\n\n[containers.app]\ncmd = ["node"]\n')
env = {**os.environ, "DEVENV_HOME": os.path.join(cache, "home"), "CI": "true"}
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
run = lambda *argv: subprocess.check_output([devenv, *argv], env=env, cwd=project, text=True, stderr=subprocess.DEVNULL)

# Setup (not timed): the packages realized, their closure listed.
run("container", "build", "-o", os.path.join(cache, "warm"))

packages = [p["outPath"] for p in json.loads(run("print-env", "--json"))["packages"]]
closure = [line.split("\t")[0] for line in run("store", "path-info", "-r", *packages).splitlines()]
nar = sum(int(line.split("\t")[2]) for line in run("store", "path-info", *closure).splitlines())
layers_home = os.path.join(cache, "home", "containers")

work = os.path.join(cache, "runs")
os.makedirs(work, exist_ok=True)
devenv_times, floor_times, warm_times, rss = [], [], [], []
for index in range(runs):
    # devenv from nothing kept: every layer tarred, renamed into the image's store, gzipped, hashed.
    set_aside(layers_home)
    out = os.path.join(work, f"image-{index}")
    seconds, peak = timed([devenv, "container", "build", "-o", out], env=env, cwd=project)
    devenv_times.append(seconds)
    rss.append(peak)
    # The same again, every layer kept: what a rebuild costs when nothing changed.
    seconds, _ = timed([devenv, "container", "build", "-o", out], env=env, cwd=project)
    warm_times.append(seconds)

    archive = os.path.join(work, f"floor-{index}.tar.gz")
    start = time.perf_counter()
    subprocess.run(["sh", "-c", 'tar -cf - "$@" | gzip > "$0"', archive, *closure], check=True, **quiet)
    floor_times.append(time.perf_counter() - start)

image = os.path.join(work, f"image-{runs - 1}")
blobs = os.path.join(image, "blobs", "sha256")
size = sum(os.path.getsize(os.path.join(blobs, name)) for name in os.listdir(blobs))
floor_size = os.path.getsize(os.path.join(work, f"floor-{runs - 1}.tar.gz"))
d, f, w = statistics.median(devenv_times), statistics.median(floor_times), statistics.median(warm_times)
print(f"nodejs_24 + bash: {len(closure)} store paths, NAR size {nar / 2**20:.1f} MiB; runs: {runs}")
print(f"devenv container build (no layers kept)   median {d:.3f} s  peak RSS {max(rss):.1f} MiB")
print(f"tar | gzip of the closure (the floor)      median {f:.3f} s")
print(f"devenv container build (layers kept)      median {w:.3f} s")
print(f"devenv / floor: {d / f:.2f}x")
print(f"image {size / 2**20:.2f} MiB, floor archive {floor_size / 2**20:.2f} MiB: {100 * (size / floor_size - 1):+.2f}%")
wipe(work)
PY
