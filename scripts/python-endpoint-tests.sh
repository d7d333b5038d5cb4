#!/usr/bin/env bash
# The Python side of the routing demos, on CPU: the endpoint's own pytest suite, then the bot's
# end-to-end test against the real endpoint (`--random-init tiny-olmoe --device cpu`):
# tests/python-e2e, run with vitest.python-e2e.config.ts. Part of `npm test`.
#
# The endpoint's dependencies (deploy/moe-endpoint/requirements-dev.txt) are installed with the
# machine's ordinary pip into a virtual environment under the user's cache directory, keyed by a
# hash of the requirements files and the interpreter, and reused while they stay the same: a warm
# run starts no pip at all. An environment counts only once its marker file `.complete` exists,
# written after the last install, so a half-built one (an interrupted build) is built again from
# scratch; builds take a lock, so two checkouts testing at once do not build the same one twice.
#
# Without Python 3.10 or newer this prints one line and succeeds, so `npm test` stays quick for
# people who only work on the bot; with QUIZBOT_REQUIRE_PYTHON=1 (as .ci/run sets) it fails instead.
#
#   --env-only                build or reuse the environment, print its path, run no tests
#   PYTHON                    the interpreter to use (default: python3)
#   QUIZBOT_REQUIRE_PYTHON=1  a missing or too old Python is a failure
#   QUIZBOT_VENV_CACHE        where the environments live (default: $XDG_CACHE_HOME or ~/.cache, /moe-quizbot/venvs)
#   PIP_* settings            apply to the build as to any pip (PIP_RETRIES=0 where the default index cannot be reached)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
endpoint="$root/deploy/moe-endpoint"
python="${PYTHON:-python3}"
started=$SECONDS
env_only=0
case "${1:-}" in
  --env-only) env_only=1 ;;
  "") ;;
  *) echo "usage: $0 [--env-only]" >&2; exit 2 ;;
esac

say() { if [ "$env_only" = 1 ]; then printf '[python endpoint] %s\n' "$*" >&2; else printf '[python endpoint] %s\n' "$*"; fi; }

version=""
if command -v "$python" >/dev/null 2>&1; then
  version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3] if sys.version_info >= (3, 10) else "")' 2>/dev/null || true)"
fi
if [ -z "$version" ]; then
  if [ "${QUIZBOT_REQUIRE_PYTHON:-}" = "1" ]; then
    say "FAILED: Python 3.10 or newer is required (QUIZBOT_REQUIRE_PYTHON=1) but '$python' is missing or older." >&2
    exit 1
  fi
  say "skipped: Python 3.10 or newer not found ('$python'); set PYTHON to one to run the endpoint's tests."
  exit 0
fi

for f in requirements.txt requirements-dev.txt; do
  [ -f "$endpoint/$f" ] || { say "FAILED: $endpoint/$f is missing." >&2; exit 1; }
done

# The environment's key: the requirements files, the interpreter's version and where it lives.
key="$(
  {
    cat "$endpoint/requirements.txt" "$endpoint/requirements-dev.txt"
    "$python" -c 'import sys, platform; print(sys.version, sys.executable, platform.machine())'
  } | sha256sum | cut -c1-16
)"
cache="${QUIZBOT_VENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/moe-quizbot/venvs}"
venv="$cache/py$version-$key"
mkdir -p "$cache"

# One build at a time. flock(1) where there is one; else a lock directory holding its owner's pid,
# taken over when that process is gone.
lockdir="$cache/.lock.d"
unlock() { :; }
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock 9
  unlock() { exec 9>&-; }
else
  waited=0
  until mkdir "$lockdir" 2>/dev/null; do
    owner="$(cat "$lockdir/pid" 2>/dev/null || true)"
    if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$lockdir"; continue; fi
    if [ $((waited % 30)) -eq 0 ]; then say "waiting for another run building an environment (pid ${owner:-?}; $lockdir)"; fi
    sleep 1
    waited=$((waited + 1))
  done
  echo $$ >"$lockdir/pid"
  trap 'rm -rf "$lockdir"' EXIT
  unlock() { rm -rf "$lockdir"; trap - EXIT; }
fi

# Its interpreter still runs and finds the packages (found, not imported: torch takes seconds).
packages_found() {
  "$venv/bin/python" -c '
import importlib.util, sys
sys.exit(any(importlib.util.find_spec(m) is None for m in ("torch", "transformers", "accelerate", "safetensors", "jsonschema", "pytest")))
' >/dev/null 2>&1
}

if [ -f "$venv/.complete" ] && packages_found; then
  say "Python $version; reusing the environment $venv"
else
  say "Python $version; building the environment $venv (first run or the requirements changed)"
  rm -rf "$venv"
  build_started=$SECONDS
  "$python" -m venv "$venv"
  # The machine's pip configuration (index, local wheel directories, constraints) applies. Its
  # output goes to a log, shown when the install fails. One retry, not pip's five with backoff:
  # where one configured index cannot be reached, five cost minutes and mend nothing.
  pip_log="$cache/pip-install.log"
  if ! PIP_RETRIES="${PIP_RETRIES:-1}" "$venv/bin/python" -m pip install --disable-pip-version-check -r "$endpoint/requirements-dev.txt" >"$pip_log" 2>&1; then
    tail -n 40 "$pip_log" >&2
    say "FAILED: pip could not install deploy/moe-endpoint/requirements-dev.txt (the last 40 lines of $pip_log are above)." >&2
    rm -rf "$venv"
    exit 1
  fi
  if ! packages_found; then
    rm -rf "$venv"
    say "FAILED: the new environment cannot find its packages (see $pip_log)." >&2
    exit 1
  fi
  touch "$venv/.complete"
  say "environment built in $((SECONDS - build_started)) s"
fi
# The marker's time is when an environment was last used: others unused for 14 days go, and so do
# half-built ones (no build runs beside this one while it holds the lock).
touch "$venv/.complete"
for other in "$cache"/py*; do
  [ -d "$other" ] && [ "$other" != "$venv" ] || continue
  if [ ! -f "$other/.complete" ] || [ -n "$(find "$other/.complete" -mtime +14 2>/dev/null)" ]; then rm -rf "$other"; fi
done
unlock
if [ "$env_only" = 1 ]; then
  echo "$venv"
  exit 0
fi

# Nothing in these tests may download weights: the models are random and the tokenizer built in.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 PYTHONDONTWRITEBYTECODE=1

step_started=$SECONDS
say "pytest (deploy/moe-endpoint/tests, CPU)"
(cd "$endpoint" && "$venv/bin/python" -m pytest -q -p no:cacheprovider tests)
say "pytest done in $((SECONDS - step_started)) s"

step_started=$SECONDS
say "end to end: the bot's CLI and every lesson's Try it live against the real endpoint"
cd "$root"
MOE_ENDPOINT_PYTHON="$venv/bin/python" npx vitest run -c vitest.python-e2e.config.ts
say "end to end done in $((SECONDS - step_started)) s"
say "all Python endpoint checks passed in $((SECONDS - started)) s"
