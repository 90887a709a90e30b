#!/usr/bin/env bash
# Build the one-folder Linux bundle into dist/time-sculptor and check it headless:
# `doctor` and `demo` from the bundle itself, with its size and cold-start times.
# Needs PyInstaller in .venv (`.venv/bin/pip install 'pyinstaller>=6.10'`).
set -euo pipefail
cd "$(dirname "$0")/.."
PYINSTALLER=${PYINSTALLER:-.venv/bin/pyinstaller}

# The spec strips the bundle's shared libraries (~33 MB of symbols); without binutils' `strip`
# it skips that and the bundle comes out over its 250 MB goal (about 260 MB).
command -v strip >/dev/null ||
  echo "build_linux: no 'strip' (binutils): the bundle keeps its symbols (~33 MB more)" >&2

"$PYINSTALLER" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/pyinstaller/time-sculptor.spec

BUNDLE=dist/time-sculptor
APP="$BUNDLE/time-sculptor"
CHECK_DIR=$(mktemp -d)
trap 'rm -rf "$CHECK_DIR"' EXIT

# The bundle must not carry TensorFlow or Keras (ARCHITECTURE rule 1).
if find "$BUNDLE" \( -iname '*tensorflow*' -o -iname 'keras' -o -iname '*_keras*' \) | grep -q .; then
  echo "build_linux: TensorFlow/Keras found in the bundle:" >&2
  find "$BUNDLE" \( -iname '*tensorflow*' -o -iname 'keras' -o -iname '*_keras*' \) >&2
  exit 1
fi

seconds() { # run a command with no display; print its wall time in seconds
  local start end
  start=$(date +%s.%N)
  env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen "$@" >"$CHECK_DIR/out" 2>&1 || {
    cat "$CHECK_DIR/out" >&2
    echo "build_linux: '$*' failed" >&2
    exit 1
  }
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}

# Cold start: drop the page cache when allowed (root), so the first run reads the bundle from disk.
if [ -w /proc/sys/vm/drop_caches ]; then
  sync && echo 3 >/proc/sys/vm/drop_caches || true
  cold="cold (page cache dropped)"
else
  cold="first run after the build (page cache not dropped: not root)"
fi
doctor_first=$(seconds "$APP" --data-dir "$CHECK_DIR/data" doctor)
cp "$CHECK_DIR/out" "$CHECK_DIR/doctor.txt"
doctor_warm=$(seconds "$APP" --data-dir "$CHECK_DIR/data" doctor)
demo_s=$(seconds "$APP" --data-dir "$CHECK_DIR/demo" demo)
grep -q "from the on-device model" "$CHECK_DIR/out" || {
  cat "$CHECK_DIR/out" >&2
  echo "build_linux: the bundle's demo did not reach the model" >&2
  exit 1
}
grep -q "tflite       : ai_edge_litert" "$CHECK_DIR/doctor.txt" || {
  cat "$CHECK_DIR/doctor.txt" >&2
  echo "build_linux: the bundle's doctor found no LiteRT interpreter" >&2
  exit 1
}

echo "--- doctor (from the bundle) ---"
cat "$CHECK_DIR/doctor.txt"
echo "--- demo (last line) ---"
tail -n 1 "$CHECK_DIR/out"
echo "--- figures ---"
echo "bundle size       : $(du -sh "$BUNDLE" | cut -f1) ($(du -sb "$BUNDLE" | cut -f1) bytes) in $BUNDLE"
echo "doctor, $cold: ${doctor_first} s"
echo "doctor, warm      : ${doctor_warm} s"
echo "demo (a whole sample day through store, model, engine): ${demo_s} s"
