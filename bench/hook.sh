#!/bin/sh
# The shell hook against direnv 2.32, in the same run, both with an allowed project:
#  (a) a prompt where nothing changed: devenv's hook function vs `direnv export bash`;
#  (b) cd into the project until the next prompt: devenv's hook loading the cached environment
#      vs `eval "$(direnv export bash)"` loading an equivalent .envrc.
# Usage: bench/hook.sh [N]   (default 1000 prompts, 200 cds; needs direnv, builds a local package)
# Times come from bash's EPOCHREALTIME around loops of the hook function itself; that an unchanged
# prompt starts no process is asserted by the test suite (strace over 100 prompts in each shell).
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000}
BENCH=hook
. bench/realized-project.sh
(cd "$WORK/proj" && "$DEVENV" allow >/dev/null)
mkdir -p "$WORK/direnv-proj"
printf 'PATH_add %s\nexport PROJECT_MODE=dev\n' "$ENV_BIN" > "$WORK/direnv-proj/.envrc"
direnv allow "$WORK/direnv-proj" >/dev/null 2>&1

"$DEVENV" hook bash > "$WORK/hook.bash"
cat > "$WORK/measure.bash" <<'BASH'
# Runs inside bash: microseconds per call, from EPOCHREALTIME (a builtin clock).
N=$1 WORK=$2
. "$WORK/hook.bash"
cd "$WORK/proj"; __devenv_hook; __devenv_hook
start=${EPOCHREALTIME/./}
for ((i = 0; i < N; i++)); do __devenv_hook; done
end=${EPOCHREALTIME/./}
echo "devenv_prompt $(( (end - start) / N ))"
cd "$WORK/direnv-proj"; eval "$(direnv export bash 2>/dev/null)"
start=${EPOCHREALTIME/./}
for ((i = 0; i < N / 10; i++)); do eval "$(direnv export bash 2>/dev/null)"; done
end=${EPOCHREALTIME/./}
echo "direnv_prompt $(( (end - start) / (N / 10) ))"
cd "$WORK"; __devenv_hook; eval "$(direnv export bash 2>/dev/null)"
M=$(( N / 5 ))
start=${EPOCHREALTIME/./}
for ((i = 0; i < M; i++)); do cd "$WORK/proj"; __devenv_hook; cd "$WORK"; __devenv_hook; done
end=${EPOCHREALTIME/./}
echo "devenv_cd $(( (end - start) / M / 2 ))"
start=${EPOCHREALTIME/./}
for ((i = 0; i < M / 4; i++)); do cd "$WORK/direnv-proj"; eval "$(direnv export bash 2>/dev/null)"; cd "$WORK"; eval "$(direnv export bash 2>/dev/null)"; done
end=${EPOCHREALTIME/./}
echo "direnv_cd $(( (end - start) / (M / 4) / 2 ))"
[ "$PROJECT_MODE" = "" ] || echo "direnv did not unload" >&2
BASH
bash "$WORK/measure.bash" "$N" "$WORK" > "$WORK/results"
python3 - "$WORK/results" <<'PY'
import sys
r = dict(line.split() for line in open(sys.argv[1]))
dp, rp, dc, rc = (int(r[k]) for k in ("devenv_prompt", "direnv_prompt", "devenv_cd", "direnv_cd"))
print(f"(a) unchanged prompt: devenv hook {dp / 1000:.3f} ms (no process), direnv export bash {rp / 1000:.2f} ms (one process): {rp / max(dp, 1):.0f}x")
print(f"(b) cd into the project: devenv {dc / 1000:.2f} ms (cached environment, no process), direnv {rc / 1000:.2f} ms: {rc / max(dc, 1):.1f}x")
PY
