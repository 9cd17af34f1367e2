#!/bin/sh
# `devenv cache push` of go_1_24's closure (one path) and of python313's (a locked project's shell:
# Debian's python3 and what it loads) into an empty file:// cache, against `nix copy --to
# file://…` of the same closure from a Nix store of the same directory, both with zstd, in the
# same run; plus devenv's peak memory. A run during which the host took the processors away is
# done again (`undisturbed` in bench/timing.py, for every command alike).
# Usage: bench/push.sh [RUNS]   (default 3; downloads the wheel and the .debs once into
# bench/.cache, Debian's index on every run)
# Needs GNU time (Debian package `time`) and nix (nix-bin).
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-3}
scripts/build-release >/dev/null
python3 - "$RUNS" "$(pwd)/.build/release/devenv" <<'PY'
import os, statistics, subprocess, sys, tempfile

runs, devenv = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, "bench")
import timing
from timing import go_wheel_mirror, python313_project, timed, undisturbed, wipe

work = tempfile.mkdtemp(prefix="devenv-bench-push-")
store = os.path.join(work, "store")
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
url, mirror = go_wheel_mirror(devenv, work)
home = os.path.join(work, "home")
os.makedirs(home)
with open(os.path.join(home, "config.toml"), "w") as f:
    f.write("[mirrors]\n" + "".join(f'"{a}" = "{b}"\n' for a, b in mirror.items()))
env = {**os.environ, "DEVENV_HOME": home, "DEVENV_CONFIG": os.path.join(home, "config.toml"),
       "DEVENV_STORE_DIR": store, "CI": "true"}


# Setup (not timed): the closures in devenv's store, and the same closures in a Nix store of the
# same directory (copied from a cache devenv pushed), whose real location is elsewhere.
built = {"go_1_24": subprocess.check_output([devenv, "build", "go_1_24"], env=env, stderr=subprocess.DEVNULL, text=True).strip()}
_, built["python313"], _ = python313_project(devenv, work, env)
subprocess.run([devenv, "cache", "push", "--to", f"file://{work}/seed", "--compression", "none", *built.values()],
               env=env, check=True, **quiet)
nixstore = f"local?store={store}&state={work}/nix/state&log={work}/nix/log&real={work}/nix/real"
nixenv = {**os.environ, "XDG_CACHE_HOME": f"{work}/nix/cache"}
subprocess.run(["nix", "--extra-experimental-features", "nix-command", "copy", "--no-check-sigs", "--from",
                f"file://{work}/seed?store={store}", "--to", nixstore, *built.values()], env=nixenv, check=True, **quiet)
wipe(f"{work}/seed")

times = {(name, tool): [] for name in built for tool in ("devenv", "nix")}
rss = {name: [] for name in built}


def devenv_push(path):
    target = f"{work}/devenv-cache"
    result = timed([devenv, "cache", "push", "--to", f"file://{target}", "--compression", "zstd", path],
                   env=env)
    wipe(target)
    return result


def nix_copy(path):
    target = f"{work}/nix-cache"
    result = timed(["nix", "--extra-experimental-features", "nix-command", "copy", "--from", nixstore,
                    "--to", f"file://{target}?compression=zstd&store={store}", path], env=nixenv)
    wipe(target)
    return result


for run in range(runs):
    for name, path in built.items():
        seconds, peak = undisturbed(lambda: devenv_push(path))
        times[name, "devenv"].append(seconds)
        rss[name].append(peak)
        times[name, "nix"].append(undisturbed(lambda: nix_copy(path))[0])
print(f"runs: {runs} (redone because the host took the processors: {timing.disturbed_runs})")
for name in built:
    p, n = statistics.median(times[name, "devenv"]), statistics.median(times[name, "nix"])
    print(f"{name}:")
    print(f"  devenv cache push (zstd)        median {p:.3f} s  peak RSS {max(rss[name]):.1f} MiB")
    print(f"  nix copy --to file:// (zstd)    median {n:.3f} s")
    print(f"  nix copy / devenv push: {n / p:.2f}x")
wipe(work)
PY
