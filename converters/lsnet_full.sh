#!/usr/bin/env bash
# Full-size LSNet exports (random init, fused deployment form, 224x224) through `edgekit export` with its
# parity table, one bundle per model and format so a cut-off run keeps what finished:
#   build/export/lsnet_{t,s,b}-{onnx,tflite,executorch}/  (fp32 + int8; logs beside them)
# Slow (minutes to tens of minutes per bundle on 2 cores; ExecuTorch int8 lowering is the slowest),
# so it is a script, not a test. Cheapest formats first. Usage:
#   converters/lsnet_full.sh                       # everything
#   MODELS="lsnet_s" FORMATS="onnx tflite" converters/lsnet_full.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MODELS=${MODELS:-"lsnet_t lsnet_s lsnet_b"}
FORMATS=${FORMATS:-"onnx tflite executorch"}
export OMP_WAIT_POLICY=PASSIVE
mkdir -p build/export
for fmt in $FORMATS; do
  for m in $MODELS; do
    out=build/export/$m-$fmt
    [[ -f $out/edgekit.json ]] && { echo "$out: done before"; continue; }
    echo "$(date -u +%T) $m $fmt -> $out (load $(cut -d' ' -f1-3 /proc/loadavg))"
    log=build/export/$m-$fmt.log
    # CPU seconds beside wall seconds: on the shared machine a niced export gets a few % of a core
    # while higher-priority jobs run, so wall time alone says little about the conversion's cost.
    TIMEFORMAT="cpu %U s user + %S s sys, wall %R s"
    { time nice -n 5 "$PY" -m edgekit export --recipe "converters/${m}_int8.toml" -f "$fmt" -o "$out" \
        > "$log" 2>&1; } 2> "$log.time"
    if [[ -f $out/edgekit.json ]]; then
      echo "$(date -u +%T) $m $fmt ok ($(cat "$log.time"); load $(cut -d' ' -f1-3 /proc/loadavg))"
    else
      echo "$(date -u +%T) $m $fmt FAILED ($(tail -n 1 "$log.time")): see $log"
    fi
  done
done
