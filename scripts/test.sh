#!/usr/bin/env bash
# Run every check: lint, types, import contracts, the TypeScript tests, and the whole pytest suite
# (real kernels, a loopback model server, a tiny local transformers model, JupyterLab in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium unavailable: browser tests will skip"
fi
export PATH="$PWD/.venv/bin:$PATH"
ruff check jupyter_autogpt tests benchmarks scripts example_notebooks/conftest.py labextension/test/fixtures
python scripts/house_style.py
mypy
lint-imports
if [ -f labextension/package.json ]; then (cd labextension && npm test --silent); fi
status=0
pytest -q -p no:cacheprovider "$@" || status=$?
if [ "$status" -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi
# The example notebooks, strictly: their saved outputs must match an offline re-execution (example_notebooks/conftest.py).
if [ "$#" -eq 0 ]; then pytest -q -p no:cacheprovider --nbval example_notebooks/ || status=$?; fi
exit "$status"
