#!/usr/bin/env bash
# Tracking benchmark, whole run: venv, data, supervision ByteTrack and Vigil, both tables.
#
#   Benchmarks/tracking/run.sh [--data DIR] [benchmark.py options...]
#
# - venv: $TRACKING_VENV, default <parent of the repository>/tracking-venv (outside the repo),
#   made with python3 -m venv and filled from requirements.txt when that file changed;
# - data: generated into DIR (default Benchmarks/tracking/data, gitignored) unless DIR already
#   holds data from the same generate.py (checked by the hash in DIR/manifest.json);
# - Vigil: .build/release/vigil must exist and know `track --mot-detections` (build it first with
#   `swift build -c release`); pass --skip-vigil to run the supervision side alone;
# - results: the Markdown tables on stdout, everything as JSON in DIR/results.json
#   (unless --json is given).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${TRACKING_VENV:-$(dirname "$ROOT")/tracking-venv}"
PY="${PYTHON:-python3}"
START=$(date +%s)

DATA="$HERE/data"
ARGS=("$@")
SKIP_VIGIL=0
HAS_JSON=0
for ((i = 0; i < ${#ARGS[@]}; i++)); do
  case "${ARGS[$i]}" in
    --data) DATA="${ARGS[$((i + 1))]}" ;;
    --data=*) DATA="${ARGS[$i]#--data=}" ;;
    --skip-vigil) SKIP_VIGIL=1 ;;
    --json|--json=*) HAS_JSON=1 ;;
  esac
done

# venv, reinstalled when requirements.txt changes
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
  echo "setting up $VENV" >&2
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2
  echo "$WANT" > "$STAMP"
fi
VPY="$VENV/bin/python"

# data, regenerated when generate.py changes
CUR="$(sha256sum "$HERE/generate.py" | cut -c1-16)"
HAVE="$("$VPY" -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("generator_sha256",""))
except Exception: print("")' "$DATA/manifest.json")"
if [[ "$CUR" != "$HAVE" ]]; then
  echo "generating sequences into $DATA" >&2
  "$VPY" "$HERE/generate.py" "$DATA"
fi

if [[ $SKIP_VIGIL == 0 ]]; then
  VIGIL="$ROOT/.build/release/vigil"
  if ! "$VIGIL" track --help 2>&1 | grep -q mot-detections; then
    echo "error: $VIGIL does not support 'track --mot-detections' (build with 'swift build -c release'," \
         "or pass --skip-vigil)" >&2
    exit 1
  fi
fi

EXTRA=()
[[ $HAS_JSON == 0 ]] && EXTRA=(--json "$DATA/results.json")
cd "$ROOT"
"$VPY" "$HERE/benchmark.py" --data "$DATA" "${EXTRA[@]}" \
  --command-label "Benchmarks/tracking/run.sh${*:+ $*}" "$@"
echo "run.sh total (venv check, data, trackers, metrics): $(( $(date +%s) - START )) s" >&2
