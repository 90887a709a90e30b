#!/usr/bin/env bash
# Set up everything the test suite needs and run it: system packages (when root and missing),
# a virtualenv with the app, the `train` and `dev` extras, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(xvfb xdotool openbox x11-utils libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0
              libxcb-cursor0 libegl1 libgl1 libfontconfig1 libdbus-1-3 dbus sway foot)
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

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[train,federated,dev]'

.venv/bin/ruff check .
.venv/bin/ruff format --check . >/dev/null || { echo "ruff format would change files" >&2; exit 1; }
.venv/bin/mypy

set +e
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest "$@"
code=$?
set -e
if [ "$code" = 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$code"
