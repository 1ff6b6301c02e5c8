#!/usr/bin/env bash
# Set up .venv on a fresh machine (Python 3.11, pip, Node 20/npm, gcc). Usage: scripts/setup.sh [demo|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
py=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$py" -m venv .venv
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${pip[@]}" -U pip
# An unpinned torch pulls a multi-GB CUDA build; the CPU wheel of 2.13.0 is what the tests need.
"${pip[@]}" -c scripts/constraints.txt torch==2.13.0
if [ "$mode" = demo ]; then
  "${pip[@]}" -c scripts/constraints.txt -e ".[demo]"
else
  "${pip[@]}" -c scripts/constraints.txt -e ".[test,local,demo]"
fi
