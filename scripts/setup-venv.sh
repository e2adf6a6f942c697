#!/usr/bin/env bash
# Create .venv with the locked dependency set and edgekit installed editable.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  echo "venv: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
# torch first and explicitly: executorch declares no torch requirement.
.venv/bin/pip install -q "$(grep '^torch==' requirements/lock.txt)"
.venv/bin/pip install -q -r requirements/lock.txt -c requirements/constraints.txt
.venv/bin/pip install -q --no-deps -r requirements/nodeps.txt
.venv/bin/pip install -q --no-deps --no-build-isolation -e .
echo "venv: ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
