#!/usr/bin/env bash
# Run the main job: example_notebooks/01-quickstart.ipynb executed end to end in a real kernel (offline: its recordings).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
.venv/bin/python scripts/run_demo.py
