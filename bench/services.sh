#!/bin/sh
# postgres + redis with initialized data: `devenv up -d` until both are ready, against the floor of
# `pg_ctl start -w` plus `redis-server --daemonize yes` and a PING answered, and `devenv down`
# against `pg_ctl stop -m fast` plus `redis-cli shutdown`, alternating in the same run, on the same
# data directory and packages (postgresql_17 and redis of the set).
# Usage: bench/services.sh [RUNS]   (default 10; needs Debian's mirror once, for the packages)
# postgres refuses root: run as root, everything runs as the user nobody.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-10}
scripts/build-release >/dev/null
python3 - "$RUNS" "$(pwd)/.build/release/devenv" <<'PY'
import os, shutil, statistics, subprocess, sys, tempfile, time

runs, devenv = int(sys.argv[1]), sys.argv[2]
work = tempfile.mkdtemp(prefix="devenv-bench-services-")
project = os.path.join(work, "proj")
os.makedirs(project)
with open(os.path.join(project, "devenv.toml"), "w") as f:
    f.write('[services.postgres]\nkind = "postgresql"\npackage = "postgresql_17"\ndatabases = ["myapp"]\n'
            'port = "auto"\n[services.redis]\nkind = "redis"\npackage = "redis"\nport = "auto"\n')
prefix = []
if os.getuid() == 0:
    os.chmod(work, 0o755)
    subprocess.run(["chown", "-R", "nobody:nogroup", work], check=True)
    prefix = ["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
env = {"HOME": work, "DEVENV_HOME": os.path.join(work, "home"), "CI": "true", "PATH": "/usr/bin:/bin"}


def run(argv, **kwargs):
    return subprocess.run(prefix + argv, env=env, cwd=project, check=True, capture_output=True, text=True, **kwargs)


def timed(argv):
    start = time.perf_counter()
    run(argv)
    return time.perf_counter() - start


# Setup (not timed): realize the packages, initialize the data, learn the ports and programs.
run([devenv, "up", "-d"])
run([devenv, "down"])
state = os.path.join(project, ".devenv/state")
pg_port = open(os.path.join(state, "postgres/port")).read().strip()
redis_port = open(os.path.join(state, "redis/port")).read().strip()
which = run([devenv, "develop", "-c", "sh", "-c", "for p in pg_ctl redis-server redis-cli; do command -v $p; done"]).stdout.split()
pg_ctl, redis_server, redis_cli = which
data, socket_dir, redis_dir = os.path.join(state, "postgres/data"), os.path.join(state, "postgres"), os.path.join(state, "redis")
floor_up = ["sh", "-c",
    f"'{pg_ctl}' -D '{data}' -o \"-k '{socket_dir}' -h 127.0.0.1 -p {pg_port}\" -l /dev/null -w start >/dev/null && "
    f"'{redis_server}' --bind 127.0.0.1 --port {redis_port} --dir '{redis_dir}' --save '' --appendonly no --daemonize yes >/dev/null && "
    f"until '{redis_cli}' -p {redis_port} ping 2>/dev/null | grep -q PONG; do :; done"]
floor_down = ["sh", "-c",
    f"'{pg_ctl}' -D '{data}' -m fast -w stop >/dev/null && '{redis_cli}' -p {redis_port} shutdown nosave >/dev/null 2>&1; "
    f"while '{redis_cli}' -p {redis_port} ping >/dev/null 2>&1; do :; done"]

devenv_up, devenv_down, floor_start, floor_stop = [], [], [], []
for _ in range(runs):
    devenv_up.append(timed([devenv, "up", "-d"]))
    devenv_down.append(timed([devenv, "down"]))
    floor_start.append(timed(floor_up))
    floor_stop.append(timed(floor_down))
up, down = statistics.median(devenv_up), statistics.median(devenv_down)
fs, fd = statistics.median(floor_start), statistics.median(floor_stop)
print(f"runs: {runs}")
print(f"devenv up -d (postgres + redis ready)             median {up * 1000:.0f} ms")
print(f"pg_ctl start -w + redis-server --daemonize + PING  median {fs * 1000:.0f} ms")
print(f"up - floor: {(up - fs) * 1000:+.0f} ms")
print(f"devenv down                                       median {down * 1000:.0f} ms")
print(f"pg_ctl stop -m fast + redis-cli shutdown           median {fd * 1000:.0f} ms")
print(f"down - floor: {(down - fd) * 1000:+.0f} ms")
subprocess.run(["chmod", "-R", "u+w", work])
shutil.rmtree(work)
PY
