#!/usr/bin/env bash
# Step 2 of action.yml: install scorecards-sync from the action's own folder into a
# virtual environment under $RUNNER_TEMP, with the runner's Python, and hand the
# environment's interpreter to the next step as the step output `python`.
#
# Environment: ACTION_PATH (the action's folder), INPUT_PYTHON (optional interpreter),
# RUNNER_TEMP, RUNNER_OS, GITHUB_OUTPUT. SCORECARDS_SYNC_ACTION_PYTHON names an
# interpreter that already has the package (a prepared runner image, the action's own
# tests): then nothing is installed.
set -euo pipefail

fail() {
  echo "::error title=scorecards-sync::$1"
  exit 1
}

usable() {
  # Python 3.11 or newer (tomllib, typing); a missing name or a Store stub fails here.
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

: "${ACTION_PATH:?ACTION_PATH is not set}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"

if [ -n "${SCORECARDS_SYNC_ACTION_PYTHON:-}" ]; then
  "$SCORECARDS_SYNC_ACTION_PYTHON" -c 'import scorecards_sync' \
    || fail "SCORECARDS_SYNC_ACTION_PYTHON=$SCORECARDS_SYNC_ACTION_PYTHON cannot import scorecards_sync"
  echo "python=$SCORECARDS_SYNC_ACTION_PYTHON" >>"$GITHUB_OUTPUT"
  exit 0
fi

if [ -n "${INPUT_PYTHON:-}" ]; then
  candidates=("$INPUT_PYTHON")
elif [ "${RUNNER_OS:-}" = "Windows" ]; then
  # On Windows runners `python3` may be the Microsoft Store stub.
  candidates=(python python3 py)
else
  candidates=(python3 python)
fi
python=""
for candidate in "${candidates[@]}"; do
  if usable "$candidate"; then
    python=$candidate
    break
  fi
done
[ -n "$python" ] || fail "scorecards-sync needs Python 3.11 or newer, and ${candidates[*]} is not: add actions/setup-python (python-version: '3.12') before this step, or set the python input"

temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
venv="$temp/scorecards-sync-venv"
if [ "${RUNNER_OS:-}" = "Windows" ]; then bin="$venv/Scripts"; else bin="$venv/bin"; fi
stamp="$venv/.installed"
lock="$ACTION_PATH/scripts/action-requirements.txt"

# What the environment is made of: the interpreter, the hash-pinned lock and the package's
# own files. An environment with the same stamp (a second use in the same job, or one
# restored by actions/cache, see examples/github/) is used as it is.
wanted=$("$python" - "$ACTION_PATH" "$lock" <<'PYTHON'
import hashlib, pathlib, sys
root, lock = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
digest = hashlib.sha256(sys.version.encode())
for path in [lock, root / "pyproject.toml", *sorted((root / "scorecards_sync").rglob("*"))]:
    if path.is_file() and "__pycache__" not in path.parts:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
print(digest.hexdigest())
PYTHON
) || fail "could not read $lock"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && usable "$bin/python"; then
  echo "scorecards-sync is already installed in $venv"
else
  rm -rf "$venv"
  "$python" -m venv "$venv" || fail "could not create a virtual environment with $python (on Debian or Ubuntu images: apt-get install python3-venv)"
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
  # Every distribution pip installs is pinned by hash; the action's own package is built
  # from its folder with the pinned setuptools, without fetching anything else.
  "$bin/python" -m pip install --quiet --require-hashes --no-deps -r "$lock" \
    || fail "could not install the dependencies pinned in $lock"
  "$bin/python" -m pip install --quiet --no-deps --no-build-isolation "$ACTION_PATH" \
    || fail "could not install scorecards-sync from $ACTION_PATH"
  printf '%s' "$wanted" >"$stamp"
  echo "Installed $("$bin/python" -m scorecards_sync --version) into $venv"
fi
echo "python=$bin/python" >>"$GITHUB_OUTPUT"
