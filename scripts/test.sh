#!/usr/bin/env bash
# Install claude_magic with its test extras (into the active virtualenv, or ./.venv) and
# run the whole suite on the offline simulator: ruff, unit, kernel, notebook and browser
# tests. No API key and no network beyond the package index are needed. The browser tests
# (a real JupyterLab and Notebook 7 in headless Chromium) skip when there is no system
# Chromium (`apt-get install -y chromium`); `-m "not browser"` leaves them out.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
python -m pip install -q -e ".[test,browser]"
python -m ruff check claude_magic tests benchmarks
python -m pytest "$@"
