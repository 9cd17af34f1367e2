#!/bin/sh
# Realizing the python313 closure (trixie's python3 and everything it needs) from a local
# file:// mirror of its .debs, so the network does not count: verify + unpack + relocate + hash +
# register, against the floor of `dpkg-deb -x` of the same .debs plus `patchelf --set-interpreter
# --set-rpath` of the same ELF files, in the same run; plus devenv's peak memory, and the store's
# disk use for python311 + python313 + postgresql_17 with and without shared files.
# Usage: bench/debian.sh [RUNS]   (default 5; fetches the .debs once into bench/.cache/debian)
# Needs GNU time (Debian package `time`), dpkg-deb, patchelf, and Debian's mirror for the setup.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
scripts/build-release >/dev/null
python3 - "$RUNS" "$(pwd)/.build/release/devenv" <<'PY'
import json, os, re, shutil, statistics, subprocess, sys, tempfile

runs, devenv = int(sys.argv[1]), sys.argv[2]
cache = os.path.abspath("bench/.cache/debian")
home, mirror, project = (os.path.join(cache, name) for name in ("home", "mirror", "project"))
for path in (home, mirror, project):
    os.makedirs(path, exist_ok=True)
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}

# Setup (not timed): lock the closure once from Debian's mirror, and lay its .debs out as a mirror.
with open(os.path.join(project, "devenv.toml"), "w") as f:
    f.write('[shell]\npackages = ["python313"]\n')
setup = {**os.environ, "DEVENV_HOME": home, "CI": "true"}
# `update`, not `lock`: a lock kept from an older devenv may pin an older relocation.
subprocess.run([devenv, "update", "-C", project], env=setup, check=True, **quiet)
lock = json.load(open(os.path.join(project, "devenv.lock")))
debs = []
for systems in lock["shells"].values():
    for package in systems.get("x86_64-linux", []):
        debs += package["debian"]["debs"]
# The store directory is padded (docs/store.md): the lock names it.
store = lock["storeDir"]
by_name = {name.split("-", 1)[1]: name for name in os.listdir(store) if name.endswith(".deb")}
for deb in debs:
    target = os.path.join(mirror, deb["filename"])
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        # The store names the file as a store path can (`~` → `_`).
        name = re.sub(r"[^0-9A-Za-z+\-._?=]", "_", os.path.basename(deb["filename"]))
        shutil.copyfile(os.path.join(store, by_name[name]), target)
files = [os.path.join(mirror, deb["filename"]) for deb in debs]
megabytes = sum(os.path.getsize(f) for f in files) / 1e6

# The floor's work list: every dynamic ELF file of the unpacked closure (found once, not timed).
scratch = tempfile.mkdtemp(prefix="floor-")
for f in files:
    subprocess.run(["dpkg-deb", "-x", f, scratch], check=True)
elves = []
for root, _, names in os.walk(scratch):
    for name in names:
        path = os.path.join(root, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        interpreter = subprocess.run(["patchelf", "--print-interpreter", path], capture_output=True).returncode == 0
        if subprocess.run(["patchelf", "--print-rpath", path], capture_output=True).returncode == 0:
            elves.append((os.path.relpath(path, scratch), interpreter))
shutil.rmtree(scratch)
rpath = ":".join(f"{store}/{'x' * 32}-glibc-2.41-12/usr/lib/x86_64-linux-gnu" for _ in range(3))
loader = f"{store}/{'x' * 32}-glibc-2.41-12/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
floor_script = os.path.join(cache, "floor.sh")
with open(floor_script, "w") as f:
    f.write("set -e\ncd \"$1\"\n")
    for deb in files:
        f.write(f"dpkg-deb -x '{deb}' .\n")
    for path, interpreter in elves:
        f.write(f"patchelf {'--set-interpreter ' + loader if interpreter else ''} --set-rpath '{rpath}' '{path}'\n")

sys.path.insert(0, "bench")
from timing import fresh_home, remove_home, timed

devenv_times, floor_times, rss = [], [], []
for _ in range(runs):
    fresh, env = fresh_home({"https://deb.debian.org/debian/": f"file://{mirror}/"})
    seconds, peak = timed([devenv, "develop", "--frozen", "-C", project, "-c", "true"], env=env)
    devenv_times.append(seconds)
    rss.append(peak)
    remove_home(fresh)

    scratch = tempfile.mkdtemp(prefix="floor-")
    seconds, _ = timed(["sh", floor_script, scratch])
    floor_times.append(seconds)
    shutil.rmtree(scratch)

# Disk use of three interpreters' closures in one new store (fetched from Debian's mirror), with
# files shared and as if not.
measured, env = fresh_home({})
built = subprocess.check_output([devenv, "build", "python311", "python313", "postgresql_17"], env=env, text=True,
                                stderr=subprocess.DEVNULL).split()
measured_store = os.path.dirname(built[0])
shared = int(subprocess.check_output(["du", "-s", "--block-size=1M", measured_store], text=True).split()[0])
unshared = int(subprocess.check_output(
    ["du", "-s", "--block-size=1M", "--exclude=.links", "--count-links", measured_store], text=True).split()[0])
remove_home(measured)

d, f = statistics.median(devenv_times), statistics.median(floor_times)
print(f"closure: {len(files)} .debs ({megabytes:.1f} MB), {len(elves)} ELF files  runs: {runs}")
print(f"devenv develop --frozen (file:// mirror)   median {d:.3f} s  peak RSS {max(rss):.1f} MiB")
print(f"dpkg-deb -x + patchelf (floor)             median {f:.3f} s")
print(f"devenv / floor: {d / f:.2f}x")
print(f"store with python311 + python313 + postgresql_17 (and the .debs): {shared} MiB on disk, "
      f"{unshared} MiB without shared files")
PY
