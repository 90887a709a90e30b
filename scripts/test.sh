#!/usr/bin/env bash
# Set up everything the test suite needs and run it: system packages (when root and missing),
# a virtualenv with the app and its `train`, `federated`, `dev` and `package` extras, ruff,
# mypy, pytest, a dependency audit (scripts/audit.py), then the Linux bundle built and
# self-checked headless (packaging/build_linux.sh).
#
#   bash scripts/test.sh                  everything (what CI runs)
#   bash scripts/test.sh PYTEST_ARGS...   ruff, mypy and pytest with these arguments only
#   bash scripts/test.sh --fast [ARGS]    the inner loop: no system packages, no pip install
#                                         when the virtualenv is up to date, no TensorFlow,
#                                         X11, compositor or slow tests, two test processes
#                                         (pytest-xdist), no audit, no bundle
set -euo pipefail
cd "$(dirname "$0")/.."

FAST=0
if [ "${1:-}" = --fast ]; then
  FAST=1
  shift
fi

if [ "$FAST" = 0 ]; then
  APT_PACKAGES=(xvfb xdotool openbox x11-utils libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0
                libxcb-cursor0 libegl1 libgl1 libfontconfig1 libdbus-1-3 dbus sway foot binutils)
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "missing system packages: ${missing[*]} (sudo apt-get install them)" >&2
      exit 1
    fi
  fi
fi

# The virtualenv is up to date when it was installed from this very pyproject.toml; a fast run
# skips pip then (a full run always installs).
PYTHON=${PYTHON:-python3}
STAMP=.venv/.installed-from
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
if [ "$FAST" = 0 ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[train,federated,dev,package]'
  echo "$wanted" >"$STAMP"
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check . >/dev/null || { echo "ruff format would change files" >&2; exit 1; }
.venv/bin/mypy

PYTEST_ARGS=("$@")
if [ "$FAST" = 1 ]; then
  # The sway test starts a real compositor; it carries no marker of its own. Two pytest-xdist
  # workers share out the tests (`-n 0` after --fast runs them in one process).
  PYTEST_ARGS=(-m "not tensorflow and not x11 and not slow"
               --ignore-glob='*/collect/wayland/test_sway.py' -n 2 --dist worksteal "$@")
fi

set +e
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest "${PYTEST_ARGS[@]}"
code=$?
set -e
if [ "$code" = 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
[ "$code" = 0 ] || exit "$code"

# Dependency audit against PyPI's vulnerability data (scripts/audit.py says what it could not
# check: pip-audit's sources are unreachable from here). Full runs only (no pytest arguments,
# no --fast); SKIP_AUDIT=1 skips.
if [ "$FAST" = 0 ] && [ $# = 0 ] && [ "${SKIP_AUDIT:-0}" != 1 ]; then
  .venv/bin/python scripts/audit.py --json .venv/audit.json
fi

# The Linux bundle (PyInstaller, no TensorFlow) and its headless self-check from the bundle.
# Only on a full run (no pytest arguments, no --fast), and skippable with SKIP_BUNDLE=1.
if [ "$FAST" = 0 ] && [ $# = 0 ] && [ "${SKIP_BUNDLE:-0}" != 1 ]; then
  bash packaging/build_linux.sh
fi
