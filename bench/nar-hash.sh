#!/bin/sh
# NAR-hash throughput: `devenv store hash` against `nix-hash --type sha256` on the same tree, in
# the same run, with a warm page cache; plus one core's SHA-256 limit from `openssl speed`.
# Usage: bench/nar-hash.sh [TREE] [RUNS]   (default: the Swift toolchain directory, 5 runs; needs
# nix-hash from nix-bin, openssl and GNU time)
set -eu
cd "$(dirname "$0")/.."
TREE=${1:-$(dirname "$(dirname "$(command -v swift)")")}
RUNS=${2:-5}
scripts/build-release >/dev/null
DEVENV=.build/release/devenv
python3 - "$TREE" "$RUNS" "$DEVENV" <<'PY'
import os, statistics, subprocess, sys, time

tree, runs, devenv = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def measure(argv):
    """Wall time and peak RSS (KiB) of one run; output must equal on every run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, argv
    return time.perf_counter() - start, usage.ru_maxrss, out.strip().decode()

size = int(subprocess.check_output(["sh", "-c", f'"{devenv}" store dump "{tree}" | wc -c']))
tools = {
    "devenv store hash": [devenv, "store", "hash", "--base16", tree],
    "nix-hash --type sha256": ["nix-hash", "--type", "sha256", tree],
}
for argv in tools.values():
    measure(argv)  # warm the page cache
results = {}
for name, argv in tools.items():
    samples = [measure(argv) for _ in range(runs)]
    results[name] = samples
hashes = {name: {s[2] for s in samples} for name, samples in results.items()}
assert len(set.union(*hashes.values())) == 1, hashes

openssl = subprocess.check_output(["openssl", "speed", "-evp", "sha256", "-seconds", "2"],
                                  stderr=subprocess.DEVNULL).decode().splitlines()[-1].split()
sha_limit = float(openssl[-1].rstrip("k")) * 1000 / 1e9

print(f"tree: {tree}  NAR size: {size / 1e9:.2f} GB  runs: {runs}")
print(f"sha256 limit (openssl speed, 16 KiB blocks): {sha_limit:.2f} GB/s")
medians = {}
for name, samples in results.items():
    t = statistics.median(s[0] for s in samples)
    rss = max(s[1] for s in samples) / 1024
    medians[name] = size / t / 1e9
    print(f"{name:24} median {t:.3f} s  {medians[name]:.2f} GB/s  peak RSS {rss:.1f} MiB")
d, n = medians["devenv store hash"], medians["nix-hash --type sha256"]
print(f"devenv / nix-hash: {d / n:.2f}x   devenv / sha256 limit: {d / sha_limit:.2%}")
PY
