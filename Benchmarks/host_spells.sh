#!/usr/bin/env bash
# Tells this shared host's slow spells apart from Vigil's own variance: every few seconds, for
# DURATION seconds, one line with the FMA peak at two threads (Benchmarks/fma_peak.c), each
# Vigil configuration's two-thread median (`vigil bench MODEL --threads 2 --runs 200`) and the
# TFLite interpreter's on the same model (ai-edge-litert, 2 threads, 200 runs).
#
#     Benchmarks/host_spells.sh 300 Models/cache/face_detection_full_range_sparse.tflite \
#         base=@.build/release/vigil c1=VIGIL_CHUNKS_PER_THREAD=1@.build/release/vigil
#
# A configuration is LABEL=[ENV=VALUE[,ENV=VALUE...]]@BINARY. TFLite models only (the peer).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then sed -n '2,10p' "$0"; exit 2; fi
duration=$1 model=$2
shift 2
probe=$(mktemp /tmp/fma_peak.XXXXXX)
trap 'rm -f "$probe"' EXIT
gcc -O3 -mavx2 -mfma -pthread Benchmarks/fma_peak.c -o "$probe"
median() { python3 -c "import json, sys; print(round(json.load(sys.stdin)['medianMs'], 2))"; }
end=$((SECONDS + duration))
while [ $SECONDS -lt $end ]; do
    line="$(date +%T) fma2=$("$probe" 2 | tail -1 | awk '{print $3}')"
    for configuration in "$@"; do
        label=${configuration%%=*} rest=${configuration#*=}
        settings=${rest%@*} binary=${rest##*@}
        line="$line $label=$(env ${settings//,/ } "$binary" bench "$model" --threads 2 --runs 200 --json | median)"
    done
    peer=$(python3 - "$model" 2>/dev/null <<'PY'
import sys, time
import numpy as np
from ai_edge_litert.interpreter import Interpreter
interpreter = Interpreter(sys.argv[1], num_threads=2)
interpreter.allocate_tensors()
detail = interpreter.get_input_details()[0]
interpreter.set_tensor(detail["index"], np.random.rand(*detail["shape"]).astype(np.float32))
for _ in range(3):
    interpreter.invoke()
times = []
for _ in range(200):
    start = time.perf_counter()
    interpreter.invoke()
    times.append(time.perf_counter() - start)
print(round(float(np.median(times)) * 1e3, 2))
PY
)
    echo "$line peer=$peer"
done
